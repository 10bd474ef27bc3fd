"""The triage job: a bounded number of statements per case, whatever is open around it; admin data edited by another
process (no invalidate() in this one) counts for the next case."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.accounts.tables import User
from backend.app import create_app
from backend.org.tables import Component, RoutingRule, Unit
from backend.photos.tables import Photo
from backend.triage.jobs import triage_case
from tests.helpers import counted, get_case, login, point_in
from tests.triage.triage_helpers import component, ctx, offset, run, submit

# the case read before the write transaction and locked in it, signatures of components and rules, duplicates by
# distance, report photos of the window, identical photos, update, the statistics' day counts (one upsert), timeline
# (one insert for all steps), the events (one insert for all steps); auto-dispatch: the unit; the case's followers (their topics hear the events);
# PostgreSQL: the event-order lock.
MAX_STATEMENTS = 13


async def _triage_counted(app_ctx: Any, case_id: int) -> list[str]:
    return (await counted(triage_case(app_ctx, {"case_id": case_id})))[0]


def _report(client: Any, headers: dict[str, str], lng: float, lat: float) -> int:
    """A supervisor's report of a loose power cover with a report photo, not triaged (no worker runs)."""
    r = client.post("/api/v1/reports", json={"lng": lng, "lat": lat, "category_code": "C0105",
                                             "description": "电力井盖松动"}, headers=headers)
    assert r.status_code == 201, r.text
    case_id = int(r.json()["id"])

    async def photo() -> None:
        user = await User.select(User.id).where(User.username == "supervisor01").first()
        await Photo.insert(Photo(case=case_id, kind="report", uploader=user["id"], status="ready", original_key="t",
                                 phash=secrets.token_hex(8), sha256=secrets.token_hex(32), created_at=datetime.now(UTC)))

    run(client, photo)
    return case_id


@pytest.fixture
def quiet_client(settings: Any, statements: None) -> Iterator[Any]:
    """No worker: the test runs each triage itself."""
    with TestClient(create_app(settings.with_(run_worker=False, auto_dispatch=True))) as client:
        yield client


def test_statements_per_triage_are_bounded_and_do_not_grow_with_open_cases(quiet_client):
    client = quiet_client
    sup = login(client, "supervisor01")
    lng, lat = offset(*component("C0105", 1)["geometry"]["coordinates"], north_m=5)
    run(client, _triage_counted, ctx(client), _report(client, sup, *offset(lng, lat, north_m=-800)))  # loads the router
    alone = _report(client, sup, lng, lat)
    first = run(client, _triage_counted, ctx(client), alone)
    # Eight more open cases of the same 小类 with photos in the window, 100 m apart (no distance duplicates) …
    far_lng, far_lat = offset(lng, lat, north_m=800)
    for k in range(1, 9):
        _report(client, sup, *offset(far_lng, far_lat, east_m=100 * k))
    crowded = _report(client, sup, far_lng, far_lat)
    second = run(client, _triage_counted, ctx(client), crowded)
    # … cost the same statements: both cases took the whole path (photo check, auto-dispatch to a unit).
    assert [get_case(client, sup, c)["state"] for c in (alone, crowded)] == ["dispatched", "dispatched"]
    assert len(first) == len(second), "\n".join(second)
    assert len(second) <= MAX_STATEMENTS, "\n".join(second)
    # A job run again after a crash only reads the case.
    assert len(run(client, _triage_counted, ctx(client), crowded)) == 1


def test_a_rule_changed_by_another_process_routes_the_next_case(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR07")
    assert submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建")["suggested_unit"][
        "code"].startswith("jd_")

    async def add_rule() -> None:  # straight into the table, as an admin request served by another process would
        unit = await Unit.select(Unit.id).where(Unit.code == "ld_enforcement").first()
        await RoutingRule.insert(RoutingRule(priority=1, name="私搭乱建→执法支队", kind="event", category_prefix="E0101",
                                             target="unit", unit=unit["id"], updated_at=datetime.now(UTC)))

    run(client, add_rule)
    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建")
    assert case["suggested_unit"]["code"] == "ld_enforcement"

    async def disable_rule() -> None:  # same row count: only the change time moves
        await RoutingRule.update({RoutingRule.active: False, RoutingRule.updated_at: datetime.now(UTC)}).where(
            RoutingRule.name == "私搭乱建→执法支队")

    run(client, disable_rule)
    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建")
    assert case["suggested_unit"]["code"].startswith("jd_")


