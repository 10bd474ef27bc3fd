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
from .craft import ASCII, BYTE, LONG, RATIONAL, SHORT, ascii_, dms, entry, gps_entries, jpeg, rationals, tiff, with_exif

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


def _malformed_cases() -> dict[str, tuple[bytes, str]]:
    ok_lng = [entry(4, RATIONAL, dms(112.0)), entry(3, ASCII, ascii_("E"))]
    return {
        "zero denominators": (
            tiff([], [entry(2, RATIONAL, rationals((27, 1), (43, 0), (10, 0))), entry(1, ASCII, ascii_("N")), *ok_lng]),
            "exif.zero_denominator",
        ),
        "latitude 91": (tiff([], gps_entries(91.0, "N", 112.0, "E")), "exif.gps_lat_out_of_range"),
        "missing references": (tiff([], gps_entries(27.73, None, 112.0, None)), "exif.gps_lat_ref_missing"),
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
    if case in ("absurd IFD count", "zero denominators", "latitude 91", "missing references"):
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
