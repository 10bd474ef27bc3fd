"""Redaction fixtures: the models loaded once per session, and one small labelled scene (640 × 480)."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest
from PIL import Image

from backend.redaction.detect import ModelAnalyser, shared_analyser
from backend.redaction.synthetic import ROOT, Labelled, scene

BACKGROUND = ROOT / "media" / "samples" / "demo" / "loudi_vendor_stall.jpg"


@pytest.fixture(scope="session")
def models() -> Iterator[ModelAnalyser]:
    yield shared_analyser()


@pytest.fixture(scope="session")
def street() -> Labelled:
    """A plate 130 px wide, a 72-px face and an advert with a phone number on a demo street photo."""
    background = Image.open(BACKGROUND).convert("RGB").resize((640, 480), Image.Resampling.LANCZOS)
    return scene(background, random.Random(7), plate_widths=[130], face_sizes=[72], advert_heights=[56])


@pytest.fixture(scope="session")
def street_jpeg(street: Labelled) -> bytes:
    buffer = io.BytesIO()
    street.image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()
