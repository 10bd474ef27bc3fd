"""Wire schemas of the organisation API: routing rules, units, components and GeoJSON (msgspec; unknown input refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

Name = Annotated[str, Meta(min_length=1, max_length=128)]
Note = Annotated[str, Meta(max_length=2000)]
CategoryPrefix = Annotated[str, Meta(pattern=r"^[A-Za-z0-9]{0,8}$")]
AreaPrefix = Annotated[str, Meta(pattern=r"^[0-9]{0,15}$")]
UnitCode = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{2,32}$")]
AreaCode = Annotated[str, Meta(pattern=r"^([0-9]{6}|[0-9]{9}|[0-9]{12})$")]


class RuleIn(Struct, forbid_unknown_fields=True):
    name: Name
    target: Literal["owner", "maintainer", "unit", "street_office"]
    priority: Annotated[int, Meta(ge=0, le=100_000)] = 100
    kind: Literal["component", "event", "any"] = "any"
    category_prefix: CategoryPrefix = ""
    area_prefix: AreaPrefix = ""
    unit_id: Annotated[int, Meta(ge=1)] | None = None
    active: bool = True
    note: Note = ""


class RuleOut(Struct):
    id: int
    label: str
    name: str
    priority: int
    kind: str
    category_prefix: str
    area_prefix: str
    target: str
    unit_id: int | None
    active: bool
    note: str


class UnitIn(Struct, forbid_unknown_fields=True):
    code: UnitCode
    name: Name
    kind: Annotated[str, Meta(pattern=r"^[a-z_]{2,32}$")]
    contact: Annotated[str, Meta(max_length=64)] = ""
    phone: Annotated[str, Meta(max_length=32)] = ""
    categories: Annotated[list[str], Meta(max_length=1000)] = []
    areas: Annotated[list[AreaCode], Meta(max_length=200)] = []
    active: bool = True
    name_en: Annotated[str, Meta(max_length=128)] | None = None  # None (absent): keep the stored English name


class UnitOut(Struct):
    id: int
    code: str
    name: str
    kind: str
    contact: str
    phone: str
    categories: list[str]
    areas: list[str]
    active: bool
    name_en: str = ""  # "" when the unit has no English name: show ``name``


class PointIn(Struct, forbid_unknown_fields=True):
    type: Literal["Point"]
    coordinates: Annotated[list[float], Meta(min_length=2, max_length=3)]


class ComponentPropsIn(Struct, forbid_unknown_fields=True):
    id: UnitCode
    category: Annotated[str, Meta(pattern=r"^[A-Za-z0-9]{2,8}$")]
    name: Annotated[str, Meta(max_length=128)] = ""
    owner: str = ""
    maintainer: str = ""
    unit_grid: str = ""
    status: Literal["normal", "damaged", "removed"] = "normal"


class ComponentFeatureIn(Struct, forbid_unknown_fields=True):
    type: Literal["Feature"]
    geometry: PointIn
    properties: ComponentPropsIn


class ComponentCollectionIn(Struct, forbid_unknown_fields=True):
    type: Literal["FeatureCollection"]
    features: Annotated[list[ComponentFeatureIn], Meta(max_length=50_000)]


class ImportOut(Struct):
    added: int
    updated: int


class Feature(Struct):
    geometry: dict[str, Any]
    properties: dict[str, Any]
    type: str = "Feature"


class FeatureCollection(Struct):
    features: list[Feature]
    type: str = "FeatureCollection"
    truncated: bool = False


class ProblemOut(Struct):
    """One reason an import was refused: the dataset, the line (CSV line or spreadsheet row, the header being 1; GeoJSON
    feature from 1; 0 the whole file), the field, and the reason in Chinese and English."""

    dataset: str
    line: int
    field: str
    reason_zh: str
    reason_en: str


class OutcomeOut(Struct):
    dataset: str
    rows: int
    added: int
    updated: int
    removed: int


class ImportReportOut(Struct):
    applied: bool  # False: a dry run, or refused (see problems); nothing was kept
    revision: int  # the organisation revision the import created (0 when not applied)
    outcomes: list[OutcomeOut]
    problems: list[ProblemOut]


class DatasetOut(Struct):
    name: str
    formats: list[str]  # export formats; imports read CSV, XLSX and GeoJSON (geometry datasets GeoJSON only)
    count: int


class OrgImportOut(Struct):
    id: int
    at: str
    by_name: str
    datasets: list[str]
    summary: dict[str, Any]


class TransferOut(Struct):
    datasets: list[DatasetOut]
    imports: list[OrgImportOut]
