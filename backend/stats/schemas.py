"""Wire schemas of the statistics API (compact: the centre's map may hold thousands of points)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct


class MapCase(Struct):
    id: int
    tracking_no: str
    state: str
    state_zh: str
    state_en: str
    light: str
    lng: float
    lat: float
    category_code: str
    category_name: str
    responsibility_grid: str
    unit_name: str
    category_name_en: str = ""  # English names, falling back to the Chinese ones
    unit_name_en: str = ""


class MapCases(Struct):
    items: list[MapCase]
    total: int
    truncated: bool


class BoardCase(Struct):
    id: int
    tracking_no: str
    state: str
    state_zh: str
    state_en: str
    light: str
    category_name: str
    unit_id: int | None
    unit_name: str
    address: str
    due_at: datetime | None
    time_left_seconds: float | None
    lng: float = 0.0  # where it is: the wall screen's map draws the red ones
    lat: float = 0.0
    category_name_en: str = ""  # English names, falling back to the Chinese ones
    unit_name_en: str = ""


class LightCounts(Struct):
    green: int = 0
    yellow: int = 0
    red: int = 0


class OverdueBoard(Struct):
    """Counts per light of every case with a unit, and the yellow and red ones, most overdue first."""

    counts: LightCounts
    items: list[BoardCase]


class Heatmap(Struct):
    """Points as [lng, lat, weight]: cases binned to about 100 m, or to ~16 screen pixels at the zoom asked for."""

    points: list[tuple[float, float, int]]
    total: int
    max_weight: int
    cell_degrees: float = 0.001
    truncated: bool = False  # only the densest bins were sent


class SeriesPoint(Struct):
    bucket: str  # the bucket's first local day, YYYY-MM-DD ("all" without buckets)
    count: int


class Series(Struct):
    key: str
    name: str
    total: int
    points: list[SeriesPoint]


class Counts(Struct):
    """Cases reported in a range, counted per value of one dimension and per day, week or month (local time)."""

    by: str
    bucket: str
    buckets: list[str]
    total: int
    series: list[Series]
