"""Case and evaluation exports: the list filters, the row limit, keyset-paged reads and the output formats."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases.lifecycle import STATE_NAMES, State
from backend.cases.tables import Case
from backend.errors import InvalidInput
from backend.exports import writers
from backend.org.tables import Unit
from backend.settings import Settings

FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
           "geojson": ("application/geo+json", "geojson")}
DEFAULT_MAX_ROWS = 1_000_000
BATCH = 2000
LIGHTS = ("green", "yellow", "red")

COLUMNS = (  # (key, 中文, English)
    ("tracking_no", "案件编号", "Tracking no."), ("state", "状态", "State"), ("source", "来源", "Source"),
    ("category_code", "小类代码", "Category code"), ("category_name", "小类", "Category"),
    ("urgent", "紧急", "Urgent"), ("address", "地址", "Address"), ("lng", "经度", "Longitude"),
    ("lat", "纬度", "Latitude"), ("district", "区", "District"), ("street", "街道", "Street"),
    ("community", "社区", "Community"), ("unit_grid", "单元网格", "Unit grid"),
    ("responsibility_grid", "责任网格", "Responsibility grid"), ("unit", "责任单位", "Unit"),
    ("created_at", "上报时间", "Reported"), ("filed_at", "立案时间", "Filed"), ("dispatched_at", "派遣时间", "Dispatched"),
    ("due_at", "处置时限", "Due"), ("closed_at", "结案时间", "Closed"), ("light", "时限灯", "Light"),
    ("rework_count", "返工次数", "Reworks"), ("return_count", "回退次数", "Returns"), ("rating", "评价", "Rating"),
    ("description", "描述", "Description"),
)
_SELECT = [getattr(Case, k) for k, _, _ in COLUMNS if k not in ("unit",)] + [Case.unit, Case.id]


def day_start(day: date | None, tz: str, plus_days: int = 0) -> datetime | None:
    """Local midnight of ``day`` (plus some days) in UTC; None stays None."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=plus_days), time(), ZoneInfo(tz)).astimezone(UTC)


@dataclass(frozen=True)
class CaseFilter:
    """The case list's filters (GET /api/v1/cases): states, category prefix, unit, area code, light, tracking-no
    prefix, and the reporting days."""

    states: tuple[str, ...] = ()
    category: str | None = None
    unit_id: int | None = None
    area: str | None = None
    light: str | None = None
    q: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def clauses(self) -> list[Any]:
        valid = {s.value for s in State}
        for s in self.states:
            if s not in valid:
                raise InvalidInput(f"未知状态：{s}", f"Unknown state: {s}", code="case.unknown_state")
        if self.light and self.light not in LIGHTS:
            raise InvalidInput(f"未知时限灯：{self.light}", f"Unknown light: {self.light}", code="case.unknown_light")
        out: list[Any] = []
        if self.states:
            out.append(Case.state.is_in(list(self.states)))
        if self.category:
            out.append(Case.category_code.like(self.category + "%"))
        if self.unit_id:
            out.append(Case.unit == self.unit_id)
        if self.area:
            a = self.area
            out.append((Case.district == a) | (Case.street == a) | (Case.community == a) | (Case.unit_grid == a)
                       | (Case.responsibility_grid == a))
        if self.light:
            out.append(Case.light == self.light)
        if self.q:
            out.append(Case.tracking_no.like(self.q.strip().upper() + "%"))
        if self.start:
            out.append(Case.created_at >= self.start)
        if self.end:
            out.append(Case.created_at < self.end)
        return out

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in {"states": list(self.states), "category": self.category, "unit_id": self.unit_id,
                                  "area": self.area, "light": self.light, "q": self.q,
                                  "from": self.start.isoformat() if self.start else None,
                                  "to": self.end.isoformat() if self.end else None}.items() if v}


async def count(f: CaseFilter) -> int:
    query = Case.count()
    for clause in f.clauses():
        query = query.where(clause)
    return int(await query)


async def check_size(f: CaseFilter, max_rows: int) -> int:
    rows = await count(f)
    if rows > max_rows:
        raise InvalidInput(f"导出行数 {rows} 超过上限 {max_rows}，请缩小筛选范围",
                           f"{rows} rows exceed the export limit of {max_rows}; narrow the filters",
                           code="export.too_many_rows", details={"rows": rows, "limit": max_rows})
    return rows


