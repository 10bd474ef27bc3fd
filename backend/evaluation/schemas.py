"""Wire schemas of the evaluation API."""

from __future__ import annotations

from datetime import date, datetime

from msgspec import Struct


class PeriodOut(Struct):
    first: date
    last: date
    cutoff: datetime  # figures count what the timeline held before this instant


class Previous(Struct):
    first: date
    last: date
    score: float | None
    grade: str | None
    rates: dict[str, float | None]


class Row(Struct):
    key: str  # unit id, area code or user id
    name: str
    counts: dict[str, int]
    rates: dict[str, float | None]
    parts: dict[str, float | None]  # the score's parts, 0–100
    score: float | None
    grade: str | None  # A–E; none when there was nothing to judge
    previous: Previous | None = None


class FigureName(Struct):
    key: str
    zh: str
    en: str


class EvaluationTable(Struct):
    subject: str  # unit | area | supervisor | dispatcher
    level: str | None
    period: PeriodOut
    weights: dict[str, float]
    grades: dict[str, float]
    counts: list[FigureName]
    rates: list[FigureName]
    rows: list[Row]


class DrillCase(Struct):
    case_id: int
    tracking_no: str
    times: dict[str, str | None]


class DrillPart(Struct):
    count: str
    name_zh: str
    name_en: str
    total: int
    truncated: bool
    cases: list[DrillCase]


class Drill(Struct):
    """The cases behind one figure: its numerator's and (for a rate) its denominator's."""

    subject: str
    key: str
    figure: str
    period: PeriodOut
    numerator: DrillPart
    denominator: DrillPart | None = None


class SchemeIn(Struct, forbid_unknown_fields=True):
    weights: dict[str, dict[str, float]] = {}
    grades: dict[str, float] = {}


class SchemeOut(Struct):
    weights: dict[str, dict[str, float]]
    grades: dict[str, float]
