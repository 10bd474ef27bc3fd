"""The photo intake pipeline: check, decode, orient, strip and shrink one upload (pure, synchronous, CPU-bound)."""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
import logging
import platform
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile

from backend.errors import InvalidInput, PayloadTooLarge
from backend.photos.exif import ExifInfo, read_exif
from backend.photos.sniff import CONTENT_TYPES, identify

log = logging.getLogger("suishoupai.photos.pipeline")

__all__ = [
    "DECODE_MEMORY", "Derivative", "ExifInfo", "ProcessedPhoto", "QualityWarning",
    "decode_cost", "hamming", "process", "read_exif", "release_memory", "safe_filename",
]  # fmt: skip

DISPLAY_EDGE, DISPLAY_QUALITY = 1600, 82
THUMB_EDGE, THUMB_QUALITY = 400, 75
DARK_MEAN = 40.0  # mean luminance 0-255 on the thumbnail
BLUR_VARIANCE = 40.0  # Laplacian variance on the thumbnail's grey image
SMALL_LONG, SMALL_SHORT = 640, 480

# The most memory one decode may need: enough for the costliest photo a phone takes, a 50 MP HEIC (8192x6144 at
# 8 bytes a pixel, plus DISPLAY_BYTES). Costlier images are refused from their header, and the decode budget
# (photos/budget.py) admits decodes process-wide while their costs add up to at most this much.
DECODE_MEMORY = 432 * 2**20
# Decoded-image buffers of the display size and below (reduce and resize outputs, RGB copies, encoders), per decode.
DISPLAY_BYTES = 48 * 2**20
# Bytes a decode holds at its peak per pixel of the original, measured with VmHWM on Pillow 13 / pillow-heif 1.8
# (docs/benchmarks.md, "Photo decode memory"). PNG is loaded in its own mode and reduced in it before any conversion.
_PNG_BYTES_PER_PIXEL = {"1": 2.0, "L": 1.0, "P": 2.0, "I": 1.0, "I;16": 1.0, "I;16B": 1.0}  # RGB: 4; RGBA, LA: 8
_WEBP_BYTES_PER_PIXEL = 16.0  # libwebp's canvas and work buffers, the frame's bytes, and Pillow's copy of them
_HEIF_BYTES_PER_PIXEL = 8.0  # libheif's planes and RGB(A) output, and Pillow's copy
# Image.reduce() works on these modes; "1" and "P" must be converted first, "PA" would average palette indices.
_REDUCIBLE = {"L", "LA", "La", "RGB", "RGBA", "RGBa", "I", "F", "CMYK", "YCbCr"}
_TRIM_AFTER_PIXELS = 16_000_000  # a decode at least this large hands its freed heap back to the system

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


def _too_many_pixels(im: Image.Image | None, limit: int) -> PayloadTooLarge:
    size = {"width": im.width, "height": im.height} if im is not None else {}
    return PayloadTooLarge(
        f"照片像素过多（上限 {limit // 1_000_000} 百万像素）",
        f"The photo has too many pixels (limit {limit // 1_000_000} megapixels)",
        code="photo.too_many_pixels",
        details={**size, "max_pixels": limit},
    )


def _bytes_per_pixel(im: Image.Image, kind: str) -> float:
    """What decoding this image costs at its peak, per pixel of the original (see the measured figures above)."""
    if kind == "jpeg":
        # libjpeg keeps every DCT coefficient (2 bytes a sample) of progressive and multi-scan files even when it
        # decodes scaled, and the header does not always tell which files those are: every JPEG is charged for them.
        layers = getattr(im, "layer", None) or [(0, 1, 1, 0)] * len(im.getbands())
        h_max = max(max(h for _, h, _, _ in layers), 1)
        v_max = max(max(v for _, _, v, _ in layers), 1)
        return float(2.0 * sum(h * v for _, h, v, _ in layers) / (h_max * v_max))
    if kind == "webp":
        return _WEBP_BYTES_PER_PIXEL
    if kind in ("heic", "heif"):
        return _HEIF_BYTES_PER_PIXEL
    if im.mode in ("LA", "RGBA"):
        return 8.0  # reduce() averages premultiplied: a full-size RGBa copy
    if "transparency" in im.info and im.mode not in ("P", "I", "I;16", "I;16B"):
        return _PNG_BYTES_PER_PIXEL.get(im.mode, 4.0) + 9.0  # a key colour flattened at full size: RGBA, RGB, alpha
    return _PNG_BYTES_PER_PIXEL.get(im.mode, 4.0)


def _pixel_limit(im: Image.Image, kind: str, max_pixels: int) -> int:
    return min(max_pixels, int((DECODE_MEMORY - DISPLAY_BYTES) / _bytes_per_pixel(im, kind)))


