"""Location helpers for photo reports: WGS-84 → GCJ-02, distances, and choosing between browser and EXIF positions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_EARTH_RADIUS_M = 6371008.8

MISMATCH_M = 500.0
OLD_PHOTO = timedelta(hours=24)


def out_of_china(lng: float, lat: float) -> bool:
    """The rough bounding box the GCJ-02 formula is applied in (the published convention, not the border)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """Return ``(lng, lat)`` in GCJ-02 for Chinese basemaps (AMap, Tencent); points outside China are unchanged."""
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _delta_lat(lng - 105.0, lat - 35.0)
    dlng = _delta_lng(lng - 105.0, lat - 35.0)
    radlat = math.radians(lat)
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def valid_point(lat: float, lng: float) -> bool:
    """A usable position: finite, in range, and not the (0, 0) that GPS chips write before they have a fix."""
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return False
    return -90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0 and (lat, lng) != (0.0, 0.0)


@dataclass(frozen=True, slots=True)
class LocationDecision:
    """Where a report is, in WGS-84, where that came from, and what the operator should look at."""

    lat: float | None
    lng: float | None
    source: str | None  # "browser", "exif" or None when neither gave a usable position
    accuracy_m: float | None  # the browser's reported accuracy; None for EXIF
    distance_m: float | None  # browser vs EXIF, when both exist
    photo_age_hours: float | None  # upload time minus EXIF capture time
    flags: tuple[str, ...]  # "location_mismatch", "old_photo"


def _aware(moment: datetime, tz: str) -> datetime:
    # EXIF capture times carry no zone: a phone writes local wall time, which for our users is the city's zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(tz))


def location_decision(
    browser: tuple[float, float, float | None] | None,
    exif: tuple[float, float] | None,
    exif_time: datetime | None,
    upload_time: datetime,
    *,
    tz: str = "Asia/Shanghai",
) -> LocationDecision:
    """Browser GPS ``(lat, lng, accuracy_m)`` wins; EXIF ``(lat, lng)`` is the fallback; disagreements are flagged."""
    if browser is not None and not valid_point(browser[0], browser[1]):
        browser = None
    if exif is not None and not valid_point(exif[0], exif[1]):
        exif = None
    flags: list[str] = []
    distance = None
    if browser is not None and exif is not None:
        distance = haversine_m(browser[0], browser[1], exif[0], exif[1])
        if distance > MISMATCH_M:
            flags.append("location_mismatch")
    age_hours = None
    if exif_time is not None:
        age = _aware(upload_time, tz) - _aware(exif_time, tz)
        age_hours = age.total_seconds() / 3600
        if age > OLD_PHOTO:
            flags.append("old_photo")
    if browser is not None:
        lat, lng, accuracy, source = browser[0], browser[1], browser[2], "browser"
    elif exif is not None:
        lat, lng, accuracy, source = exif[0], exif[1], None, "exif"
    else:
        return LocationDecision(None, None, None, None, distance, age_hours, tuple(flags))
    return LocationDecision(lat, lng, source, accuracy, distance, age_hours, tuple(flags))
