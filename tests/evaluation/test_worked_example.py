"""docs/evaluation.md's worked example, asserted with the numbers computed there by hand; "as of" a date; and a
closed period that recomputes identically after later changes (new entries, a changed case row, a new limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from backend.cases.tables import Case
from backend.db import close_database, open_database
from backend.evaluation import engine as ev
from backend.evaluation.facts import sync
from backend.evaluation.scheme import DEFAULT
from backend.settings import Settings
from tests.evaluation.example import City, build, entry, t

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Any]:
    engine = await open_database(settings)
    try:
        yield engine
    finally:
        await close_database(engine)


@pytest.fixture
async def example(settings: Settings, db: Any) -> tuple[City, dict[str, int]]:
    city = await City().load()
    ids = await build(city)
    await sync(settings, db)
    return city, ids


def _row(rows: list[dict[str, Any]], key: Any) -> dict[str, Any]:
    return next(r for r in rows if r["key"] == str(key))


async def _tables(settings: Settings, as_of: Any = None) -> dict[str, list[dict[str, Any]]]:
    p = ev.period(*MARCH, as_of, settings.timezone)
    return {
        "unit": await ev.table("unit", p, DEFAULT),
        "area": await ev.table("area", p, DEFAULT, level="district"),
        "supervisor": await ev.table("supervisor", p, DEFAULT),
        "dispatcher": await ev.table("dispatcher", p, DEFAULT),
    }


async def test_the_worked_example_of_the_docs(settings: Settings, example: tuple[City, dict[str, int]]) -> None:
    city, _ = example
    tables = await _tables(settings)

    a = _row(tables["unit"], city.unit_a)
    assert a["counts"] == {"due": 5, "on_time": 3, "closed": 3, "handled": 4, "reworks": 1, "rated": 2,
                           "satisfied": 1}
    assert a["rates"] == {"on_time_rate": 0.6, "closure_rate": 0.6, "rework_rate": 0.25, "satisfaction_rate": 0.5}
    assert a["parts"] == {"volume": 100.0, "closure": 60.0, "on_time": 60.0, "rework": 75.0}
    assert a["score"] == 68.5 and a["grade"] == "C"
    b = _row(tables["unit"], city.unit_b)  # its only episode was returned: nothing due, no score
    assert b["counts"]["due"] == 0 and b["score"] is None and b["grade"] is None
    assert tables["unit"][0]["key"] == str(city.unit_a)  # scored rows first

    d = _row(tables["area"], city.district)
    assert d["counts"] == {"reported": 5, "public": 4, "filed": 5, "closed": 3, "on_time_closed": 2, "rated": 2,
                           "satisfied": 1}
    assert d["rates"]["public_share"] == 0.8 and d["rates"]["closure_rate"] == 0.6
    assert d["rates"]["on_time_closure_rate"] == 0.4 and d["rates"]["satisfaction_rate"] == 0.5
    assert d["score"] == 50.0 and d["grade"] == "D"
    assert d["rates"]["cases_per_km2"] is not None and d["rates"]["cases_per_km2"] > 0

    s = _row(tables["supervisor"], city.supervisor)
    assert s["counts"] == {"reported": 1, "filed": 1, "verify_due": 1, "verify_on_time": 0, "check_due": 4,
                           "check_on_time": 3, "grid_filed": 0, "missed": 0}  # no example case lies in a grid
    assert s["rates"] == {"valid_report_rate": 1.0, "verify_on_time_rate": 0.0, "check_on_time_rate": 0.75,
                          "missed_rate": None}
    assert s["score"] == 62.5 and s["grade"] == "C"

    disp = _row(tables["dispatcher"], city.dispatcher)
    assert disp["counts"] == {"dispatch_due": 6, "dispatch_on_time": 4, "dispatched": 6, "accurate": 5}
    assert disp["rates"] == {"on_time_rate": 0.6667, "accurate_rate": 0.8333}
    assert disp["score"] == 75.0 and disp["grade"] == "B"


async def test_drill_down_lists_the_cases_behind_numerator_and_denominator(
        settings: Settings, example: tuple[City, dict[str, int]]) -> None:
    city, _ = example
    p = ev.period(*MARCH, None, settings.timezone)
    on_time = await ev.drill("unit", p, "on_time_rate", city.unit_a)
    assert [c["tracking_no"] for c in on_time["numerator"]["cases"]] == ["EX0001", "EX0002", "EX0003"]
    # Case 2 twice: its first work (on time, failed the check) and the late rework.
    assert [c["tracking_no"] for c in on_time["denominator"]["cases"]] == ["EX0001", "EX0002", "EX0002", "EX0003",
                                                                          "EX0005"]
    assert on_time["denominator"]["total"] == 5 and not on_time["denominator"]["truncated"]
    late = on_time["denominator"]["cases"][4]["times"]
    assert late["due_at"] == "2026-03-22T02:00:00+00:00"  # 10:00 Beijing time, 48 h after the dispatch
    wrong = await ev.drill("dispatcher", p, "accurate_rate", city.dispatcher)
    assert wrong["denominator"]["total"] == 6 and wrong["numerator"]["total"] == 5
    returned = {c["tracking_no"] for c in wrong["denominator"]["cases"] if c["times"]["returned_at"]}
    assert returned == {"EX0003"}


async def test_as_of_a_date_inside_the_period(settings: Settings, example: tuple[City, dict[str, int]]) -> None:
    city, _ = example
    tables = await _tables(settings, as_of=t("03-10 00:00"))
    a = _row(tables["unit"], city.unit_a)
    # By 10 March: case 1 (on time), case 2's first work (on time) and its rework (late on 8 March) had settled;
    # cases 1 and 2 were closed.
    assert a["counts"] == {"due": 3, "on_time": 2, "closed": 2, "handled": 3, "reworks": 1, "rated": 1,
                           "satisfied": 1}


async def test_a_closed_period_recomputes_identically_after_later_changes(
        settings: Settings, db: Any, example: tuple[City, dict[str, int]]) -> None:
    city, ids = example
    before = await _tables(settings)
    # April: case 4 handled late and checked; case 5 returned by A; case 1 reopened and re-rated; a calendar change
    # moves case 4's deadline; the case rows change (state, limit) as the case-write path would change them.
    await entry(ids["c4"], "04-01 20:00", None, "system", "deadline_recomputed", to=t("04-02 09:00").isoformat())
    await entry(ids["c4"], "04-02 10:00", city.staff, "unit_staff", "report_back")
    await entry(ids["c4"], "04-02 10:10", city.supervisor, "supervisor", "check", result="pass")
    await entry(ids["c5"], "04-03 09:00", city.dispatcher, "dispatcher", "approve_return", returned_by_unit=city.unit_a)
    await entry(ids["c1"], "04-03 09:00", city.citizen, "citizen", "reopen")
    await entry(ids["c1"], "04-03 09:05", city.citizen, "citizen", "rate", satisfied=False)
    await Case.update({Case.state: "closed", Case.time_limit: "1自然日", Case.rating: 0}).where(
        Case.id.is_in(list(ids.values())))
    assert await sync(settings, db) == 3
    assert await _tables(settings) == before
    april = ev.period(date(2026, 4, 1), date(2026, 4, 30), None, settings.timezone)
    a = _row(await ev.table("unit", april, DEFAULT), city.unit_a)
    # Case 4's deadline moved to 2 April 09:00; handled at 10:00 it settled late in April.
    assert (a["counts"]["due"], a["counts"]["on_time"], a["counts"]["handled"]) == (1, 0, 1)
    assert (a["counts"]["rated"], a["counts"]["satisfied"]) == (1, 0)
