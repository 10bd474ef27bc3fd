"""Wire schemas of the evaluation API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct


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


class Contact(Struct):
    name: str  # empty for an anonymous device's report
    phone: str  # empty when the citizen left none


class FollowUpCallOut(Struct):
    at: datetime
    caller_name: str
    outcome: str
    outcome_zh: str
    outcome_en: str
    note: str


class FollowUpItem(Struct):
    """A dissatisfied rating or a reopening to call the citizen back about (回访)."""

    entry: int  # the timeline entry of the rating or reopening
    kind: str  # dissatisfied | reopened
    case_id: int
    tracking_no: str
    at: datetime
    category_name: str
    unit_name: str
    words: str  # what the citizen wrote with it
    status: str  # pending | done
    contact: Contact | None  # only for the roles that make the calls
    contact_hidden: bool
    calls: list[FollowUpCallOut]


class FollowUpList(Struct):
    items: list[FollowUpItem]
    total: int
    truncated: bool
    pending: int
    done: int
    contact_hidden: bool


class FollowUpCallIn(Struct, forbid_unknown_fields=True):
    outcome: str  # resolved | dissatisfied | unreachable | refused
    note: Annotated[str, Meta(max_length=500)] = ""
