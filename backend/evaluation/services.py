"""What the evaluation API does: bring the facts up to date, check who may see what, build tables and drill-downs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.accounts.tables import User
from backend.context import AppContext
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.evaluation import engine, facts, followup, scheme
from backend.evaluation.figures import COUNTS, RATES
from backend.evaluation.schemas import (
    Drill,
    DrillPart,
    EvaluationTable,
    FigureName,
    FollowUpItem,
    FollowUpList,
    PeriodOut,
    Previous,
    Row,
    SchemeOut,
)
from backend.evaluation.tables import EvalScheme
from backend.org.tables import Community, District, Street, Unit, UnitGrid


def default_period(tz: str, today: date | None = None) -> tuple[date, date]:
    """This month so far, local."""
    today = today or datetime.now(ZoneInfo(tz)).date()
    return today.replace(day=1), today


def period(ctx: AppContext, first: date | None, last: date | None, as_of: datetime | None) -> engine.Period:
    tz = ctx.settings.timezone
    d_first, d_last = default_period(tz)
    return engine.period(first or (last.replace(day=1) if last else d_first), last or d_last, as_of, tz)


def _period_out(p: engine.Period) -> PeriodOut:
    return PeriodOut(first=p.first, last=p.last, cutoff=p.cutoff)


async def _ready(ctx: AppContext) -> scheme.Scheme:
    await facts.sync(ctx.settings, ctx.engine)
    return await scheme.current()


def own_unit(actor: Actor, unit_id: int | None) -> int | None:
    """A unit's staff see their own unit only; the centre sees every unit."""
    if actor.is_centre:
        return unit_id
    if actor.role is Role.UNIT_STAFF and actor.unit_id is not None:
        if unit_id is not None and unit_id != actor.unit_id:
            raise Forbidden("只能查看本单位的考评", "You may see only your own unit's evaluation",
                            code="evaluation.other_unit")
        return actor.unit_id
    raise Forbidden("你的角色无权查看考评", "Your role may not see the evaluation", code="auth.role_forbidden")


async def check_key(subject: str, key: str, level: str | None) -> Any:
    """The key as stored (int for units and people), or 404 with a stable code when it names nothing."""
    if subject in ("unit", "supervisor", "dispatcher"):
        try:
            value = int(key)
        except ValueError:
            value = 0
        if subject == "unit":
            found = value > 0 and await Unit.exists().where(Unit.id == value)
            if not found:
                raise NotFound(f"没有这个责任单位：{key}", f"No such unit: {key}", code="evaluation.unknown_unit")
        else:
            role = Role.SUPERVISOR if subject == "supervisor" else Role.DISPATCHER
            found = value > 0 and await User.exists().where((User.id == value) & (User.role == role.value))
            if not found:
                raise NotFound(f"没有这个人员：{key}", f"No such person: {key}", code="evaluation.unknown_person")
        return value
    engine._check_level(subject, level)
    tables: dict[str, type[District | Street | Community | UnitGrid]] = {
        "district": District, "street": Street, "community": Community, "grid": UnitGrid}
    table = tables[level or "district"]
    if not await table.exists().where(table.code == key):
        raise NotFound(f"没有这个区域：{key}", f"No such area: {key}", code="evaluation.unknown_area")
    return key


def _names(subject: str) -> tuple[list[FigureName], list[FigureName]]:
    counts = [FigureName(k, c.zh, c.en) for k, c in COUNTS[subject].items()]
    rates = [FigureName(k, r.zh, r.en) for k, r in RATES[subject].items()]
    if subject == "area":
        rates.append(FigureName("cases_per_km2", "每平方公里案件数", "Cases per km²"))
    return counts, rates


async def table(ctx: AppContext, subject: str, p: engine.Period, level: str | None = None, only: Any = None,
                compare: bool = False) -> EvaluationTable:
    s = await _ready(ctx)
    rows = await engine.table(subject, p, s, level, only)
    previous: dict[str, dict[str, Any]] = {}
    before = p.previous(ctx.settings.timezone) if compare else None
    if before is not None:
        previous = {r["key"]: r for r in await engine.table(subject, before, s, level, only)}
    out = []
    for r in rows:
        prev = previous.get(r["key"])
        out.append(msgspec.convert({**r, "previous": None}, Row))
        if prev is not None and before is not None:
            out[-1].previous = Previous(first=before.first, last=before.last, score=prev["score"], grade=prev["grade"],
                                        rates=prev["rates"])
    counts, rates = _names(subject)
    return EvaluationTable(subject=subject, level=level if subject == "area" else None, period=_period_out(p),
                           weights=dict(s.weights[subject]), grades=dict(s.grades), counts=counts, rates=rates,
                           rows=out)


async def drill(ctx: AppContext, subject: str, key: str, figure: str, p: engine.Period,
                level: str | None = None) -> Drill:
    await _ready(ctx)
    value = await check_key(subject, key, level)
    body = await engine.drill(subject, p, figure, value, level)
    denominator = body.get("denominator")
    return Drill(subject=subject, key=key, figure=figure, period=_period_out(p),
                 numerator=msgspec.convert(body["numerator"], DrillPart),
                 denominator=msgspec.convert(denominator, DrillPart) if denominator else None)


async def get_scheme() -> SchemeOut:
    s = await scheme.current()
    return SchemeOut(weights={k: dict(v) for k, v in s.weights.items()}, grades=dict(s.grades))


async def set_scheme(actor: Actor, weights: dict[str, dict[str, float]], grades: dict[str, float]) -> SchemeOut:
    current = await scheme.current()
    merged = {k: {**current.weights[k], **weights.get(k, {})} for k in current.weights}
    new = scheme.validate(merged | {k: v for k, v in weights.items() if k not in merged},
                          {**current.grades, **grades})
    await EvalScheme.insert(EvalScheme(weights=new.as_dict()["weights"], grades=dict(new.grades),
                                       updated_at=datetime.now(UTC), updated_by=actor.id))
    return await get_scheme()



async def followups(ctx: AppContext, actor: Actor, p: engine.Period, status: str) -> FollowUpList:
    if status not in followup.STATUSES:
        raise InvalidInput("status 应为 pending / done / all", "status must be pending, done or all",
                           code="followup.bad_status", details={"allowed": list(followup.STATUSES)})
    await facts.sync(ctx.settings, ctx.engine)
    return await followup.worklist(actor, p, status)


async def record_call(ctx: AppContext, actor: Actor, entry: int, outcome: str, note: str) -> FollowUpItem:
    if outcome not in followup.OUTCOMES:
        raise InvalidInput("回访结果无效", "Unknown outcome", code="followup.bad_outcome",
                           details={"allowed": list(followup.OUTCOMES)})
    if any(ord(c) < 32 and c not in "\n\t" for c in note):  # PostgreSQL refuses a NUL in text
        raise InvalidInput("回访说明含有控制字符", "The note contains control characters", code="followup.bad_note")
    await facts.sync(ctx.settings, ctx.engine)
    return await followup.record(actor, entry, outcome, note.strip())
