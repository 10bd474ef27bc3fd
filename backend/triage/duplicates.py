"""Likely duplicates (只报一次): an open case of the same 小类 close by and recent, or one with a near-identical photo.

Policy:

- **Distance**: an OPEN case of the *same 小类* within ``duplicate_radius_m`` and reported at most
  ``duplicate_window_hours`` before this one. The SQL prefilter is a bounding box on (category_code, created_at, lat,
  lng), served by the index ``case_dup_prefilter``; the exact great-circle distance is checked in Python. The nearest
  wins (then the oldest).
- **Photo**: a report photo whose perceptual hash (64-bit dHash) is within ``PHASH_MAX_DISTANCE`` bits of a report
  photo of an open case, or whose bytes are identical (sha256, indexed, any age). Near-identical hashes are compared
  against open cases reported within ``PHOTO_WINDOW_FACTOR`` × the duplicate window (24 h), which keeps the check fast at
  scale. A photo match counts only when the two categories agree, or when either case has no category yet: a photo
  never links across two different 小类.
- A match is only a *candidate*: the case gets ``likely_duplicate_of`` and the flag ``likely_duplicate``; an operator
  confirms with ``link_duplicate``. Candidates are always older cases, so two reports never point at each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backend.cases.lifecycle import OPEN_STATES
from backend.cases.tables import Case
from backend.geo import haversine_m
from backend.photos.tables import Photo
from backend.settings import Settings

PHASH_MAX_DISTANCE = 8
PHOTO_WINDOW_FACTOR = 1  # near-identical photos: open cases of the same window as distance (24 h); identical bytes: any age
OPEN = [s.value for s in OPEN_STATES]
_M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True)
class Candidate:
    case_id: int
    reason: str  # distance | photo
    distance_m: float | None = None
    hamming: int | None = None

    def as_data(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reason": self.reason, "distance_m": self.distance_m, "hamming": self.hamming}


def bbox(lng: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    dlat = radius_m / _M_PER_DEG_LAT
    dlng = radius_m / (_M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return lng - dlng, lat - dlat, lng + dlng, lat + dlat


def window_query(settings: Settings, case: Any) -> Any:
    """Open, older cases of the same 小类 reported within the window before ``case`` (no place condition)."""
    since = case.created_at - timedelta(hours=settings.duplicate_window_hours)
    return Case.select(Case.id, Case.lng, Case.lat).where(
        (Case.category_code == case.category_code)
        & (Case.created_at >= since)
        & (Case.created_at <= case.created_at)
        & (Case.id != case.id)
        & Case.state.is_in(OPEN)
    )


def nearest(settings: Settings, case: Any, rows: list[dict[str, Any]]) -> Candidate | None:
    """The nearest of ``rows`` within the radius (ties: the oldest); a later report is never the original."""
    best: tuple[float, int] | None = None
    for row in rows:
        if row["id"] > case.id:
            continue
        d = haversine_m(case.lng, case.lat, row["lng"], row["lat"])
        if d <= settings.duplicate_radius_m and (best is None or (d, row["id"]) < best):
            best = (d, row["id"])
    return Candidate(best[1], "distance", distance_m=round(best[0], 1)) if best else None


async def by_distance(settings: Settings, case: Any) -> Candidate | None:
    """The nearest open, older case of the same 小类 within the radius and window: the window query narrowed to the
    radius's bounding box in SQL (index ``case_dup_prefilter``), the exact distance checked here."""
    if not case.category_code:
        return None
    w, s, e, n = bbox(case.lng, case.lat, settings.duplicate_radius_m)
    query = window_query(settings, case).where((Case.lat >= s) & (Case.lat <= n) & (Case.lng >= w) & (Case.lng <= e))
    return nearest(settings, case, await query)


def _categories_agree(a: str, b: str) -> bool:
    return not a or not b or a == b


async def _window_photos(settings: Settings, case: Any) -> list[dict[str, Any]]:
    """The report photos of ``case`` itself and of every case reported in its window whose category could agree.

    One query driven by the cases (a subquery on an index), then their photos (index on photo.case): a join filtered
    on the case side lets SQLite walk every photo ever taken, and a state filter in SQL makes it pick the state index
    (the callers check state and order). A case with a 小类 only needs cases of the same 小类 or of none, which the
    index case_dup_prefilter serves.
    """
    since = case.created_at - timedelta(hours=settings.duplicate_window_hours * PHOTO_WINDOW_FACTOR)
    recent = Case.select(Case.id).where(Case.created_at >= since)
    if case.category_code:
        recent = recent.where(Case.category_code.is_in([case.category_code, ""]))
    return list(await Photo.select(Photo.case, Photo.sha256, Photo.phash, Photo.case.state.as_alias("state")).where(
        ((Photo.case == case.id) | Photo.case.is_in(recent)) & (Photo.kind == "report")
    ))


async def by_photo(settings: Settings, case: Any) -> Candidate | None:
    """An older open case with an identical or near-identical report photo and a compatible category."""
    window = await _window_photos(settings, case)
    mine = [p for p in window if p["case"] == case.id]
    if not mine:
        return None
    shas = [p["sha256"] for p in mine if p["sha256"]]
    hashes = [p["phash"] for p in mine if len(p["phash"] or "") == 16]
    columns = (Photo.case, Photo.phash, Photo.sha256, Photo.case.category_code.as_alias("code"))
    base = (Photo.case != case.id) & (Photo.case < case.id) & (Photo.kind == "report") & Photo.case.state.is_in(OPEN)
    found: list[tuple[int, int]] = []  # (hamming, case id)
    if shas:
        for row in await Photo.select(*columns).where(base & Photo.sha256.is_in(shas)):
            if _categories_agree(case.category_code, row["code"]):
                found.append((0, row["case"]))
    if hashes and not found:
        mine_bits = [int(h, 16) for h in hashes]
        for row in window:
            if row["case"] >= case.id or row["state"] not in OPEN or len(row["phash"] or "") != 16:
                continue
            distance = min((m ^ int(row["phash"], 16)).bit_count() for m in mine_bits)
            if distance <= PHASH_MAX_DISTANCE:
                found.append((distance, row["case"]))
    if not found:
        return None
    distance, case_id = min(found)
    return Candidate(case_id, "photo", hamming=distance)


async def find_duplicate(settings: Settings, case: Any) -> Candidate | None:
    """The likely original of ``case``: by distance first (same 小类), else by photo."""
    return await by_distance(settings, case) or await by_photo(settings, case)


def mark(case: Any, candidate: Candidate | None) -> None:
    """Record the candidate (or clear a stale one) on the case object; the caller saves it."""
    flags = [f for f in case.flags or [] if f != "likely_duplicate"]
    case.likely_duplicate_of = candidate.case_id if candidate else None
    if candidate:
        flags.append("likely_duplicate")
    case.flags = flags
