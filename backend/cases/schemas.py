"""Wire schemas of the case API (msgspec structs; unknown fields are refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile
from msgspec import Meta, Struct

from backend.redaction.schemas import RedactionOut

Lng = Annotated[float, Meta(ge=-180.0, le=180.0, description="WGS-84 longitude")]
Lat = Annotated[float, Meta(ge=-90.0, le=90.0, description="WGS-84 latitude")]
ShortText = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=2000)]
Code = Annotated[str, Meta(pattern=r"^[0-9A-Za-z]{2,8}$", max_length=8)]
Key = Annotated[str, Meta(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


class ReportIn(Struct, forbid_unknown_fields=True):
    lng: Lng
    lat: Lat
    description: LongText = ""
    address: ShortText = ""
    accuracy_m: Annotated[float, Meta(ge=0, le=100_000)] | None = None
    location_source: Literal["browser", "exif", "manual"] = "browser"
    menu: Annotated[str, Meta(max_length=32)] | None = None
    category_code: Code | None = None
    photo_ids: Annotated[list[int], Meta(max_length=4)] = []
    idempotency_key: Key | None = None


class ReportForm(Struct, forbid_unknown_fields=True):
    """A report as multipart/form-data: ReportIn's fields as form text, with the photos themselves instead of
    photo_ids. lng/lat may be left out when a photo carries GPS (the place then comes from its EXIF)."""

    photos: Annotated[list[UploadFile], Meta(min_length=1, description="1 to SUISHOUPAI_MAX_PHOTOS (4) photo files")]
    lng: Lng | None = None
    lat: Lat | None = None
    description: LongText = ""
    address: ShortText = ""
    accuracy_m: Annotated[float, Meta(ge=0, le=100_000)] | None = None
    location_source: Literal["browser", "exif", "manual"] | None = None
    menu: Annotated[str, Meta(max_length=32)] | None = None
    category_code: Code | None = None
    idempotency_key: Key | None = None


class ActionIn(Struct, forbid_unknown_fields=True):
    note: LongText = ""
    reason: LongText = ""
    result: Literal["confirmed", "not_confirmed", "pass", "fail"] | None = None
    photo_ids: Annotated[list[int], Meta(max_length=8)] = []
    supervisor_id: Annotated[int, Meta(ge=1)] | None = None
    unit_id: Annotated[int, Meta(ge=1)] | None = None
    category_code: Code | None = None
    standard_index: Annotated[int, Meta(ge=0, le=50)] | None = None
    original_case_id: Annotated[int, Meta(ge=1)] | None = None
    extension_hours: Annotated[float, Meta(gt=0, le=24 * 90)] | None = None
    satisfied: bool | None = None
    comment: Annotated[str, Meta(max_length=500)] = ""


class ActionOut(Struct):
    action: str
    name_zh: str
    name_en: str
    required: list[str]


class TimelineOut(Struct):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str
    action: str
    from_state: str
    to_state: str
    note: str
    photo_ids: list[int]
    data: dict[str, object]


class PhotoRef(Struct):
    id: int
    kind: str
    status: str
    thumb_url: str | None
    display_url: str | None
    warnings: list[str]
    # For staff: whether the photo is public yet (faces and plates pixelated) or why not, and the text read from it.
    redaction: RedactionOut | None = None


class UnitRef(Struct):
    id: int
    code: str
    name: str
    name_en: str = ""  # "" when the unit has no English name: show ``name``


class CasePlace(Struct):
    """Where the case is, as the gazetteer names it (stored when the case is made): the areas, the unit grid, the
    nearest named road and landmark with their distances in metres, and how far outside the service area it is."""

    district: str = ""
    street: str = ""
    community: str = ""
    unit_grid: str = ""
    road: str = ""
    road_m: float | None = None
    landmark: str = ""
    landmark_m: float | None = None
    outside_m: float = 0.0


PLACE_FIELDS = tuple(CasePlace.__struct_fields__)


class CaseOut(Struct, tag="staff", tag_field="view"):
    """A case as staff see it: the whole record."""

    id: int
    tracking_no: str
    state: str
    state_zh: str
    state_en: str
    source: str
    reporter_id: int
    description: str
    address: str
    lng: float
    lat: float
    location_source: str
    location_accuracy_m: float | None
    flags: list[str]
    menu: str
    category_code: str
    category_name: str
    category_kind: str
    standard_index: int
    urgent: bool
    time_limit: str
    confidence: float
    classifier_version: str
    suggestions: list[dict[str, object]]
    unit_grid: str
    community: str
    street: str
    district: str
    responsibility_grid: str
    component_id: int | None
    unit: UnitRef | None
    suggested_unit: UnitRef | None
    routing_rule: str
    assigned_supervisor_id: int | None
    duplicate_of: int | None
    likely_duplicate_of: int | None
    created_at: datetime
    updated_at: datetime
    filed_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    reported_back_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    stage_due_at: datetime | None
    time_left_seconds: float | None
    light: str
    rework_count: int
    return_count: int
    reopen_count: int
    rating: int | None
    rating_comment: str
    version: int
    place_text: str = ""  # 娄星区 长青街道 和园社区 · 近春晖大道 (empty for a case made before names were stored)
    place: CasePlace | None = None
    followers: int = 0  # citizens who follow the case (我也遇到 or a second device): how many people it concerns
    priority: bool = False  # 重点: at least the city's follower_priority followers (never while that setting is 0)
    photos: list[PhotoRef] = []
    timeline: list[TimelineOut] = []
    actions: list[ActionOut] = []
    category_name_en: str = ""  # the 小类's English name (its Chinese name when the taxonomy has none)
    time_limit_en: str = ""  # the time limit in English words ("2 emergency hours")


class ReporterTimelineOut(Struct):
    """A step of the case as its reporter sees it: who acted is a role and an organisation, never a person."""

    id: int
    at: datetime
    action: str
    actor_role: str
    actor_zh: str  # e.g. "受理员 · 城市管理指挥中心", "责任单位 · 娄底市环境卫生事务中心"
    actor_en: str
    from_state: str
    to_state: str
    note: str  # only what the reporter wrote, or a fixed public text (a merge), never staff's internal notes
    photo_ids: list[int]
    result: str | None = None  # verify / check outcome


class ReporterPhotoRef(Struct):
    id: int
    kind: str  # report | after
    thumb_url: str | None
    display_url: str | None


class ReporterCaseOut(Struct, tag="reporter", tag_field="view"):
    """A case as the citizen who reported it sees it (PIPL): their report, its progress and the organisation handling
    it. No staff names, no classifier or routing output, no supervision light, no other case's id or number."""

    id: int
    tracking_no: str
    state: str
    state_zh: str
    state_en: str
    description: str
    address: str
    lng: float
    lat: float
    location_source: str
    flags: list[str]  # only the checks of what they sent (location_mismatch, old_photo, outside_area)
    category_code: str  # empty until staff have seen the report (before that it is only the classifier's guess)
    category_name: str
    unit_name: str | None  # the responsible unit handling it
    merged: bool  # merged into another citizen's report of the same problem (which one is not said)
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    due_at: datetime | None
    rating: int | None
    rating_comment: str
    version: int
    place_text: str = ""  # the place's name (its parts, with grid codes, are for staff only)
    photos: list[ReporterPhotoRef] = []
    timeline: list[ReporterTimelineOut] = []
    actions: list[ActionOut] = []
    following: str = ""  # "" my own report; nearby (我也遇到) or device (my report on another phone): followed
    category_name_en: str = ""  # English names, falling back to the Chinese ones
    unit_name_en: str | None = None


# What a case read answers: the full record for staff, the reporter's view for citizens (tagged ``view: "reporter"``).
CaseView = CaseOut | ReporterCaseOut


class CasePage(Struct):
    items: list[CaseView]
    total: int
    page: int
    page_size: int


class PublicCaseOut(Struct):
    """What anyone may see: no reporter, no description, the location rounded to about 100 m."""

    tracking_no: str
    state: str
    state_zh: str
    state_en: str
    category_code: str
    category_name: str
    lng: float
    lat: float
    created_at: datetime
    closed_at: datetime | None
    thumb_urls: list[str]
    category_name_en: str = ""  # the English name, falling back to the Chinese one


class PublicCasePage(Struct):
    items: list[PublicCaseOut]
    total: int
    page: int
    page_size: int


def to_builtins(obj: Struct) -> dict[str, object]:
    out: dict[str, object] = msgspec.to_builtins(obj)
    return out