def test_a_component_surveyed_by_another_process_is_snapped_to_by_the_next_case(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR03")

    async def survey() -> int:
        unit = await Unit.select(Unit.id).where(Unit.code == "ld_gas").first()
        rows = await Component.insert(Component(code="TEST-GAS-1", category_code="C0102", lng=lng, lat=lat,
                                                owner=unit["id"])).returning(Component.id)
        return int(rows[0]["id"])

    component_id = run(client, survey)
    case = submit(client, sup, lng, lat, category_code="C0102", description="燃气井盖松动")
    assert case["component_id"] == component_id and case["suggested_unit"]["code"] == "ld_gas"


def test_the_write_lock_is_held_only_for_the_writes(quiet_client, monkeypatch):
    """The reads (rules, components, duplicates, the photos of the window) run before the write transaction: every
    report waits behind whoever holds the one writer, so triage must not hold it while it reads."""
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.engine.sqlite import SQLiteEngine

    client = quiet_client
    engine = ctx(client).engine
    seen: list[tuple[bool, str]] = []
    for engine_class in (SQLiteEngine, PostgresEngine):
        original = engine_class.run_querystring

        async def recording(self: Any, querystring: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            seen.append((engine.current_transaction.get() is not None, str(querystring)))
            return await _original(self, querystring, *args, **kw)

        monkeypatch.setattr(engine_class, "run_querystring", recording)
    sup = login(client, "supervisor01")
    lng, lat = offset(*component("C0105", 2)["geometry"]["coordinates"], north_m=5)
    case_id = _report(client, sup, lng, lat)
    seen.clear()
    run(client, triage_case, ctx(client), {"case_id": case_id})
    assert get_case(client, sup, case_id)["state"] == "dispatched"
    inside = [sql for in_tx, sql in seen if in_tx]
    outside = [sql for in_tx, sql in seen if not in_tx]
    assert inside and outside
    for table in ('"routing_rule"', '"component"', '"photo"'):
        assert not [s for s in inside if f"FROM {table}" in s], "\n".join(inside)
        assert [s for s in outside if f"FROM {table}" in s] or table == '"component"', "\n".join(outside)
    assert len(inside) < len(outside) + 4, "\n".join(inside)


def test_a_case_changed_between_the_reads_and_the_write_is_triaged_as_it_now_is(quiet_client, monkeypatch):
    from backend.cases.tables import Case
    from backend.triage import jobs

    client = quiet_client
    sup = login(client, "supervisor01")
    lng, lat = offset(*component("C0105", 3)["geometry"]["coordinates"], north_m=5)
    case_id = _report(client, sup, lng, lat)
    calls: list[str] = []
    prepare = jobs._prepare

    async def then_an_operator_acts(app_ctx: Any, case: Any) -> dict[str, Any]:
        data = await prepare(app_ctx, case)
        calls.append(case.category_code)
        if len(calls) == 1:  # after the reads, before the write: the category is changed by someone else
            await Case.update({Case.category_code: "E0401", Case.version: Case.version + 1}).where(Case.id == case_id)
        return data

    monkeypatch.setattr(jobs, "_prepare", then_an_operator_acts)
    run(client, triage_case, ctx(client), {"case_id": case_id})
    assert calls == ["C0105", "E0401"]  # read again under the lock, from the case as it now is
    case = get_case(client, sup, case_id)
    assert case["category_code"] == "E0401"
    assert [t["action"] for t in case["timeline"]].count("triage") == 1
