"""The city's own configuration over the files: category changes on the taxonomy and the runtime settings, kept in
the database and applied in every process without a restart.

- **Categories**: a 小类 switched off leaves the citizen menu and the classifier's choices, and cannot be given to a
  new report or chosen again, but cases that have it keep it (their code still resolves). A city's own 小类 goes under
  an existing 大类 with the next free number (C01 → C0199 style codes of the file). Changed time limits apply to
  cases classified from then on; cases already running keep the limit they were given.
- **Settings**: ``backend/org/runtime.py`` says which; ``ctx.settings`` becomes settings.py's values with the stored
  ones on top.

Propagation: each process reads ``runtime.stamp()`` — in every triage job (inside ``Triage.refresh``'s one query, so
duplicates, auto-dispatch and classification use the newest values), every few seconds in a loop (``sync_loop``) for the request path, and at once
in the process that made the change.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from backend.cases.timelimits import parse_time_limit
from backend.context import AppContext
from backend.db import write_transaction
from backend.errors import Conflict, InvalidInput
from backend.loops import Loop
from backend.org import runtime
from backend.org.tables import CategorySetting
from backend.settings import Settings
from backend.triage.taxonomy import Category, Standard, Taxonomy, load_taxonomy

log = logging.getLogger("suishoupai.cityconfig")

SYNC_SECONDS = 5.0  # how soon another process serves changed values on the request path
CODE = re.compile(r"^[CE]\d{4}$")


# ---------------------------------------------------------------- applying the city's rows to the taxonomy file


def _with_limits(category: Category, limits: list[str]) -> Category:
    standards = tuple(
        replace(s, time_limit=parse_time_limit(limits[i])) if i < len(limits) and limits[i] else s
        for i, s in enumerate(category.standards))
    return replace(category, standards=standards)


def _addition(record: dict[str, Any]) -> Category:
    return Category(code=record["code"], kind=record["kind"], major_code=record["major_code"],
                    major_name=record["major_name"], name=record["name"], synonyms=tuple(record.get("synonyms", ())),
                    standards=tuple(Standard(s["filing_condition"], s.get("closing_condition", ""),
                                             parse_time_limit(s["time_limit"]), bool(s.get("urgent", False)))
                                    for s in record["standards"]),
                    department=record.get("department", ""), supervising_department="",
                    synonyms_en=tuple(record.get("synonyms_en", ())), major_name_en=record.get("major_name_en", ""))


def apply(base: Taxonomy, rows: list[dict[str, Any]]) -> Taxonomy:
    """The file's taxonomy with the city's rows on top. A row the file no longer fits (a code gone, a bad limit) is
    skipped with a warning rather than stopping the city."""
    by_code = {r["code"]: r for r in rows}
    categories: list[Category] = []
    for c in base.categories:
        row = by_code.get(c.code)
        categories.append(_with_limits(c, list(row["time_limits"] or [])) if row else c)
    for row in rows:
        if not row["addition"] or base.has(row["code"]):
            continue
        try:
            categories.append(_with_limits(_addition(row["addition"]), list(row["time_limits"] or [])))
        except (KeyError, TypeError, ValueError, InvalidInput):
            log.warning("city category %s is malformed: left out", row["code"])
    # A city 小类 sits with its 大类 (the 大类 order of the file is kept).
    order = {m: i for i, m in enumerate(base.majors)}
    categories.sort(key=lambda c: (order.get(c.major_code, len(order)), c.code))
    disabled = frozenset(r["code"] for r in rows if not r["enabled"])
    menu = tuple(replace(m, codes=tuple(c for c in m.codes if c not in disabled)) for m in base.menu)
    if menu:  # a city 小类 that no icon lists goes under the catch-all icon (其他)
        listed = {c for m in menu for c in m.codes}
        extra = tuple(c.code for c in categories if c.code not in listed and c.code not in disabled)
        menu = tuple(replace(m, codes=m.codes + extra) if m.catch_all else m for m in menu)
    menu = tuple(m for m in menu if m.codes or m.catch_all)
    return Taxonomy(tuple(categories), menu, base.condition_cues, base.metadata, disabled=disabled)


async def category_rows() -> list[dict[str, Any]]:
    return list(await CategorySetting.select().output(load_json=True).order_by(CategorySetting.code))


# ---------------------------------------------------------------- keeping every process current


@dataclass
class CityConfig:
    """One per process (``ctx.extras["cityconfig"]``): the defaults it started from and the stamp last applied."""

    base_settings: Settings
    base_taxonomy: Taxonomy
    seen: tuple[Any, ...] | None = None

    async def sync(self, ctx: AppContext, force: bool = False, current: tuple[Any, ...] | None = None) -> bool:
        """Apply the stored settings and category changes when they moved since the last look (``current``: the stamp
        as just read with other things); True when they did."""
        current = current or await runtime.stamp()
        if current == self.seen and not force:
            return False
        values = {k: v["value"] for k, v in (await runtime.stored()).items()}
        settings = runtime.effective(self.base_settings, values)
        taxonomy = apply(self.base_taxonomy, await category_rows())
        ctx.settings = settings
        if ctx.triage is not None:
            ctx.triage.settings = settings
            ctx.triage.taxonomy = taxonomy
        self.seen = current
        return True


def city_config(ctx: AppContext) -> CityConfig:
    config = ctx.extras.get("cityconfig")
    if config is None:
        config = ctx.extras["cityconfig"] = CityConfig(ctx.settings, load_taxonomy(ctx.settings.taxonomy_path or None))
    return config


async def sync(ctx: AppContext) -> None:
    await city_config(ctx).sync(ctx)


def sync_loop(ctx: AppContext) -> Loop:
    async def round_() -> bool:
        await sync(ctx)
        return False

    return Loop("cityconfig-sync", round_, SYNC_SECONDS)


# ---------------------------------------------------------------- what the admin screens change


def next_code(taxonomy: Taxonomy, major_code: str) -> str:
    """The next free 小类 number under a 大类, as the file numbers them (C01 → C0105 after C0104)."""
    used = [int(c.code[-2:]) for c in taxonomy.categories if c.major_code == major_code and CODE.match(c.code)]
    number = max(used, default=0) + 1
    if number > 99:
        raise Conflict(f"大类 {major_code} 的小类编号已用完", f"No 小类 number is left under {major_code}",
                       code="taxonomy.codes_exhausted")
    return f"{major_code}{number:02d}"


def check_limits(category: Category, limits: list[str]) -> list[str]:
    if len(limits) != len(category.standards):
        raise InvalidInput(f"{category.code} 有 {len(category.standards)} 条立案标准，需给出同样多的时限",
                           f"{category.code} has {len(category.standards)} standards: give one limit for each",
                           code="taxonomy.bad_time_limits", details={"standards": len(category.standards)})
    return [parse_time_limit(x).raw if x.strip() else "" for x in limits]


async def _write(code: str, actor_id: int | None, **values: Any) -> None:
    now = datetime.now(UTC)
    async with write_transaction(CategorySetting._meta.db):
        if await CategorySetting.exists().where(CategorySetting.code == code):
            await CategorySetting.update({getattr(CategorySetting, k): v for k, v in values.items()}
                                         | {CategorySetting.updated_at: now, CategorySetting.updated_by: actor_id}
                                         ).where(CategorySetting.code == code)
        else:
            await CategorySetting.insert(CategorySetting(code=code, updated_at=now, updated_by=actor_id, **values))


async def change_category(ctx: AppContext, code: str, actor_id: int | None, enabled: bool | None,
                          time_limits: list[str] | None) -> None:
    """Switch a 小类 on or off and/or set its limits (standard order; "" keeps the file's limit)."""
    category = ctx.triage.taxonomy.get(code)
    values: dict[str, Any] = {}
    if enabled is not None:
        values["enabled"] = enabled
    if time_limits is not None:
        base = city_config(ctx).base_taxonomy
        limits = check_limits(category, time_limits)
        if base.has(category.code):  # the file's own limit is no change: store "" so the file stays the source
            limits = [x if x != s.time_limit.raw else "" for x, s in zip(limits, base.get(category.code).standards)]
        values["time_limits"] = limits if any(limits) else []
    if values:
        await _write(category.code, actor_id, **values)
        await city_config(ctx).sync(ctx, force=True)


async def add_category(ctx: AppContext, actor_id: int | None, major_code: str, name: str, synonyms: list[str],
                       department: str, standards: list[dict[str, str]]) -> Category:
    """A city 小类 under an existing 大类, numbered after the file's 小类 of that 大类."""
    taxonomy = ctx.triage.taxonomy
    major = next((c for c in taxonomy.categories if c.major_code == major_code.upper()), None)
    if major is None:
        raise InvalidInput(f"没有这个大类：{major_code}", f"No such 大类 (major category): {major_code}",
                           code="taxonomy.unknown_major", details={"majors": list(taxonomy.majors)})
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("小类名称应为 1–64 个字符", "The name must be 1–64 characters", code="taxonomy.bad_name")
    if any(c.name == name and c.major_code == major.major_code for c in taxonomy.categories):
        raise Conflict(f"{major.major_name} 下已有小类“{name}”", f"{major.major_name} already has a 小类 named {name}",
                       code="taxonomy.name_taken")
    if not standards:
        raise InvalidInput("至少需要一条立案标准", "Give at least one standard", code="taxonomy.bad_standards")
    for s in standards:
        if not s.get("filing_condition", "").strip():
            raise InvalidInput("立案条件不能为空", "A filing condition is required", code="taxonomy.bad_standards")
        parse_time_limit(s.get("time_limit", ""))
    code = next_code(taxonomy, major.major_code)
    record = {"code": code, "kind": major.kind, "major_code": major.major_code, "major_name": major.major_name,
              "major_name_en": major.major_name_en,
              "name": name, "synonyms": [x.strip() for x in synonyms if x.strip()], "department": department.strip(),
              "standards": [{"filing_condition": s["filing_condition"].strip(),
                             "closing_condition": s.get("closing_condition", "").strip(),
                             "time_limit": parse_time_limit(s["time_limit"]).raw,
                             "urgent": parse_time_limit(s["time_limit"]).is_emergency} for s in standards]}
    await _write(code, actor_id, addition=record)
    await city_config(ctx).sync(ctx, force=True)
    return ctx.triage.taxonomy.get(code)
