"""EXIF reading on real camera and phone files and on deliberately malformed EXIF blocks."""

from __future__ import annotations

import io
import struct
import time
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from backend.photos import exif as exif_module
from backend.photos.exif import read_exif
from backend.photos.pipeline import process

from .conftest import sample
from .craft import (
    ASCII,
    BYTE,
    LONG,
    RATIONAL,
    SHORT,
    Entry,
    ascii_,
    dms,
    entry,
    gps_entries,
    jpeg,
    rationals,
    tiff,
    with_exif,
)

MAX_PIXELS = 80_000_000
# Pillow warns about the corrupt blocks these tests build on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")


def test_gps_from_a_nikon_photo() -> None:
    info = read_exif(sample("gps/DSCN0010.jpg"))
    assert info.lat == pytest.approx(43.467448, abs=1e-5)
    assert info.lng == pytest.approx(11.885127, abs=1e-5)
    assert info.gps_time == datetime(2008, 10, 23, 14, 27, 7, 240000, tzinfo=UTC)
    assert info.taken_at == datetime(2008, 10, 22, 16, 28, 39)
    assert (info.make, info.model, info.orientation, info.source) == ("NIKON", "COOLPIX P6000", 1, "exifread")
    assert info.warnings == ()


def test_gps_from_an_iphone_heic_with_west_reference() -> None:
    info = read_exif(sample("heic/IMG_5195.HEIC"))
    assert info.lat == pytest.approx(39.0513, abs=1e-3)
    assert info.lng == pytest.approx(-94.2888, abs=1e-3)  # W reference: negative longitude
    assert info.altitude_m == pytest.approx(260.56, abs=0.01)
    assert info.taken_at is not None and info.taken_at.utcoffset() is not None  # OffsetTimeOriginal was applied
    assert (info.make, info.model) == ("Apple", "iPhone 11 Pro Max")


def test_rotated_heic_reports_its_orientation_and_no_gps() -> None:
    info = read_exif(sample("heic/iphone_13_pro_max.HEIC"))
    assert info.orientation == 6 and not info.has_gps and info.model == "iPhone 13 Pro Max"


def test_webp_exif_comes_from_the_pillow_fallback() -> None:
    im = Image.new("RGB", (64, 48), (200, 100, 50))
    exif = im.getexif()
    exif[0x8825] = {1: "S", 2: (33.0, 51.0, 36.0), 3: "E", 4: (151.0, 12.0, 36.0)}
    exif[0x0110] = "Pixel 8"
    buffer = io.BytesIO()
    im.save(buffer, "WEBP", exif=exif)
    info = read_exif(buffer.getvalue())
    assert info.source == "pillow" and info.model == "Pixel 8"
    assert info.lat == pytest.approx(-33.86) and info.lng == pytest.approx(151.21)


def test_southern_and_western_hemispheres_and_below_sea_level() -> None:
    block = tiff(
        [entry(0x010F, ASCII, ascii_("TestCam"))],
        [*gps_entries(22.9068, "S", 43.1729, "W"), entry(5, BYTE, b"\x01"), entry(6, RATIONAL, rationals((150, 10)))],
    )
    info = read_exif(with_exif(jpeg(), block))
    assert info.lat == pytest.approx(-22.9068, abs=1e-4) and info.lng == pytest.approx(-43.1729, abs=1e-4)
    assert info.altitude_m == pytest.approx(-15.0) and info.make == "TestCam"


_E112 = [entry(4, RATIONAL, rationals((112, 1), (0, 1), (0, 1))), entry(3, ASCII, ascii_("E"))]


def _gps(lat: bytes, ref: str | None = "N", extra: tuple[Entry, ...] = ()) -> list[Entry]:
    return [entry(2, RATIONAL, lat), *([entry(1, ASCII, ascii_(ref))] if ref else []), *_E112, *extra]


def _as_webp(block: bytes) -> bytes:
    # Pillow's own parser (the fallback for WebP) must agree with exifread on every edge.
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buffer, "WEBP", exif=b"Exif\x00\x00" + block)
    return buffer.getvalue()


