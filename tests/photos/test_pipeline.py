"""The intake pipeline on real photos and on every kind of bad input the issue lists."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter

from backend.errors import AppError, InvalidInput, PayloadTooLarge, UnsupportedMedia
from backend.photos.pipeline import ProcessedPhoto, hamming, process

from .conftest import REFERENCE, SAMPLES, sample
from .craft import jpeg

MAX_PIXELS = 80_000_000


def run(data: bytes, max_pixels: int = MAX_PIXELS) -> ProcessedPhoto:
    return process(data, max_pixels=max_pixels)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    # Normalised, because orientation 1 of the sample set was exported with a different exposure from 2-8.
    za, zb = (a - a.mean()) / a.std(), (b - b.mean()) / b.std()
    return float((za * zb).mean())


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_all_eight_orientations_come_out_upright(shape: str) -> None:
    reference = run(sample(f"orientation/{shape}_1.jpg"))
    expected_size = (600, 450) if shape == "landscape" else (450, 600)
    upright = pixels(reference.display.data).mean(axis=2)
    for orientation in range(1, 9):
        photo = run(sample(f"orientation/{shape}_{orientation}.jpg"))
        assert (photo.width, photo.height) == expected_size
        assert (photo.display.width, photo.display.height) == expected_size
        assert (photo.thumbnail.width, photo.thumbnail.height) == ((400, 300) if shape == "landscape" else (300, 400))
        display = pixels(photo.display.data).mean(axis=2)
        assert _correlation(display, upright) > 0.95, f"orientation {orientation} is not upright"
        # The check can fail: the same image mirrored or flipped correlates far less.
        assert _correlation(display[:, ::-1], upright) < 0.6 and _correlation(display[::-1], upright) < 0.6
        assert hamming(photo.phash, reference.phash) <= 4


def test_heic_with_gps_lands_in_the_right_place_upright() -> None:
    photo = run(sample("heic/IMG_5195.HEIC"))
    assert photo.kind == "heic" and photo.content_type == "image/heic"
    assert photo.exif.lat == pytest.approx(39.05, abs=0.01) and photo.exif.lng == pytest.approx(-94.29, abs=0.01)
    assert (photo.width, photo.height) == (2566, 3313)
    assert (photo.display.width, photo.display.height) == (1239, 1600)


def test_rotated_heic_is_rotated_once() -> None:
    photo = run(sample("heic/iphone_13_pro_max.HEIC"))
    assert photo.exif.orientation == 6  # what the file says; the HEIF decoder applies it, we must not apply it again
    assert (photo.width, photo.height) == (3024, 4032)
    assert (photo.display.width, photo.display.height) == (1200, 1600)
    assert (photo.thumbnail.width, photo.thumbnail.height) == (300, 400)


@pytest.mark.parametrize(
    ("size", "display", "thumbnail"),
    [
        ((4000, 3000), (1600, 1200), (400, 300)),  # 12 MP: decoded at 1/2 by libjpeg, then resized
        ((4032, 3024), (1600, 1200), (400, 300)),
        ((3264, 2448), (1600, 1200), (400, 300)),  # 8 MP: decoded at 1/2, then resized
        ((1200, 5000), (384, 1600), (96, 400)),  # a panorama
        ((1600, 1200), (1600, 1200), (400, 300)),
    ],
)
def test_large_jpegs_are_shrunk(size: tuple[int, int], display: tuple[int, int], thumbnail: tuple[int, int]) -> None:
    data = jpeg(size, quality=90)
    photo = run(data)
    assert (photo.width, photo.height) == size
    assert (photo.display.width, photo.display.height) == display
    assert (photo.thumbnail.width, photo.thumbnail.height) == thumbnail
    assert Image.open(io.BytesIO(photo.display.data)).size == display
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and len(photo.phash) == 16


def test_decoder_scaled_display_matches_a_careful_resize() -> None:
    # Guards the DCT-scaling path (decode at 1/2, rotate, resize): a mistake there would produce garbage, not an error.
    scene = Image.open(io.BytesIO(sample("gps/DSCN0010.jpg"))).resize((4000, 3000), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    scene.save(buffer, "JPEG", quality=92, exif=exif)
    photo = run(buffer.getvalue())
    assert (photo.display.width, photo.display.height) == (1200, 1600)
    expected = np.asarray(
        scene.transpose(Image.Transpose.ROTATE_270).resize((1200, 1600), Image.Resampling.LANCZOS), dtype=np.float32
    )
    assert np.abs(pixels(photo.display.data) - expected).mean() < 3


def _private_jpeg() -> bytes:
    im = Image.open(io.BytesIO(sample("gps/DSCN0010.jpg")))
    buffer = io.BytesIO()
    icc = b"\x00" * 128  # any ICC payload: it must not survive
    im.save(buffer, "JPEG", exif=im.getexif(), icc_profile=icc, comment=b"owner: Zhang San 13800000000")
    return buffer.getvalue()


def test_public_derivatives_carry_no_metadata_at_all() -> None:
    original = _private_jpeg()
    assert Image.open(io.BytesIO(original)).getexif()  # the test input does carry EXIF with GPS
    photo = run(original)
    assert photo.exif.has_gps
    for derivative in (photo.display, photo.thumbnail):
        read_back = Image.open(io.BytesIO(derivative.data))
        assert len(read_back.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(read_back.info)
        assert b"Exif" not in derivative.data and b"NIKON" not in derivative.data and b"Zhang" not in derivative.data
        assert derivative.content_type == "image/jpeg"


def test_webp_png_and_transparency() -> None:
    rgba = Image.new("RGBA", (500, 400), (0, 0, 0, 0))
    rgba.paste((200, 30, 30, 255), (100, 100, 300, 300))
    for fmt in ("PNG", "WEBP"):
        buffer = io.BytesIO()
        rgba.save(buffer, fmt)
        photo = run(buffer.getvalue())
        assert photo.kind == fmt.lower()
        corner = pixels(photo.display.data)[5, 5]
        assert corner.min() > 240  # transparent areas become white, not black


def test_sixteen_bit_png_is_not_clipped_to_white() -> None:
    grey = Image.fromarray(np.full((480, 640), 20000, dtype=np.uint16))
    buffer = io.BytesIO()
    grey.save(buffer, "PNG")
    photo = run(buffer.getvalue())
    assert 60 < pixels(photo.display.data).mean() < 95  # 20000 / 65535 ≈ 0.3 → ~78


def test_perceptual_hash_matches_resaved_copies_and_separates_different_photos() -> None:
    original = sample("gps/DSCN0010.jpg")
    im = Image.open(io.BytesIO(original))
    buffer = io.BytesIO()
    im.resize((480, 360)).save(buffer, "JPEG", quality=60)
    copy = run(buffer.getvalue())
    first = run(original)
    other = run(sample("orientation/landscape_1.jpg"))
    assert hamming(first.phash, copy.phash) <= 6
    assert hamming(first.phash, other.phash) >= 16
    assert hamming(0, 2**64 - 1) == 64 and hamming("ff", "0f") == 4


def _variant(adjust: str) -> bytes:
    im = Image.open(io.BytesIO(sample("gps/DSCN0010.jpg")))
    if adjust == "dark":
        im = ImageEnhance.Brightness(im).enhance(0.15)
    elif adjust == "blurred":
        im = im.filter(ImageFilter.GaussianBlur(4))
    elif adjust == "small":
        im = im.resize((320, 240))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("adjust", "codes"),
    [("none", set()), ("dark", {"photo.too_dark"}), ("blurred", {"photo.too_blurry"}), ("small", {"photo.too_small"})],
)
def test_quality_warnings(adjust: str, codes: set[str]) -> None:
    photo = run(_variant(adjust))
    assert {w.code for w in photo.quality} == codes
    for warning in photo.quality:
        assert warning.message_zh and warning.message_en


def test_demo_photos_carry_loudi_positions() -> None:
    for path in sorted((SAMPLES / "demo").glob("*.jpg")):
        photo = run(path.read_bytes())
        assert photo.exif.lat == pytest.approx(27.73, abs=0.02) and photo.exif.lng == pytest.approx(112.0, abs=0.02)
        assert photo.quality == ()


# ---- bad input ----------------------------------------------------------------------------------------------------


def test_zero_bytes() -> None:
    with pytest.raises(InvalidInput) as exc:
        run(b"")
    assert exc.value.code == "photo.empty" and exc.value.status == 422


@pytest.mark.parametrize("body", [b"hello, this is not a photo", b"<html><body>hi</body></html>", b"<svg></svg>"])
def test_text_html_svg_named_jpg(body: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        run(body)
    assert exc.value.code == "photo.not_an_image" and exc.value.status == 415


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_jpeg(keep: float) -> None:
    data = sample("gps/DSCN0010.jpg")
    with pytest.raises(InvalidInput) as exc:
        run(data[: int(len(data) * keep)])
    assert exc.value.code == "photo.corrupt" and "损坏" in exc.value.message_zh


def test_truncated_large_jpeg_on_the_decoder_scaled_path() -> None:
    data = jpeg((4000, 3000))
    with pytest.raises(InvalidInput) as exc:
        run(data[: len(data) // 2])
    assert exc.value.code == "photo.corrupt"


def test_truncated_headers() -> None:
    for cut in (3, 10, 40):
        with pytest.raises((InvalidInput, UnsupportedMedia)):
            run(sample("gps/DSCN0010.jpg")[:cut])


def _png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of the given size whose rows are all zero: a few hundred KB that would decode to gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _png_bomb(30000, 30000)
    assert len(bomb) < 1_000_000
    started = time.process_time()
    with pytest.raises(PayloadTooLarge) as exc:
        run(bomb)
    assert time.process_time() - started < 1.0
    assert exc.value.code == "photo.too_many_pixels" and exc.value.status == 413


def test_pixel_limit_is_the_configured_one() -> None:
    with pytest.raises(PayloadTooLarge) as exc:
        run(jpeg((1000, 1000)), max_pixels=999_999)
    assert exc.value.details == {"width": 1000, "height": 1000, "max_pixels": 999_999}
    assert run(jpeg((1000, 1000)), max_pixels=1_000_000).width == 1000


def test_polyglot_is_refused() -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        run(sample("gps/DSCN0010.jpg") + b"PK\x03\x04" + b"\x00" * 26 + b"<script>")
    assert exc.value.code == "photo.polyglot"


def _hostile_files() -> list[Path]:
    files = sorted((SAMPLES / "invalid").glob("*"))
    if REFERENCE.is_dir():
        files += sorted((REFERENCE / "regressions").glob("*")) + sorted((REFERENCE / "cameras").glob("*"))
    return files


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("path", _hostile_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_broken_and_odd_real_files_give_a_clean_result_or_a_clean_4xx(path: Path) -> None:
    started = time.monotonic()
    try:
        photo = run(path.read_bytes())
    except AppError as exc:
        assert 400 <= exc.status < 500
    else:
        assert photo.display.width <= 1600 and photo.display.height <= 1600 and photo.display.data
        assert isinstance(photo.exif.warnings, tuple)
    assert time.monotonic() - started < 5
