"""回访 on the worked example plus one reopening: the worklist, who sees the citizen's phone, recording calls, audit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from backend.accounts.tables import User
from backend.cases.tables import TimelineEntry
from backend.db import close_database, open_database
from backend.settings import Settings
from tests.evaluation.example import City, build, t
from tests.helpers import assert_error, login

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
API = "/api/v1/evaluation/followups"


@pytest.fixture
def world(settings: Settings) -> Iterator[tuple[Any, City, dict[str, int]]]:
    """The example (EX0002 rated dissatisfied on 03-10) with EX0001 reopened on 03-05 by its reporter."""
    from litestar.testing import TestClient

    from backend.app import create_app

    async def write() -> tuple[City, dict[str, int]]:
        engine = await open_database(settings)
        try:
            city = await City().load()
            ids = await build(city)
            await User.update({User.phone: "13800001111"}).where(User.id == city.citizen)
            reopen = TimelineEntry(case=ids["c1"], at=t("03-05 10:00"), actor=city.citizen, actor_role="citizen",
                                   action="reopen", note="井盖又松了", data={"previous_rating": 1})
            await reopen.save()
            ids["reopen"] = reopen.id
            ids["liked"] = (await TimelineEntry.select(TimelineEntry.id).where(
                (TimelineEntry.case == ids["c1"]) & (TimelineEntry.action == "rate")).first())["id"]
            return city, ids
        finally:
            await close_database(engine)

    city, ids = asyncio.run(write())
    with TestClient(create_app(settings)) as client:
        yield client, city, ids


def test_the_worklist_lists_dissatisfied_ratings_and_reopenings_with_the_phone_for_callers_only(world: Any) -> None:
    client, _, ids = world
    body = client.get(API, params=MARCH, headers=login(client, "operator01")).json()
    assert [(i["tracking_no"], i["kind"]) for i in body["items"]] == [("EX0002", "dissatisfied"),
                                                                       ("EX0001", "reopened")]
    assert body["pending"] == 2 and body["done"] == 0 and not body["contact_hidden"]
    reopened = body["items"][1]
    assert reopened["entry"] == ids["reopen"] and reopened["words"] == "井盖又松了"
    assert reopened["contact"] == {"name": "程文磊", "phone": "13800001111"}
    # EX0002 was reported by a supervisor and rated by the citizen: the call goes to its reporter, the supervisor.
    assert body["items"][0]["unit_name"] and body["items"][0]["contact"]["phone"] == ""
    for user in ("dispatcher01", "admin"):
        seen = client.get(API, params=MARCH, headers=login(client, user)).json()
        assert seen["contact_hidden"] and all(i["contact"] is None for i in seen["items"]) and len(seen["items"]) == 2
    assert "13800001111" not in client.get(API, params=MARCH, headers=login(client, "dispatcher01")).text
    assert client.get(API, params={"from": "2026-04-01", "to": "2026-04-30"},
                      headers=login(client, "operator01")).json()["items"] == []
    # Who saw which citizens' contacts is in the audit log (the hotline seat's one look above; the others saw none),
    # without the numbers themselves.
    viewed = client.get("/api/v1/admin/audit", params={"action": "followup.contacts_viewed"},
                        headers=login(client, "admin"))
    assert [(e["actor_name"], e["details"]["count"]) for e in viewed.json()] == [("operator01", 2)]
    assert sorted(viewed.json()[0]["details"]["cases"]) == sorted(i["case_id"] for i in body["items"])
    assert "13800001111" not in viewed.text
    assert_error(client.get(API, params=MARCH, headers=login(client, "staff_ld_water")), 403, "auth.role_forbidden")
    assert_error(client.get(API, params={**MARCH, "status": "later"}, headers=login(client, "operator01")), 422,
           "followup.bad_status")
    assert_error(client.get(API, params={"from": "2026-03-31", "to": "2026-03-01"}, headers=login(client, "operator01")),
           422, "evaluation.period_reversed")


def test_a_call_is_recorded_with_who_and_when_and_settles_the_item(world: Any) -> None:
    client, _, ids = world
    operator, lead = login(client, "operator01"), login(client, "shiftlead01")
    url = f"{API}/{ids['reopen']}/calls"
    first = client.post(url, json={"outcome": "unreachable"}, headers=operator)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "pending"  # not reached: still to call
    done = client.post(url, json={"outcome": "resolved", "note": "已再次派遣，市民表示理解"}, headers=lead).json()
    assert done["status"] == "done"
    assert [(c["outcome"], c["caller_name"]) for c in done["calls"]] == [("unreachable", "丁英丽"),
                                                                         ("resolved", "谢鹏静")]
    assert done["calls"][1]["note"] == "已再次派遣，市民表示理解" and done["calls"][1]["outcome_zh"] == "回访满意"
    pending = client.get(API, params=MARCH, headers=operator).json()
    assert [i["tracking_no"] for i in pending["items"]] == ["EX0002"] and pending["done"] == 1
    finished = client.get(API, params={**MARCH, "status": "done"}, headers=operator).json()["items"]
    assert [i["entry"] for i in finished] == [ids["reopen"]]
    assert_error(client.post(url, json={"outcome": "resolved"}, headers=operator), 409, "followup.done")

    audit = client.get("/api/v1/admin/audit", params={"action": "followup.recorded"}, headers=login(client, "admin"))
    entries = audit.json()
    assert [e["details"]["outcome"] for e in entries] == ["resolved", "unreachable"]  # newest first
    assert entries[0]["target"] == f"case:{ids['c1']}" and "市民表示理解" not in audit.text


def test_bad_calls_are_refused_with_stable_codes(world: Any) -> None:
    client, _, ids = world
    operator = login(client, "operator01")
    assert_error(client.post(f"{API}/{ids['liked']}/calls", json={"outcome": "resolved"}, headers=operator), 404,
           "followup.unknown")  # a satisfied rating is nothing to call about
    for entry in (999999, 2**40):
        assert_error(client.post(f"{API}/{entry}/calls", json={"outcome": "resolved"}, headers=operator), 404,
               "followup.unknown")
    assert_error(client.post(f"{API}/{ids['reopen']}/calls", json={"outcome": "maybe"}, headers=operator), 422,
           "followup.bad_outcome")
    r = client.post(f"{API}/{ids['reopen']}/calls", json={"outcome": "resolved", "note": "x" * 501}, headers=operator)
    assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid"
    assert_error(client.post(f"{API}/{ids['reopen']}/calls", json={"outcome": "resolved", "note": "a\u0000b"},
                       headers=operator), 422, "followup.bad_note")
    assert_error(client.post(f"{API}/{ids['reopen']}/calls", json={"outcome": "resolved"},
                       headers=login(client, "dispatcher01")), 403, "auth.role_forbidden")
    assert client.get(API, params=MARCH, headers=operator).json()["pending"] == 2  # nothing was recorded
