"""Build small test inputs: JPEGs from Pillow and raw EXIF blocks with deliberately broken structures."""

from __future__ import annotations

import io
import struct

from PIL import Image

BYTE, ASCII, SHORT, LONG, RATIONAL = 1, 2, 3, 4, 5
_SIZES = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8}

Entry = tuple[int, int, int, bytes]  # tag, type, count, payload (inline when <= 4 bytes)


def jpeg(size: tuple[int, int] = (320, 240), color: tuple[int, int, int] = (120, 140, 160), **save: object) -> bytes:
    """A JPEG with a simple pattern (so it is neither blank nor blurred)."""
    im = Image.new("RGB", size, color)
    for x in range(0, size[0], 16):
        im.paste((20, 20, 20), (x, 0, x + 4, size[1]))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", **save)
    return buffer.getvalue()


def rationals(*pairs: tuple[int, int]) -> bytes:
    return b"".join(struct.pack("<II", n, d) for n, d in pairs)


def ascii_(text: str) -> bytes:
    return text.encode() + b"\x00"


def entry(tag: int, kind: int, payload: bytes, count: int | None = None) -> Entry:
    return tag, kind, count if count is not None else len(payload) // _SIZES[kind], payload


def dms(value: float) -> bytes:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 3600 * 100)
    return rationals((d, 1), (m, 1), (s, 6000))


def tiff(
    ifd0: list[Entry],
    gps: list[Entry] | None = None,
    *,
    ifd0_next: int = 0,
    gps_next: int | None = None,
    exif_ifd_at: int | None = None,
) -> bytes:
    """A little-endian TIFF/EXIF block. ``gps_next``/``ifd0_next``/``exif_ifd_at`` take raw offsets to build loops."""
    gps = gps or []
    ifd0 = list(ifd0)
    if gps:
        ifd0.append((0x8825, LONG, 1, b""))  # patched below
    if exif_ifd_at is not None:
        ifd0.append((0x8769, LONG, 1, struct.pack("<I", exif_ifd_at)))
    ifd0_off = 8
    gps_off = ifd0_off + 2 + 12 * len(ifd0) + 4
    data_off = gps_off + (2 + 12 * len(gps) + 4 if gps else 0)
    data = bytearray()

    def pack_ifd(entries: list[Entry], next_off: int) -> bytes:
        out = bytearray(struct.pack("<H", len(entries)))
        for tag, kind, count, payload in sorted(entries, key=lambda e: e[0]):
            if tag == 0x8825 and not payload:
                payload = struct.pack("<I", gps_off)
            if len(payload) <= 4:
                value = payload.ljust(4, b"\x00")
            else:
                value = struct.pack("<I", data_off + len(data))
                data.extend(payload)
                if len(data) % 2:
                    data.append(0)
            out += struct.pack("<HHI", tag, kind, count) + value
        return bytes(out + struct.pack("<I", next_off))

    blocks = pack_ifd(ifd0, ifd0_next)
    if gps:
        blocks += pack_ifd(gps, gps_off if gps_next is None else gps_next)
    return b"II*\x00" + struct.pack("<I", ifd0_off) + blocks + bytes(data)


def with_exif(jpeg_bytes: bytes, tiff_block: bytes) -> bytes:
    """Insert an APP1 EXIF segment right after SOI."""
    payload = b"Exif\x00\x00" + tiff_block
    return jpeg_bytes[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg_bytes[2:]


def gps_entries(lat: float, lat_ref: str | None, lng: float, lng_ref: str | None) -> list[Entry]:
    entries = [entry(2, RATIONAL, dms(lat)), entry(4, RATIONAL, dms(lng))]
    if lat_ref:
        entries.append(entry(1, ASCII, ascii_(lat_ref)))
    if lng_ref:
        entries.append(entry(3, ASCII, ascii_(lng_ref)))
    return entries
