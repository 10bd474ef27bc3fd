"""The statistics' day counts (backend/cases/daycounts.py) give exactly what counting the cases themselves gives.

Generated cases written straight into ``case`` (as an existing database holds them, before the day counts existed)
are built into day counts on the first read; a case that changes state, unit or category moves between rows; cases
reported on either side of the city's midnight (Asia/Shanghai, UTC+8) land on their local day. Every dimension and
bucket is compared with ``counts.direct`` (the GROUP BY over ``case``) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from backend.app import create_app
from backend.cases import daycounts
from backend.cases.tables import Case, CaseDayCount, CaseDayCountBuild
from backend.db import close_database, open_database, write_transaction
from backend.settings import Settings
from backend.stats import counts
from tests.helpers import act, login, report

TZ = "Asia/Shanghai"
# 2026-03-01 23:59:59 and 2026-03-02 00:00:00 in Beijing: one second apart, on two local days (and in two months
# when the day is the last of one: 2026-03-31 / 2026-04-01).
MIDNIGHTS = [datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC),
             datetime(2026, 3, 31, 15, 59, 59, 999000, tzinfo=UTC), datetime(2026, 3, 31, 16, 0, tzinfo=UTC)]
CATEGORIES = [("C0101", "井盖缺失"), ("C0102", "井盖破损"), ("E0201", "乱堆物料"), ("", "")]
STATES = ["new", "pending_filing", "dispatched", "closed", "voided"]


def _midnight(day: date) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, datetime.min.time(), ZoneInfo(TZ)).astimezone(UTC)


RANGES: list[tuple[datetime | None, datetime | None]] = [
    (None, None), (_midnight(date(2026, 3, 2)), _midnight(date(2026, 4, 1))),
    (_midnight(date(2026, 2, 20)), _midnight(date(2026, 3, 2))), (None, _midnight(date(2026, 3, 15))),
]


async def _generate(n: int) -> None:
    from backend.accounts.tables import User
    from backend.org.tables import Unit

    rng = random.Random(15)
    units = [r["id"] for r in await Unit.select(Unit.id)][:4] + [None]
    reporter = (await User.select(User.id).first())["id"]  # type: ignore[index]
    areas = [("431302", "431302001", "431302001001"), ("431302", "431302002", "431302002003"),
             ("431381", "431381001", "431381001002")]
    rows = []
    for i in range(n):
        at = MIDNIGHTS[i] if i < len(MIDNIGHTS) else datetime(2026, 2, 15, tzinfo=UTC) + timedelta(
            seconds=rng.uniform(0, 75 * 86400))
        code, name = rng.choice(CATEGORIES)
        district, street, community = rng.choice(areas)
        rows.append(Case(tracking_no=f"G{i:06d}", state=rng.choice(STATES),
                         source=rng.choice(["citizen", "supervisor", "open311"]), reporter=reporter, lng=112.0,
                         lat=27.7, category_code=code, category_name=name, unit=rng.choice(units), district=district,
                         street=street, community=community, unit_grid=community + "01", created_at=at,
                         updated_at=at))
    await Case.insert(*rows)


async def _compare(settings: Settings, engine: Any) -> int:
    """Every dimension, bucket and range (with and without a category) through the day counts and directly."""
    compared = 0
    for by in daycounts.DIMENSIONS:
        for bucket in counts.BUCKETS:
            for start, end in RANGES:
                if bucket == "day" and start is None:
                    continue  # the API refuses a day series without a range; the direct query would work either way
                for category in (None, "C01"):
                    fast = await counts.counts(settings, engine, by, bucket, start, end, category)
                    slow = await counts.direct(settings, engine, by, bucket, start, end, category)
                    assert fast == slow, (by, bucket, start, end, category)
                    compared += fast.total
    return compared


async def _generated_then_changed(settings: Settings) -> None:
    engine = await open_database(settings)
    try:
        await _generate(300)
        assert not await daycounts.built(TZ)
        assert await _compare(settings, engine) > 0  # the first read built them from ``case``
        assert await daycounts.built(TZ) and await CaseDayCount.count() > 0
        assert await daycounts.ensure(engine, TZ) is False  # built once
        # The midnight cases: on their local days.
        days = await counts.counts(settings, engine, "source", "day", _midnight(date(2026, 3, 1)),
                                   _midnight(date(2026, 4, 3)))
        assert {"2026-03-01", "2026-03-02", "2026-03-31", "2026-04-01"} <= set(days.buckets)
        # Cases change as the recorder changes them (state, unit, category; the midnight ones too): their rows move.
        for case in await Case.objects().where(Case.tracking_no.is_in(["G000000", "G000001", "G000003", "G000010"])):
            before = daycounts.keys(case, TZ)
            case.state, case.unit, case.category_code, case.category_name = "closed", None, "C0102", "井盖破损"
            async with write_transaction(engine):
                await case.save()
                await daycounts.apply(engine, daycounts.delta(before, daycounts.keys(case, TZ)))
        await _compare(settings, engine)
        # Another time zone: built again.
        other = dataclasses.replace(settings, timezone="UTC")
        assert await daycounts.ensure(engine, "UTC") is True
        assert await CaseDayCountBuild.count() == 1
        await _compare(other, engine)
    finally:
        await close_database(engine)


def test_day_counts_equal_the_direct_counts_on_generated_cases(settings: Settings) -> None:
    asyncio.run(_generated_then_changed(settings))


def test_a_case_counts_on_its_local_day() -> None:
    case = Case(created_at=MIDNIGHTS[0], category_code="C0101", category_name="井盖缺失", state="new", source="citizen")
    assert {k[1] for k in daycounts.keys(case, TZ) or ()} == {date(2026, 3, 1)}
    case.created_at = MIDNIGHTS[1]
    assert {k[1] for k in daycounts.keys(case, TZ) or ()} == {date(2026, 3, 2)}
    assert daycounts.aligned(_midnight(date(2026, 3, 2)), TZ) and not daycounts.aligned(MIDNIGHTS[0], TZ)


def test_the_case_recorder_keeps_the_day_counts(settings: Settings) -> None:
    """Reports, a reclassification, filing and a dispatch through the API, after the counts were built: the day
    counts (never rebuilt) equal the direct counts for every dimension."""
    with TestClient(create_app(settings)) as client:
        citizen, op, lead, disp = (login(client, u) for u in ("citizen01", "operator01", "shiftlead01", "dispatcher01"))
        first = report(client, citizen)
        assert client.get("/api/v1/stats/counts", params={"by": "state"}, headers=op).status_code == 200  # builds
        second = report(client, citizen)
        act(client, op, first["id"], "reclassify", category_code="C0101")
        act(client, op, first["id"], "accept_report")
        act(client, lead, first["id"], "file")
        unit_id = client.get("/api/v1/me", headers=login(client, "staff_ld_water")).json()["unit_id"]
        act(client, disp, first["id"], "dispatch", unit_id=unit_id)
        act(client, op, second["id"], "void", reason="测试作废")
        body = client.get("/api/v1/stats/counts", params={"by": "unit", "bucket": "day"}, headers=op).json()
        assert body["total"] == 2 and str(unit_id) in {s["key"] for s in body["series"]}

    async def check() -> None:
        engine = await open_database(settings)
        try:
            built_at = (await CaseDayCountBuild.select(CaseDayCountBuild.built_at).first())["built_at"]  # type: ignore[index]
            assert await daycounts.ensure(engine, settings.timezone) is False
            states = await counts.counts(settings, engine, "state", "none", None, None)
            assert {s.key: s.total for s in states.series} == {"dispatched": 1, "voided": 1}
            for by in daycounts.DIMENSIONS:
                for bucket in counts.BUCKETS:
                    assert await counts.counts(settings, engine, by, bucket, None, None) == await counts.direct(
                        settings, engine, by, bucket, None, None), (by, bucket)
            assert (await CaseDayCountBuild.select(CaseDayCountBuild.built_at).first())["built_at"] == built_at  # type: ignore[index]
        finally:
            await close_database(engine)

    asyncio.run(check())
