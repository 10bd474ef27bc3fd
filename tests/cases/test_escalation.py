"""Escalation: the light turns yellow at the deadline and red after it, each written and published exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.live.tables import Event
from backend.cases.escalation import escalate_once
from tests.helpers import act, get_case, login, point_in
from tests.triage.triage_helpers import ctx, entries, run, submit


def _escalations(client, case_id):
    return run(client, Event.select(Event.kind, Event.topics, Event.payload).output(load_json=True).where(
        (Event.case_id == case_id) & (Event.kind == "case.escalated")).order_by(Event.seq).run)


def test_yellow_then_red_once_each(client):
    sup, lead, dispatcher = login(client, "supervisor01"), login(client, "shiftlead01"), login(client, "dispatcher01")
    case = submit(client, sup, *point_in("ZR09"), category_code="E0101", description="私搭乱建")
    act(client, lead, case["id"], "file")
    case = act(client, dispatcher, case["id"], "dispatch")
    assert case["state"] == "dispatched" and case["light"] == "green"
    due = datetime.fromisoformat(case["due_at"])

    assert run(client, escalate_once, ctx(client), due - timedelta(days=30)) == []
    yellow = run(client, escalate_once, ctx(client), due)  # 100% of the limit used: still yellow
    assert [e["light"] for e in yellow] == ["yellow"]
    assert run(client, escalate_once, ctx(client), due) == []  # nothing new: not repeated

    red = run(client, escalate_once, ctx(client), due + timedelta(days=20))
    assert [e["light"] for e in red] == ["red"]
    assert run(client, escalate_once, ctx(client), due + timedelta(days=21)) == []

    after = get_case(client, dispatcher, case["id"])
    marks = entries(after, "escalate")
    assert [(m["data"]["from"], m["data"]["to"], m["actor_role"]) for m in marks] == [
        ("green", "yellow", "system"), ("yellow", "red", "system")]
    events = _escalations(client, case["id"])
    assert [e["payload"]["light"] for e in events] == ["yellow", "red"]
    assert {"command", f"unit:{after['unit']['id']}", f"case:{case['id']}"} <= set(events[0]["topics"])


def test_cases_not_on_the_clock_are_left_alone(client):
    sup = login(client, "supervisor01")
    case = submit(client, sup, *point_in("ZR10"), category_code="E0101", description="私搭乱建")
    assert run(client, escalate_once, ctx(client), datetime.fromisoformat(case["created_at"]) + timedelta(days=60)) == []
    assert not entries(get_case(client, sup, case["id"]), "escalate")