# What phones write at the edges of the ranges, and the latitude it means (longitude is 112°E throughout).
EDGE_CASES: dict[str, tuple[list[Entry], float]] = {
    "seconds rounded up to 60": (_gps(rationals((27, 1), (43, 1), (60, 1))), 27 + 44 / 60),
    "minutes rounded up to 60": (_gps(rationals((27, 1), (60, 1), (0, 10))), 28.0),
    "seconds 59.9999": (_gps(rationals((27, 1), (43, 1), (599_999, 10_000))), 27 + 43 / 60 + 59.9999 / 3600),
    "decimal degrees, 0/0 minutes and seconds": (_gps(rationals((277_333, 10_000), (0, 0), (0, 0))), 27.7333),
    "decimal minutes, 0/0 seconds": (_gps(rationals((27, 1), (43_998, 1000), (0, 0))), 27 + 43.998 / 60),
    "the pole, reached by rounding": (_gps(rationals((89, 1), (59, 1), (60, 1))), 90.0),
    "altitude 0/0": (_gps(dms(27.73), extra=(entry(6, RATIONAL, rationals((0, 0))),)), 27.73),
    "latitude reference missing": (_gps(dms(27.73), ref=None), 27.73),
    "lower-case reference": (_gps(dms(27.73), ref="n"), 27.73),
}


@pytest.mark.parametrize("container", ["jpeg", "webp"])
@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_gps_at_the_edges_of_its_ranges_is_read(case: str, container: str) -> None:
    gps, lat = EDGE_CASES[case]
    block = tiff([entry(0x0110, ASCII, ascii_("EdgeCam"))], gps)
    info = read_exif(with_exif(jpeg(), block) if container == "jpeg" else _as_webp(block))
    assert info.source == ("exifread" if container == "jpeg" else "pillow")
    assert info.lat == pytest.approx(lat, abs=1e-6) and info.lng == pytest.approx(112.0)
    assert not [w for w in info.warnings if w.startswith("exif.gps_") and w != "exif.gps_lat_ref_missing"]
    assert ("exif.gps_lat_ref_missing" in info.warnings) == (case == "latitude reference missing")
    if case == "altitude 0/0":
        assert info.altitude_m is None and "exif.zero_denominator" not in info.warnings


# Past the edge is not rounding: each of these is refused, with the warning that says why.
NONSENSE_CASES: dict[str, tuple[bytes, str]] = {
    "minutes 75": (rationals((27, 1), (75, 1), (0, 1)), "exif.gps_lat_malformed"),
    "seconds 61": (rationals((27, 1), (43, 1), (61, 1)), "exif.gps_lat_malformed"),
    "seconds just past 60": (rationals((27, 1), (43, 1), (600_001, 10_000)), "exif.gps_lat_malformed"),
    "minutes 60 with seconds still to add": (rationals((27, 1), (60, 1), (30, 1)), "exif.gps_lat_malformed"),
    "past the pole by a rounded minute": (rationals((90, 1), (0, 1), (60, 1)), "exif.gps_lat_out_of_range"),
    "latitude 90°0'1\"": (rationals((90, 1), (0, 1), (1, 1)), "exif.gps_lat_out_of_range"),
    "seconds 10/0": (rationals((27, 1), (43, 1), (10, 0)), "exif.zero_denominator"),
    "degrees 0/0": (rationals((0, 0), (43, 1), (10, 1)), "exif.gps_lat_malformed"),
}


@pytest.mark.parametrize("container", ["jpeg", "webp"])
@pytest.mark.parametrize("case", list(NONSENSE_CASES))
def test_gps_past_the_edges_is_refused(case: str, container: str) -> None:
    lat, warning = NONSENSE_CASES[case]
    block = tiff([entry(0x0110, ASCII, ascii_("EdgeCam"))], _gps(lat))
    info = read_exif(with_exif(jpeg(), block) if container == "jpeg" else _as_webp(block))
    assert info.model == "EdgeCam"  # the block was read; only the position was refused
    assert not info.has_gps and warning in info.warnings


