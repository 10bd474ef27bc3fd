"""The packaged models on a small labelled scene: what they find, and that a redacted image no longer shows it."""

from __future__ import annotations

import numpy as np

from backend.redaction.detect import Finding
from backend.redaction.service import pixelate
from backend.redaction.synthetic import as_array


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_face_plate_and_phone_are_found_then_gone_after_redaction(models, street):
    image = as_array(street.image)
    found = models.analyse(image)
    faces = [f for f in found if f.kind == "face"]
    assert len(faces) == 1 and _iou(faces[0].box, street.faces[0]) > 0.5
    assert ("plate", street.plates[0][0]) in [(f.kind, f.text) for f in found]
    assert ("phone", street.phones[0][0]) in [(f.kind, f.text) for f in found]

    again = models.analyse(pixelate(image, found))
    assert not [f for f in again if f.kind in ("face", "plate")]
    # The advert stays readable: phone numbers on adverts are evidence, not personal data to hide.
    assert ("phone", street.phones[0][0]) in [(f.kind, f.text) for f in again]


def test_pixelation_keeps_only_block_means():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (60, 90, 3), dtype=np.uint8)
    out = pixelate(image, [Finding("face", (10, 10, 30, 30)), Finding("text", (50, 10, 30, 30), "kept")])
    block = out[6:19, 6:19]  # the face box grown by its margin (38 px from 6) in blocks of 13 px
    assert (block == block[0, 0]).all()
    assert (out[10:40, 50:80] == image[10:40, 50:80]).all()  # text is never hidden
    assert (out[45:, :] == image[45:, :]).all()
