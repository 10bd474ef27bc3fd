"""The evaluation API on the worked example: who sees what, drill-downs, comparison, bad input and the scheme."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from backend.db import close_database, open_database
from backend.settings import Settings
from tests.evaluation.example import City, build
from tests.helpers import assert_error, login

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
API = "/api/v1/evaluation"


@pytest.fixture
def world(settings: Settings) -> Iterator[tuple[Any, City, dict[str, int]]]:
    """The example's timeline written before the app starts; the app builds the facts on the first request."""
    from litestar.testing import TestClient

    from backend.app import create_app

    async def write() -> tuple[City, dict[str, int]]:
        engine = await open_database(settings)
        try:
            city = await City().load()
            return city, await build(city)
        finally:
            await close_database(engine)

    city, ids = asyncio.run(write())
    with TestClient(create_app(settings)) as client:
        yield client, city, ids


def test_the_centre_sees_every_unit_with_scores_grades_and_the_previous_period(world: Any) -> None:
    client, city, _ = world
    r = client.get(f"{API}/units", params={**MARCH, "compare": "true"}, headers=login(client, "dispatcher01"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"]["first"] == "2026-03-01" and body["weights"] == {"volume": 10, "closure": 30,
                                                                           "on_time": 30, "rework": 30}
    top = body["rows"][0]
    assert top["key"] == str(city.unit_a) and top["score"] == 68.5 and top["grade"] == "C"
    assert top["previous"]["first"] == "2026-02-01" and top["previous"]["last"] == "2026-02-28"
    assert top["previous"]["score"] is None  # nothing happened in February
    assert len(body["rows"]) > 2  # every active unit is listed, scored or not
    areas = client.get(f"{API}/areas", params={**MARCH, "level": "district"}, headers=login(client, "admin")).json()
    assert areas["rows"][0]["key"] == city.district and areas["rows"][0]["grade"] == "D"


def test_a_unit_sees_only_its_own_figures(world: Any) -> None:
    client, city, _ = world
    staff = login(client, "staff_ld_water")
    rows = client.get(f"{API}/units", params=MARCH, headers=staff).json()["rows"]
    assert [r["key"] for r in rows] == [str(city.unit_a)]
    assert rows[0]["parts"]["volume"] == 100.0  # still compared with every unit
    own = client.get(f"{API}/units/{city.unit_a}", params=MARCH, headers=staff)
    assert own.status_code == 200 and own.json()["rows"][0]["score"] == 68.5
    drill = client.get(f"{API}/units/{city.unit_a}/figures/rework_rate", params=MARCH, headers=staff).json()
    assert [c["tracking_no"] for c in drill["numerator"]["cases"]] == ["EX0002"]
    assert drill["denominator"]["total"] == 4
    assert_error(client.get(f"{API}/units/{city.unit_b}", params=MARCH, headers=staff), 403, "evaluation.other_unit")
    assert_error(client.get(f"{API}/units/{city.unit_b}/figures/due", params=MARCH, headers=staff), 403,
           "evaluation.other_unit")
    assert_error(client.get(f"{API}/areas", params=MARCH, headers=staff), 403, "auth.role_forbidden")
    for user in ("supervisor01", "citizen01"):
        assert_error(client.get(f"{API}/units", params=MARCH, headers=login(client, user)), 403, "auth.role_forbidden")
    assert client.get(f"{API}/units", params=MARCH).status_code == 401


def test_bad_input_gets_a_stable_code_in_both_languages(world: Any) -> None:
    client, city, _ = world
    h = login(client, "dispatcher01")
    assert_error(client.get(f"{API}/units", params={"from": "2026-03-31", "to": "2026-03-01"}, headers=h), 422,
           "evaluation.period_reversed")
    assert_error(client.get(f"{API}/units", params={"from": "2025-01-01", "to": "2026-03-01"}, headers=h), 422,
           "evaluation.period_too_long")
    assert_error(client.get(f"{API}/units", params={**MARCH, "as_of": "2026-02-01T00:00:00+08:00"}, headers=h), 422,
           "evaluation.bad_as_of")
    assert_error(client.get(f"{API}/units/999999", params=MARCH, headers=h), 404, "evaluation.unknown_unit")
    assert_error(client.get(f"{API}/units/999999/figures/due", params=MARCH, headers=h), 404, "evaluation.unknown_unit")
    assert_error(client.get(f"{API}/areas/street/999999999/figures/closure_rate", params=MARCH, headers=h), 404,
           "evaluation.unknown_area")
    assert_error(client.get(f"{API}/areas", params={**MARCH, "level": "planet"}, headers=h), 422, "evaluation.bad_level")
    assert_error(client.get(f"{API}/units/{city.unit_a}/figures/happiness", params=MARCH, headers=h), 404,
           "evaluation.unknown_figure")
    assert_error(client.get(f"{API}/supervisors/{city.dispatcher}/figures/valid_report_rate", params=MARCH, headers=h),
           404, "evaluation.unknown_person")


def test_the_drill_downs_of_areas_supervisors_and_dispatchers(world: Any) -> None:
    client, city, _ = world
    h = login(client, "shiftlead01")
    area = client.get(f"{API}/areas/district/{city.district}/figures/on_time_closure_rate", params=MARCH,
                      headers=h).json()
    assert [c["tracking_no"] for c in area["numerator"]["cases"]] == ["EX0001", "EX0003"]
    assert area["denominator"]["total"] == 5
    sup = client.get(f"{API}/supervisors/{city.supervisor}/figures/check_on_time_rate", params=MARCH,
                     headers=h).json()
    assert (sup["numerator"]["total"], sup["denominator"]["total"]) == (3, 4)
    disp = client.get(f"{API}/dispatchers/{city.dispatcher}/figures/on_time_rate", params=MARCH, headers=h).json()
    late = sorted({c["tracking_no"] for c in disp["denominator"]["cases"]}
                  - {c["tracking_no"] for c in disp["numerator"]["cases"]})
    assert late == ["EX0004", "EX0005"]


def test_a_city_changes_its_weights_and_the_change_is_audited(world: Any) -> None:
    client, city, _ = world
    admin = login(client, "admin")
    r = client.put(f"{API}/scheme", json={"weights": {"unit": {"volume": 0, "closure": 50, "on_time": 50,
                                                                "rework": 0}}, "grades": {"C": 61}}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["weights"]["unit"] == {"volume": 0, "closure": 50, "on_time": 50, "rework": 0}
    row = client.get(f"{API}/units/{city.unit_a}", params=MARCH, headers=admin).json()["rows"][0]
    assert row["score"] == 60.0 and row["grade"] == "D"  # 60 is below the new C line of 61
    audit = client.get("/api/v1/admin/audit", params={"action": "settings.changed"}, headers=admin).json()
    assert any(e["target"] == "evaluation.scheme" for e in audit)
    assert_error(client.put(f"{API}/scheme", json={"grades": {"A": 50, "B": 75}}, headers=admin), 422,
           "evaluation.bad_scheme")
    assert_error(client.put(f"{API}/scheme", json={"weights": {"unit": {"speed": 5}}}, headers=admin), 422,
           "evaluation.bad_scheme")
    assert_error(client.put(f"{API}/scheme", json={"grades": {"A": 95}}, headers=login(client, "dispatcher01")), 403,
           "auth.role_forbidden")


def test_figures_follow_cases_moved_through_the_real_case_api(client: Any) -> None:
    """The fold reads the timeline the case-write path writes: a closed case, a returned one and a suspended one."""
    from tests.cases.flows import Flow

    flow = Flow(client)
    closed = flow.case_in("closed")
    returned = flow.case_in("return_requested")
    flow.act("dispatcher01", returned["id"], "approve_return")
    suspended = flow.case_in("suspended")
    flow.act("dispatcher01", suspended["id"], "resume")
    flow.act("citizen01", closed["id"], "rate", satisfied=True)
    water = str(flow.units["water"])
    h = flow.h("dispatcher01")
    row = next(r for r in client.get(f"{API}/units", headers=h).json()["rows"] if r["key"] == water)
    # Handled within minutes: the closed case is due and on time; the returned one is not the unit's; the resumed one
    # is still running, its deadline days away.
    assert row["counts"] == {"due": 1, "on_time": 1, "closed": 1, "handled": 1, "reworks": 0, "rated": 1,
                             "satisfied": 1}
    assert row["grade"] == "A"
    me = flow.me("dispatcher01")["id"]
    disp = next(r for r in client.get(f"{API}/dispatchers", headers=h).json()["rows"] if r["key"] == str(me))
    assert (disp["counts"]["dispatched"], disp["counts"]["accurate"]) == (3, 2)
    drill = client.get(f"{API}/dispatchers/{me}/figures/accurate_rate", headers=h).json()
    assert {c["tracking_no"] for c in drill["denominator"]["cases"]} - {
        c["tracking_no"] for c in drill["numerator"]["cases"]} == {returned["tracking_no"]}