def _malformed_cases() -> dict[str, tuple[bytes, str]]:
    ok_lng = [entry(4, RATIONAL, dms(112.0)), entry(3, ASCII, ascii_("E"))]
    return {
        "zero denominators": (
            tiff([], [entry(2, RATIONAL, rationals((27, 1), (43, 0), (10, 0))), entry(1, ASCII, ascii_("N")), *ok_lng]),
            "exif.zero_denominator",
        ),
        "latitude 91": (tiff([], gps_entries(91.0, "N", 112.0, "E")), "exif.gps_lat_out_of_range"),
        "unknown references": (tiff([], gps_entries(27.73, "X", 112.0, "Q")), "exif.gps_lat_ref_malformed"),
        "absurd IFD count": (
            # A rational array claiming a billion entries, pointing near the end of the block.
            tiff([], [(2, RATIONAL, 0x3FFFFFFF, struct.pack("<I", 40)), entry(1, ASCII, ascii_("N")), *ok_lng]),
            "",
        ),
        "IFD loops": (
            # IFD0's next pointer and its Exif IFD pointer both lead back to IFD0; the GPS IFD points to itself.
            tiff(
                [entry(0x0110, ASCII, ascii_("LoopCam"))],
                gps_entries(27.73, "N", 112.0, "E"),
                ifd0_next=8,
                exif_ifd_at=8,
                gps_next=None,
            ),
            "",
        ),
        # 65535 entries in a 74-byte block: exifread would chase garbage; the read budget stops it.
        "absurd entry count": (b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x00" * 64, "exif.budget_exceeded"),
        "offsets outside the block": (
            tiff([(0x0110, ASCII, 4000, struct.pack("<I", 0x7FFFFFF0)), (0x8825, LONG, 1, struct.pack("<I", 99999))]),
            "",
        ),
    }


@pytest.mark.parametrize("case", list(_malformed_cases()))
def test_malformed_exif_yields_none_fields_and_warnings_never_an_exception(case: str) -> None:
    block, expected_warning = _malformed_cases()[case]
    data = with_exif(jpeg(), block)
    started = time.monotonic()
    info = read_exif(data)
    photo = process(data, max_pixels=MAX_PIXELS)  # the photo itself is still fine
    assert time.monotonic() - started < 3
    assert photo.display.width == 320 and photo.exif == info
    if expected_warning:
        assert not info.has_gps and expected_warning in info.warnings
    if case in ("absurd IFD count", "zero denominators", "latitude 91", "unknown references"):
        assert not info.has_gps


def test_loops_keep_what_can_be_read() -> None:
    block, _ = _malformed_cases()["IFD loops"]
    info = read_exif(with_exif(jpeg(), block))
    assert info.model == "LoopCam"


def test_exifread_is_stopped_by_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exif_module, "EXIF_READ_BUDGET", 3)
    info = read_exif(sample("gps/DSCN0010.jpg"))
    assert "exif.budget_exceeded" in info.warnings
    assert info.source == "pillow" and info.lat == pytest.approx(43.467448, abs=1e-5)  # the fallback still works


def test_no_exif_at_all() -> None:
    info = read_exif(jpeg())
    assert info.source is None and not info.has_gps and info.warnings == ()


def test_garbage_datetime_and_orientation() -> None:
    block = tiff([entry(0x0112, SHORT, struct.pack("<H", 9)), entry(0x0110, ASCII, ascii_("Cam\x01\x02"))])
    block_time = tiff([(0x8769, LONG, 1, b"")])  # Exif IFD pointer with offset 0: ignored
    info = read_exif(with_exif(jpeg(), block))
    assert info.orientation is None and "exif.orientation_malformed" in info.warnings and info.model == "Cam"
    assert read_exif(with_exif(jpeg(), block_time)).taken_at is None


def test_capture_time_in_the_city_zone() -> None:
    nikon = read_exif(sample("gps/DSCN0010.jpg")).taken_at_in("Asia/Shanghai")
    assert nikon is not None and nikon.utcoffset() == timedelta(hours=8)
    iphone = read_exif(sample("heic/IMG_5195.HEIC"))
    assert iphone.taken_at_in("Asia/Shanghai") == iphone.taken_at  # its own OffsetTimeOriginal wins
    assert read_exif(jpeg()).taken_at_in("Asia/Shanghai") is None