async def batches(f: CaseFilter, tz: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Rows in id order, BATCH at a time (keyset paging: each read is an index range, memory stays flat)."""
    zone = ZoneInfo(tz)
    units = {r["id"]: r["name"] for r in await Unit.select(Unit.id, Unit.name)}
    clauses = f.clauses()
    last = 0
    while True:
        query = Case.select(*_SELECT).where(Case.id > last)
        for clause in clauses:
            query = query.where(clause)
        rows = await query.order_by(Case.id).limit(BATCH)
        if not rows:
            return
        last = rows[-1]["id"]
        yield [_row(r, units, zone) for r in rows]
        if len(rows) < BATCH:
            return


def _local(value: Any, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ""


def _row(r: dict[str, Any], units: dict[int, str], zone: ZoneInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, _, _ in COLUMNS:
        value = r.get(key)
        if key == "unit":
            value = units.get(r["unit"] or 0, "")
        elif key == "state":
            value = STATE_NAMES[State(value)][0] if value in State._value2member_map_ else value
        elif key.endswith("_at"):
            value = _local(value, zone)
        elif key == "rating":
            value = "满意" if value == 1 else "不满意" if value == 0 else ""
        elif key == "urgent":
            value = "是" if value else ""
        out[key] = value
    return out


def header(lang: str = "zh") -> list[str]:
    return [zh if lang == "zh" else en for _, zh, en in COLUMNS]


async def case_chunks(settings: Settings, f: CaseFilter, fmt: str,
                      progress: Callable[[int], None] | None = None) -> AsyncIterator[bytes]:
    """The export as byte chunks. XLSX is built in a temporary file first (the format is a zip), then streamed; the
    file is removed whatever happens, an interrupted download included."""
    tz = settings.timezone
    done = 0
    if fmt == "csv":
        yield writers.csv_chunk([], header())
        async for rows in batches(f, tz):
            done += len(rows)
            if progress:
                progress(done)
            yield writers.csv_chunk([list(r.values()) for r in rows])
    elif fmt == "geojson":
        yield writers.geojson_start()
        first = True
        async for rows in batches(f, tz):
            done += len(rows)
            if progress:
                progress(done)
            yield writers.geojson_features(rows, first)
            first = False
        yield writers.geojson_end()
    else:
        with _temp(settings, ".xlsx") as path:
            book = writers.open_book(str(path))
            sheet = writers.XlsxSheet(book, "案件 Cases", header())
            async for rows in batches(f, tz):
                done += len(rows)
                if progress:
                    progress(done)
                sheet.write([list(r.values()) for r in rows])
            book.close()
            async for chunk in _read(path):
                yield chunk


class _temp:
    """A temporary file under the data directory, removed on exit (normal, error or cancellation)."""

    def __init__(self, settings: Settings, suffix: str) -> None:
        folder = Path(settings.data_dir) / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="export-", suffix=suffix, dir=folder)
        os.close(fd)
        self.path = Path(name)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


async def _read(path: Path, size: int = 1 << 16) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


async def evaluation_chunks(settings: Settings, tables: list[Any]) -> AsyncIterator[bytes]:
    """Evaluation tables (EvaluationTable structs) as one XLSX, a sheet each."""
    titles = {"unit": "责任单位 Units", "area": "区域 Areas", "supervisor": "监督员 Supervisors",
              "dispatcher": "派遣员 Dispatchers"}
    with _temp(settings, ".xlsx") as path:
        book = writers.open_book(str(path))
        for t in tables:
            counts = [c.key for c in t.counts]
            rates = [r.key for r in t.rates]
            head = ["名称 Name", "得分 Score", "等级 Grade", *[f"{c.zh} {c.en}" for c in t.counts],
                    *[f"{r.zh} {r.en}" for r in t.rates], "上期得分 Previous score", "上期等级 Previous grade"]
            sheet = writers.XlsxSheet(book, titles[t.subject], head)
            sheet.sheet.write_string(0, len(head) + 1, f"{t.period.first} – {t.period.last}")
            sheet.write([[r.name, r.score, r.grade, *[r.counts.get(c, 0) for c in counts],
                          *[r.rates.get(k) for k in rates],
                          r.previous.score if r.previous else None, r.previous.grade if r.previous else None]
                         for r in t.rows])
        book.close()
        async for chunk in _read(path):
            yield chunk
