"""Read the EXIF facts a report needs (GPS, capture time, orientation, device) defensively from hostile files."""

from __future__ import annotations

import io
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import exifread
from PIL import Image

from backend.photos.geo import valid_point

log = logging.getLogger("suishoupai.photos.exif")

EXIF_TIME_BUDGET_S = 0.5
EXIF_READ_BUDGET = 100_000  # read/seek calls; a sane file needs a few hundred


@dataclass(frozen=True, slots=True)
class ExifInfo:
    """What the photo says about itself; a field is None when absent or not trustworthy, and warnings say why."""

    lat: float | None = None
    lng: float | None = None
    altitude_m: float | None = None
    gps_time: datetime | None = None  # UTC
    taken_at: datetime | None = None  # DateTimeOriginal: naive wall time unless OffsetTimeOriginal gave a zone
    orientation: int | None = None  # 1-8 as written in the file
    make: str | None = None
    model: str | None = None
    source: str | None = None  # "exifread", "pillow" or None when no EXIF was found
    warnings: tuple[str, ...] = ()

    @property
    def has_gps(self) -> bool:
        return self.lat is not None and self.lng is not None

    def taken_at_in(self, tz: str) -> datetime | None:
        """The capture time as an aware datetime, reading a zoneless EXIF time as wall time in ``tz``."""
        if self.taken_at is None or self.taken_at.tzinfo is not None:
            return self.taken_at
        return self.taken_at.replace(tzinfo=ZoneInfo(tz))


class _OverBudget(BaseException):
    # A BaseException on purpose: exifread wraps much of its parsing in `except Exception` and would carry on looping.
    pass