def _open(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse, before a single pixel is decoded, images with more pixels than
    ``max_pixels`` or than this format can decode within ``DECODE_MEMORY``."""
    if kind in ("heic", "heif"):
        _register_heif()
    try:
        im = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]])
    except Image.DecompressionBombError:
        raise _too_many_pixels(None, max_pixels) from None
    except Exception as exc:  # Pillow plugins raise OSError, SyntaxError, ValueError, struct.error… on bad headers
        raise _corrupt(kind) from exc
    limit = _pixel_limit(im, kind, max_pixels)
    if im.width * im.height > limit:
        raise _too_many_pixels(im, limit)
    return im


def decode_cost(data: bytes, max_pixels: int) -> int:
    """The bytes decoding this photo will hold at its peak, from its header alone; refuses what check_header refuses."""
    kind = identify(data)
    im = _open(data, kind, max_pixels)
    try:
        return int(im.width * im.height * _bytes_per_pixel(im, kind)) + DISPLAY_BYTES
    finally:
        im.close()


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
    """Let libjpeg shrink the image while decoding (DCT scaling, Pillow's public ``draft``): the smallest of 1/2, 1/4,
    1/8 that is still at least the display size, so only a short resize is left."""
    im.draft("RGB", _fit(*im.size, DISPLAY_EDGE))


def _narrow_png(im: Image.Image) -> None:
    """Decode 16-bit greyscale straight to its top 8 bits: a quarter of the memory of the 32-bit copy otherwise made."""
    if not isinstance(im, ImageFile.ImageFile) or len(im.tile) != 1:  # decoded already, or not in one tile
        return
    tile = im.tile[0]
    if im.mode in ("I", "I;16", "I;16B") and hasattr(tile, "_replace") and tile.args == "I;16B":
        # PNG stores 16-bit samples big-endian; libImaging's "L;16B" unpacker keeps the high byte of each.
        im.tile = [tile._replace(args="L;16B")]
        im._mode = "L"
        # An exact 16-bit key colour cannot be matched on 8 bits: the image is shown without its transparency.
        im.info.pop("transparency", None)


def _reduce_palette(im: Image.Image, factor: int) -> Image.Image:
    """Reduce a palette image one colour channel at a time, transparency flattened onto white through the palette
    itself (flattening is linear, so it commutes with averaging): never a full-size RGB(A) copy of it."""
    palette = (im.getpalette("RGB") or []) + [0] * 768
    alpha = [255] * 256
    transparency = im.info.get("transparency")
    if isinstance(transparency, bytes):
        alpha[: len(transparency[:256])] = transparency[:256]
    elif isinstance(transparency, int) and 0 <= transparency < 256:
        alpha[transparency] = 0
    bands = []
    for band in range(3):
        lut = [(palette[3 * i + band] * alpha[i] + 255 * (255 - alpha[i])) // 255 for i in range(256)]
        bands.append(im.point(lut, "L").reduce(factor))
    return Image.merge("RGB", bands)


def _shrink(im: Image.Image) -> Image.Image:
    """Reduce a loaded image by an integer factor in its own mode, before any full-size conversion is made."""
    factor = max(im.size) // DISPLAY_EDGE
    if factor < 2:
        return im
    if im.mode == "P":
        return _reduce_palette(im, factor)
    if im.mode == "1" and "transparency" not in im.info:
        im = im.convert("L")
    elif im.mode not in _REDUCIBLE or "transparency" in im.info:
        im = _to_rgb(im)  # a key colour flattened onto white, or 16/32-bit grey cut to 8 bits, at full size
    return im.reduce(factor)


def _decode_display(data: bytes, kind: str, max_pixels: int) -> tuple[Image.Image, int, int]:
    """The upright display image (long edge <= 1600) and the upright size of the original."""
    im = _open(data, kind, max_pixels)
    width, height = im.size
    try:
        if kind == "jpeg":
            _scale_jpeg(im)
        elif kind == "png":
            _narrow_png(im)
        elif kind in ("heic", "heif"):
            # pillow-heif decodes an embedded thumbnail instead when one is a scaled copy at least this large.
            im.draft(None, _fit(width, height, DISPLAY_EDGE))
        im.load()
        # Only now: a PNG's eXIf may follow its pixels, and getexif() before load() would decode them at full depth.
        orientation = _orientation(im)
        im = _shrink(im)  # rebinding drops the full-size image (and a WebP decoder's canvas) right away
        rgb = _to_rgb(im)
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(code="photo.too_many_pixels", details={"max_pixels": max_pixels}) from exc
    except Exception as exc:  # truncated or corrupt pixel data surfaces only here
        raise _corrupt(kind) from exc
    if max(rgb.size) > DISPLAY_EDGE:
        # BOX (area average) is the cheapest correct filter for the <= 2x step left after DCT scaling or reduce().
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


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Give freed heap pages back to the system. glibc keeps the blocks of a large decode in the worker thread's
    arena (its mmap threshold rises to their size after the first free), so RSS would stay at its peak for good."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass(frozen=True)
class Known:
    """What the upload check already found out about an original (type, EXIF, hash): not worked out twice."""

    kind: str
    exif: ExifInfo
    sha256: str


def process(data: bytes, *, max_pixels: int, known: Known | None = None) -> ProcessedPhoto:
    """Check and decode one original and return its metadata, hashes, quality and public derivatives."""
    kind = known.kind if known else identify(data)
    exif = known.exif if known else read_exif(data)
    display, width, height = _decode_display(data, kind, max_pixels)
    if width * height >= _TRIM_AFTER_PIXELS:
        release_memory()
    thumb = _thumbnail(display)
    grey = thumb.convert("L")
    quality, brightness, sharpness = _quality(np.asarray(grey, dtype=np.float32), width, height)
    return ProcessedPhoto(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        width=width,
        height=height,
        sha256=known.sha256 if known else hashlib.sha256(data).hexdigest(),
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
