"""Choosing a photo report's position between the browser's and the photo's EXIF (distances from ``backend.geo``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.geo import haversine_m

MISMATCH_M = 500.0
OLD_PHOTO = timedelta(hours=24)


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
        distance = haversine_m(browser[1], browser[0], exif[1], exif[0])
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
