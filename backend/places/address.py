"""An address as people say it: district › street › community, near a named road or landmark, and where it is not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Address:
    """What reverse geocoding found for a point. Codes as in the org tables; names as people say them.

    ``outside_m`` is 0 inside the service area, else how far the nearest unit grid is (the names are that grid's)."""

    lng: float
    lat: float
    district_code: str
    district: str
    street_code: str
    street: str
    community_code: str
    community: str
    unit_grid: str
    responsibility_grid: str
    road: str = ""
    road_m: float | None = None
    landmark: str = ""
    landmark_m: float | None = None
    outside_m: float = 0.0

    @property
    def near(self) -> str:
        """``近春晖大道、乐坪公园``, or '' when nothing named is close."""
        names = [n for n in (self.road, self.landmark) if n]
        return "近" + "、".join(names) if names else ""

    @property
    def text(self) -> str:
        """``娄星区 长青街道 和园社区 · 近春晖大道``; a point outside the service area says how far out it is."""
        area = " ".join(n for n in (self.district, self.street, self.community) if n)
        parts = [area, self.near] if self.near else [area]
        if self.outside_m > 0:
            parts.append(f"服务区外 {round(self.outside_m)} 米")
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """Every field and ``text``: what to store with a case (JSON) or send over the wire."""
        return {**asdict(self), "text": self.text}
