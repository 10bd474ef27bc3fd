"""The photo intake pipeline: check, decode, orient, strip and shrink one upload (pure, synchronous, CPU-bound)."""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image, features

from backend.errors import InvalidInput, PayloadTooLarge
from backend.photos.exif import ExifInfo, read_exif
from backend.photos.sniff import CONTENT_TYPES, identify, sniff

log = logging.getLogger("suishoupai.photos.pipeline")

__all__ = [
    "Derivative", "ExifInfo", "ProcessedPhoto", "QualityWarning",
    "hamming", "process", "read_exif", "safe_filename", "sniff",
]  # fmt: skip

DISPLAY_EDGE, DISPLAY_QUALITY = 1600, 82
THUMB_EDGE, THUMB_QUALITY = 400, 75
DARK_MEAN = 40.0  # mean luminance 0-255 on the thumbnail
BLUR_VARIANCE = 40.0  # Laplacian variance on the thumbnail's grey image
SMALL_LONG, SMALL_SHORT = 640, 480
MIN_SCALED_EDGE = 1400  # a decoder-scaled display may be this much under DISPLAY_EDGE rather than resized
_LIBJPEG_TURBO = bool(features.check_feature("libjpeg_turbo"))

_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF", "heif": "HEIF"}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
QUALITY_TEXT = {
    "photo.too_dark": ("照片太暗，看不清现场", "The photo is too dark to see the scene"),
    "photo.too_blurry": ("照片模糊，请对焦后重拍", "The photo is blurred; please refocus and retake it"),
    "photo.too_small": ("照片分辨率过低", "The photo's resolution is too low"),
}


@dataclass(frozen=True, slots=True)
class QualityWarning:
    """A problem worth telling the reporter about; the photo is still accepted."""

    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Derivative:
    """A public, metadata-free JPEG made from the original."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    """Everything the pipeline learns from one original and the derivatives it makes."""

    kind: str  # jpeg, png, webp, heic or heif, from the bytes
    content_type: str  # of the original
    width: int  # upright size of the original
    height: int
    sha256: str  # of the original bytes, hex
    phash: str  # 64-bit difference hash of the upright image, 16 hex digits; compare with hamming()
    display: Derivative  # long edge <= 1600 px
    thumbnail: Derivative  # long edge <= 400 px
    exif: ExifInfo
    quality: tuple[QualityWarning, ...]
    brightness: float  # mean luminance 0-255
    sharpness: float  # Laplacian variance of the thumbnail


@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _corrupt(kind: str) -> InvalidInput:
    return InvalidInput(
        "照片文件已损坏或不完整，请重新上传", "The photo is damaged or incomplete; please upload it again",
        code="photo.corrupt", details={"kind": kind},
    )  # fmt: skip


def _open(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse oversized images before a single pixel is decoded."""
    if kind in ("heic", "heif"):
        _register_heif()
    try:
        im = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]])
    except Image.DecompressionBombError:
        im = None
    except Exception as exc:  # Pillow plugins raise OSError, SyntaxError, ValueError, struct.error… on bad headers
        raise _corrupt(kind) from exc
    if im is None or im.width * im.height > max_pixels:
        size = {"width": im.width, "height": im.height} if im is not None else {}
        raise PayloadTooLarge(
            f"照片像素过多（上限 {max_pixels // 1_000_000} 百万像素）",
            f"The photo has too many pixels (limit {max_pixels // 1_000_000} megapixels)",
            code="photo.too_many_pixels",
            details={**size, "max_pixels": max_pixels},
        )
    return im


def check_header(data: bytes, kind: str, max_pixels: int) -> tuple[int, int]:
    """The stored size from the header alone: refuses unreadable headers and decompression bombs in microseconds."""
    im = _open(data, kind, max_pixels)
    try:
        return im.width, im.height
    finally:
        im.close()