class _BudgetedReader(io.BytesIO):
    """A file whose every read and seek is counted, so a looping parser is stopped by the clock or the count."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self._deadline = time.monotonic() + EXIF_TIME_BUDGET_S
        self._ops = 0

    def _tick(self) -> None:
        self._ops += 1
        if self._ops > EXIF_READ_BUDGET or (self._ops % 64 == 0 and time.monotonic() > self._deadline):
            raise _OverBudget

    def read(self, size: int | None = -1, /) -> bytes:
        self._tick()
        return super().read(size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self._tick()
        return super().seek(offset, whence)


# Canonical names for the raw values both readers produce.
_EXIFREAD_KEYS = {
    "GPS GPSLatitude": "lat", "GPS GPSLatitudeRef": "lat_ref", "GPS GPSLongitude": "lng",
    "GPS GPSLongitudeRef": "lng_ref", "GPS GPSAltitude": "alt", "GPS GPSAltitudeRef": "alt_ref",
    "GPS GPSTimeStamp": "gps_time", "GPS GPSDate": "gps_date", "EXIF DateTimeOriginal": "taken",
    "EXIF DateTimeDigitized": "digitized", "EXIF OffsetTimeOriginal": "offset", "Image Orientation": "orientation",
    "Image Make": "make", "Image Model": "model",
}  # fmt: skip
_PILLOW_GPS = {1: "lat_ref", 2: "lat", 3: "lng_ref", 4: "lng", 5: "alt_ref", 6: "alt", 7: "gps_time", 29: "gps_date"}
_PILLOW_EXIF = {0x9003: "taken", 0x9004: "digitized", 0x9011: "offset"}
_PILLOW_BASE = {0x0112: "orientation", 0x010F: "make", 0x0110: "model"}


def _from_exifread(data: bytes, warnings: list[str]) -> dict[str, Any]:
    try:
        tags = exifread.process_file(_BudgetedReader(data), details=False, extract_thumbnail=False)
    except _OverBudget:
        warnings.append("exif.budget_exceeded")
        return {}
    except Exception:  # exifread on hostile bytes can raise anything; the photo is still usable without EXIF
        log.debug("exifread failed", exc_info=True)
        warnings.append("exif.unreadable")
        return {}
    return {key: tags[name].values for name, key in _EXIFREAD_KEYS.items() if name in tags}


def _from_pillow(data: bytes, warnings: list[str]) -> dict[str, Any]:
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format == "PNG" and "exif" not in im.info:
                # No eXIf before the pixels: getexif() would decode the whole image to look after them, and exifread
                # has already searched every chunk.
                return {}
            exif = im.getexif()
            raw: dict[str, Any] = {key: exif[tag] for tag, key in _PILLOW_BASE.items() if tag in exif}
            for ifd_tag, names in ((0x8825, _PILLOW_GPS), (0x8769, _PILLOW_EXIF)):
                ifd = exif.get_ifd(ifd_tag)
                raw.update({key: ifd[tag] for tag, key in names.items() if tag in ifd})
    except Exception:  # same reasoning as for exifread: a broken EXIF block must not break the upload
        log.debug("Pillow EXIF fallback failed", exc_info=True)
        warnings.append("exif.unreadable")
        return {}
    return raw


def _values(raw: Any) -> list[Any]:
    if isinstance(raw, (list, tuple)):
        return list(raw)
    return [raw]


def _number(value: Any, warnings: list[str], *, empty: float | None = None) -> float | None:
    """A rational, int or float as a finite float; zero denominators and NaN become None.

    ``empty`` is what 0/0 means where the caller knows: EXIF writes 0/0 for "no value", and a coordinate written as
    decimal degrees or decimal minutes leaves the finer parts at 0/0. A non-zero numerator over 0 stays nonsense.
    """
    num, den = getattr(value, "numerator", None), getattr(value, "denominator", None)
    if num is not None and den is not None and not isinstance(value, (int, bool)):
        if den == 0:
            if num == 0 and empty is not None:
                return empty
            warnings.append("exif.zero_denominator")
            return None
        result = num / den
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = float(value)
    else:
        return None
    return result if math.isfinite(result) else None


def _text(raw: Any) -> str | None:
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if isinstance(raw, (list, tuple)) and raw:
        raw = raw[0]
    if not isinstance(raw, str):
        return None
    cleaned = "".join(ch for ch in raw if ch.isprintable()).strip()
    return cleaned[:64] or None


def _coordinate(raw: dict[str, Any], axis: str, warnings: list[str]) -> float | None:
    if axis not in raw:
        return None
    parts = [_number(v, warnings, empty=None if i == 0 else 0.0) for i, v in enumerate(_values(raw[axis])[:3])]
    if not parts or any(p is None or p < 0 for p in parts):
        warnings.append(f"exif.gps_{axis}_malformed")
        return None
    deg, minutes, seconds = (*parts, 0.0, 0.0)[:3]
    assert deg is not None and minutes is not None and seconds is not None
    # Phones round before they write: 27°43'59.9996" becomes 27°43'60" and 27°59'60" may become 27°60'0". Exactly 60
    # is one more minute (or degree), which the sum below already counts; anything past 60, or 60 minutes with
    # seconds still to add, is not a rounding.
    if minutes > 60 or seconds > 60 or (minutes == 60 and seconds > 0):
        warnings.append(f"exif.gps_{axis}_malformed")
        return None
    ref = (_text(raw.get(f"{axis}_ref")) or "").upper()[:1]
    signs = {"lat": {"N": 1, "S": -1}, "lng": {"E": 1, "W": -1}}[axis]
    if not ref:
        # Some writers leave the reference out (or empty). Read it as N/E, the hemispheres this system serves, and
        # say so (the warning is kept with the photo): a photo from the other hemisphere then lands far outside the
        # city, where triage flags it outside_area, instead of losing a position that is right for every local phone.
        warnings.append(f"exif.gps_{axis}_ref_missing")
        ref = next(iter(signs))
    elif ref not in signs:
        warnings.append(f"exif.gps_{axis}_ref_malformed")
        return None
    value = signs[ref] * (deg + minutes / 60 + seconds / 3600)
    if abs(value) > (90 if axis == "lat" else 180):
        warnings.append(f"exif.gps_{axis}_out_of_range")
        return None
    return value


def _altitude(raw: dict[str, Any], warnings: list[str]) -> float | None:
    if "alt" not in raw:
        return None
    value = _number(_values(raw["alt"])[0], warnings, empty=math.nan) if _values(raw["alt"]) else None
    if value is not None and math.isnan(value):
        return None  # 0/0: the phone had no altitude; the position beside it is still good
    if value is None or abs(value) > 20_000:
        warnings.append("exif.gps_altitude_malformed")
        return None
    ref = _values(raw.get("alt_ref", 0))
    below = ref[0] in (1, b"\x01", "1") if ref else False
    return -value if below else value


def _gps_time(raw: dict[str, Any], warnings: list[str]) -> datetime | None:
    date_text, parts = _text(raw.get("gps_date")), _values(raw.get("gps_time", []))
    if not date_text or len(parts) != 3:
        return None
    hms = [_number(v, warnings) for v in parts]
    try:
        day = datetime.strptime(date_text[:10], "%Y:%m:%d").replace(tzinfo=UTC)
        h, m, s = (float(x) for x in hms)  # type: ignore[arg-type]
        if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 61):
            raise ValueError("time out of range")
    except (ValueError, TypeError):
        warnings.append("exif.gps_time_malformed")
        return None
    return day + timedelta(hours=h, minutes=m, seconds=s)


def _taken_at(raw: dict[str, Any], warnings: list[str]) -> datetime | None:
    text = _text(raw.get("taken")) or _text(raw.get("digitized"))
    if text is None:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        warnings.append("exif.datetime_malformed")  # e.g. "0000:00:00 00:00:00" from cameras without a clock
        return None
    offset = _text(raw.get("offset"))
    if offset and len(offset) == 6 and offset[0] in "+-" and offset[3] == ":":
        try:
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            moment = moment.replace(tzinfo=timezone(delta if offset[0] == "+" else -delta))
        except ValueError:
            warnings.append("exif.offset_malformed")
    return moment


def _orientation(raw: dict[str, Any], warnings: list[str]) -> int | None:
    values = _values(raw.get("orientation", []))
    if not values:
        return None
    if isinstance(values[0], int) and 1 <= values[0] <= 8:
        return values[0]
    warnings.append("exif.orientation_malformed")
    return None


def read_exif(data: bytes) -> ExifInfo:
    """Parse EXIF with exifread, falling back to Pillow when exifread finds nothing (WebP, some HEIC and PNG)."""
    warnings: list[str] = []
    raw, source = _from_exifread(data, warnings), "exifread"
    if not raw:
        raw, source = _from_pillow(data, warnings), "pillow"
    if not raw:
        return ExifInfo(warnings=tuple(dict.fromkeys(warnings)))
    lat, lng = _coordinate(raw, "lat", warnings), _coordinate(raw, "lng", warnings)
    if lat is None or lng is None or not valid_point(lat, lng):
        if lat is not None and lng is not None:
            warnings.append("exif.gps_no_fix")  # 0,0 is what receivers write before they have a fix
        lat = lng = None
    return ExifInfo(
        lat=lat,
        lng=lng,
        altitude_m=_altitude(raw, warnings),
        gps_time=_gps_time(raw, warnings),
        taken_at=_taken_at(raw, warnings),
        orientation=_orientation(raw, warnings),
        make=_text(raw.get("make")),
        model=_text(raw.get("model")),
        source=source,
        warnings=tuple(dict.fromkeys(warnings)),
    )
