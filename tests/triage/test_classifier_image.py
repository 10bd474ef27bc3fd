"""The optional photo model: a tiny ONNX model built here (if onnx/onnxruntime are installed) and the numpy format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from backend.errors import InvalidInput, UnsupportedMedia
from backend.triage.classifier import Classifier, ClassifyInput
from backend.triage.image_model import ImageScorer

CODES = ["C0137", "C0123"]  # red photo → street light, blue photo → manhole (a toy rule)
RED = np.zeros((16, 16, 3), dtype=np.uint8)
RED[..., 0] = 255
BLUE = np.zeros((16, 16, 3), dtype=np.uint8)
BLUE[..., 2] = 255
# per-channel mean → logits: red pushes C0137, blue pushes C0123
CHANNEL_WEIGHTS = np.array([[4.0, -4.0], [0.0, 0.0], [-4.0, 4.0]], dtype=np.float32)


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def npz_model(tmp_path: Path) -> Path:
    h = w = 4
    weights = np.repeat(CHANNEL_WEIGHTS / (h * w), h * w, axis=0)  # CHW flattened: each channel's pixels together
    path = tmp_path / "photo.npz"
    np.savez(path, weights=weights, bias=np.zeros(2), codes=np.array(CODES), size=np.array([h, w]))
    return path


@pytest.fixture()
def onnx_model(tmp_path: Path) -> Path:
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        ],
        "tiny_photo_classifier",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 2])],
        initializer=[numpy_helper.from_array(CHANNEL_WEIGHTS, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"codes": json.dumps(CODES)})
    onnx.checker.check_model(model)
    path = tmp_path / "photo.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("fixture", ["npz_model", "onnx_model"])
def test_scorer_returns_probabilities_per_code(request: pytest.FixtureRequest, fixture: str) -> None:
    scorer = ImageScorer.load(request.getfixturevalue(fixture))
    red = scorer.score(_png(RED))
    assert set(red) == set(CODES) and abs(sum(red.values()) - 1) < 1e-5 and red["C0137"] > 0.9
    assert scorer.score(BLUE)["C0123"] > 0.9


def test_photo_scores_steer_the_classifier(npz_model: Path) -> None:
    scores = ImageScorer.load(npz_model).score(_png(BLUE))
    result = Classifier.load().classify(ClassifyInput(text="这里坏了，快来看看", image_scores=scores))
    top = result.suggestions[0]
    assert top.code == "C0123" and any(r.kind == "image" for r in top.reasons)


def test_not_a_photo_is_unsupported_media(npz_model: Path) -> None:
    with pytest.raises(UnsupportedMedia):
        ImageScorer.load(npz_model).score(b"definitely not an image")


@pytest.mark.parametrize("name", ["missing.onnx", "model.bin"])
def test_bad_model_path_is_a_clear_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(InvalidInput) as caught:
        ImageScorer.load(tmp_path / name)
    assert caught.value.code == "classify.bad_image_model"


def test_inconsistent_npz_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, weights=np.zeros((5, 2)), bias=np.zeros(2), codes=np.array(CODES), size=np.array([4, 4]))
    with pytest.raises(InvalidInput):
        ImageScorer.load(path)