def _orientation(im: Image.Image) -> int:
    # Ask the decoder rather than the file: pillow-heif already applies HEIF rotations and reports 1 afterwards.
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block only costs us the rotation
        log.debug("unreadable orientation", exc_info=True)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _fit(width: int, height: int, edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if im.mode.startswith("I"):  # 16/32-bit greyscale PNG: keep the top 8 bits instead of clipping to white
        return Image.fromarray((np.asarray(im, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8)).convert("RGB")
    return im.convert("RGB")


def _encode(im: Image.Image, quality: int) -> Derivative:
    # Derivatives inherit the original's info dict (EXIF, ICC, comment); clearing it means nothing private is written.
    im.info.clear()
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality)
    return Derivative(buffer.getvalue(), im.width, im.height)


def _scale_jpeg(im: Image.Image) -> None:
    """Let libjpeg shrink the image while decoding (DCT scaling), so that little or no resizing is left to do."""
    width, height = im.size
    three_eighths = (-(-width * 3 // 8), -(-height * 3 // 8))
    tile = im.tile[0] if len(im.tile) == 1 else None
    if (
        _LIBJPEG_TURBO
        and MIN_SCALED_EDGE <= max(three_eighths) <= DISPLAY_EDGE
        and hasattr(tile, "_replace")
        and not getattr(im, "decoderconfig", ())
    ):
        # 12-13 MP phone photos (3734-4266 px): 3/8 lands right under 1600 px with no resize at all, about 20 ms less
        # than 1/2 + BOX. draft() offers only 1/2, 1/4, 1/8, but Pillow hands libjpeg scale 1/denom and libjpeg-turbo
        # rounds 1/3 up to 3/8. The tile and size must match libjpeg's output exactly (ceil(n * 3 / 8)): Pillow sizes
        # its line buffer from them, hence the libjpeg-turbo check and the pixel test in tests/photos.
        im.tile = [tile._replace(extents=(0, 0, *three_eighths))]  # type: ignore[union-attr]
        im._size = three_eighths
        im.decoderconfig = (3, 0)
    else:
        # Public DCT scaling: 1/2, 1/4 or 1/8, the smallest that is still >= the display size.
        im.draft("RGB", _fit(width, height, DISPLAY_EDGE))


def _decode_display(data: bytes, kind: str, max_pixels: int) -> tuple[Image.Image, int, int]:
    """The upright display image (long edge <= 1600) and the upright size of the original."""
    im = _open(data, kind, max_pixels)
    orientation = _orientation(im)
    width, height = im.size
    try:
        if kind == "jpeg":
            _scale_jpeg(im)
        im.load()
        rgb = _to_rgb(im)
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(code="photo.too_many_pixels", details={"max_pixels": max_pixels}) from exc
    except Exception as exc:  # truncated or corrupt pixel data surfaces only here
        raise _corrupt(kind) from exc
    if max(rgb.size) > DISPLAY_EDGE:
        # BOX (area average) is the cheapest correct filter for the <= 2x step left after DCT scaling.
        rgb = rgb.resize(_fit(*rgb.size, DISPLAY_EDGE), Image.Resampling.BOX)
    if orientation in _TRANSPOSE:
        rgb = rgb.transpose(_TRANSPOSE[orientation])  # after the resize: rotating 2.5 MP is cheaper than 12 MP
        if orientation >= 5:
            width, height = height, width
    return rgb, width, height


def _thumbnail(display: Image.Image) -> Image.Image:
    target = _fit(*display.size, THUMB_EDGE)
    factor = max(display.size) // THUMB_EDGE
    # reduce() is an integer box filter, several times cheaper than resize(); for 1600 px it lands exactly on 400.
    thumb = display.reduce(factor) if factor > 1 else display
    return thumb if thumb.size == target else thumb.resize(target, Image.Resampling.BOX)


def _dhash(grey: Image.Image) -> str:
    small = np.asarray(grey.resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str | int, b: str | int) -> int:
    """Number of differing bits between two perceptual hashes; <= 8 of 64 usually means the same picture."""
    x = int(a, 16) if isinstance(a, str) else a
    y = int(b, 16) if isinstance(b, str) else b
    return (x ^ y).bit_count()


def _quality(grey: np.ndarray, width: int, height: int) -> tuple[tuple[QualityWarning, ...], float, float]:
    brightness = float(grey.mean())
    lap = 4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    sharpness = float(lap.var()) if lap.size else 0.0
    codes = []
    if brightness < DARK_MEAN:
        codes.append("photo.too_dark")
    elif sharpness < BLUR_VARIANCE:
        codes.append("photo.too_blurry")  # a dark frame also has little contrast: only one warning then
    if max(width, height) < SMALL_LONG or min(width, height) < SMALL_SHORT:
        codes.append("photo.too_small")
    return tuple(QualityWarning(c, *QUALITY_TEXT[c]) for c in codes), brightness, sharpness


def process(data: bytes, *, max_pixels: int) -> ProcessedPhoto:
    """Check and decode one original and return its metadata, hashes, quality and public derivatives."""
    kind = identify(data)
    exif = read_exif(data)
    display, width, height = _decode_display(data, kind, max_pixels)
    thumb = _thumbnail(display)
    grey = thumb.convert("L")
    quality, brightness, sharpness = _quality(np.asarray(grey, dtype=np.float32), width, height)
    return ProcessedPhoto(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        phash=_dhash(grey),
        display=_encode(display, DISPLAY_QUALITY),
        thumbnail=_encode(thumb, THUMB_QUALITY),
        exif=exif,
        quality=quality,
        brightness=brightness,
        sharpness=sharpness,
    )


_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*]')


def safe_filename(name: str, default: str = "photo") -> str:
    """A display-safe base name: no directories, no control or bidi characters, at most 100 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    name = _UNSAFE_NAME.sub("_", " ".join(name.split())).strip(" .")
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 100 - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else name[:100]
    return name or default
