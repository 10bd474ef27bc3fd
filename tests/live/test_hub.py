"""The hub keeps seq order whatever the channel does: events published out of order, or not published at all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.db import write_transaction
from backend.live import messages
from backend.live.connection import EVENT
from backend.live.hub import Hub
from backend.live.log import append_event, serialize_event_writes
from backend.settings import Settings
from tests.live.conftest import open_client
from tests.live.test_protocol import events, start


def write(client: Any, n: int, publish: str) -> list[dict[str, Any]]:
    """Append ``n`` events on 'command' in the app's own loop; publish them in order, reversed, or not at all."""

    async def go() -> list[dict[str, Any]]:
        ctx = client.app.state.ctx
        made = []
        for i in range(n):
            async with write_transaction(ctx.engine):
                await serialize_event_writes(ctx.engine)
                made.append(await append_event("case.updated", ["command"], {"text_en": f"n{i}"}))
        if publish == "reversed":
            await ctx.bus.publish(reversed(made))
        elif publish == "in order":
            await ctx.bus.publish(made)
        return made

    made: list[dict[str, Any]] = client.blocking_portal.call(go)
    return made


def test_events_published_out_of_order_are_delivered_in_order(client: Any) -> None:
    ws, _, _ = start(client, "operator01", topics=["command"])
    made = write(client, 5, "reversed")
    assert [e["seq"] for e in events(ws, 5)] == [e["seq"] for e in made]
    made = write(client, 2, "in order")
    assert [e["text_en"] for e in events(ws, 2)] == ["n0", "n1"]
    ws.send_json({"type": "ping"})
    assert ws.receive_json(timeout=5)["type"] == "pong"  # the late copies of the reversed ones were dropped


def test_an_event_whose_publish_was_lost_arrives_within_a_heartbeat(settings: Settings) -> None:
    with open_client(settings.with_(ws_heartbeat_seconds=0.3)) as client:
        ws, _, _ = start(client, "operator01", topics=["command"])
        made = write(client, 3, "never")
        assert [e["seq"] for e in events(ws, 3)] == [e["seq"] for e in made]


class FakeConn:
    def __init__(self, user_id: int, session: str) -> None:
        self.actor = SimpleNamespace(id=user_id, session=session)
        self.closed: int | None = None

    def abort(self, code: int, error: Any) -> None:
        self.closed = code


def test_the_session_sweep_closes_only_what_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket that opens while the sweep's query runs is not in its answer, and must not be taken for ended."""
    hub = Hub(None, 20.0)
    ended, fine, latecomer = FakeConn(1, "gone"), FakeConn(2, "ok"), FakeConn(3, "new")

    async def expiries(sessions: Any) -> dict[str, datetime]:
        assert sorted(sessions) == ["gone", "ok"]
        hub.add(latecomer)  # type: ignore[arg-type]
        return {"ok": datetime.now(UTC) + timedelta(hours=1)}

    monkeypatch.setattr("backend.live.hub.session_expiries", expiries)
    for conn in (ended, fine):
        hub.add(conn)  # type: ignore[arg-type]
    asyncio.run(hub.sweep())
    assert (ended.closed, fine.closed, latecomer.closed) == (4401, None, None)


class Subscriber:
    """A connection as the hub's broadcast sees it: an actor, its topics, and what was pushed to it."""

    def __init__(self, hub: Hub, user_id: int, role: Role, topics: set[str]) -> None:
        self.actor = Actor(id=user_id, username=f"u{user_id}", display_name="", role=role)
        self.topics = topics
        self.pushed: list[Any] = []
        hub.add(self)  # type: ignore[arg-type]
        hub.watch(self, sorted(topics))  # type: ignore[arg-type]

    def push(self, item: Any) -> None:
        self.pushed.append(item)


def test_a_broadcast_encodes_each_view_once_however_many_citizens_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[dict[str, Any]] = []
    real = messages.event_text

    def counting(event: dict[str, Any]) -> str:
        encoded.append(event)
        return real(event)

    monkeypatch.setattr(messages, "event_text", counting)
    hub = Hub(None, 20.0)
    reporter = [Subscriber(hub, 1, Role.CITIZEN, {"case:7"}) for _ in range(40)]
    reporter += [Subscriber(hub, 1, Role.CITIZEN, {"reporter:1"}) for _ in range(40)]
    # Not this case's reporter (merged cases): a view without the reporter's topic. Refused when it subscribes in
    # real life; here it checks that a different view is a different text.
    stranger = [Subscriber(hub, 2, Role.CITIZEN, {"case:7"}) for _ in range(10)]
    elsewhere = Subscriber(hub, 3, Role.CITIZEN, {"reporter:3", "grid:ZR01"})  # another citizen, on none of its topics
    staff = [Subscriber(hub, 10 + i, Role.OPERATOR, {"command"}) for i in range(5)]
    topics = ["command", "case:7", "reporter:1", "grid:ZR01", "unit:4"]
    event = {"seq": 1, "kind": "case.updated", "at": "2026-11-29T10:00:00+00:00", "topics": topics, "case_id": 7,
             "action": "dispatch", "unit_id": 4, "light": "yellow", "text_en": "dispatched"}

    hub._dispatch(event)

    assert len(encoded) == 3  # the whole event, the reporter's view, the stranger's view: not one per connection
    mine = reporter[0].pushed[0]
    assert all(c.pushed == [mine] and c.pushed[0][2] is mine[2] for c in reporter)  # the same string, not copies
    shown = msgspec.json.decode(mine[2])
    assert mine[:2] == (EVENT, 1) and shown["topics"] == ["case:7", "reporter:1"]
    assert shown["unit_id"] is None and shown["light"] is None and shown["text_en"] == "dispatched"
    assert {msgspec.json.decode(c.pushed[0][2])["topics"] == ["case:7"] for c in stranger} == {True}
    assert elsewhere.pushed == []
    whole = msgspec.json.decode(staff[0].pushed[0][2])
    assert whole["topics"] == topics and whole["unit_id"] == 4 and whole["light"] == "yellow"
    assert all(c.pushed[0][2] is staff[0].pushed[0][2] for c in staff)

    # A deadline warning goes to staff only; nobody needs a reporter's view of it, so none is made.
    encoded.clear()
    hub._dispatch({**event, "seq": 2, "kind": "case.escalated"})
    assert len(encoded) == 1 and [len(c.pushed) for c in (*reporter, *stranger)] == [1] * 90
    assert all(len(c.pushed) == 2 for c in staff)

    # Only citizens watching: the whole event is never encoded.
    encoded.clear()
    hub._dispatch({**event, "seq": 3, "topics": ["case:7", "reporter:1"]})
    assert sorted(e["topics"] for e in encoded) == [["case:7"], ["case:7", "reporter:1"]]  # in any order


def test_events_written_together_keep_their_order_in_the_log_and_on_the_socket(client: Any) -> None:
    """A change of several steps (triage, then filing, then dispatch) writes its events with one statement: the log
    gives them ascending seqs in the steps' order, and a subscriber receives them in that order."""
    from backend.live.log import append_events, scan_log

    ws, _, _ = start(client, "operator01", topics=["command"])

    async def go() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ctx = client.app.state.ctx
        async with write_transaction(ctx.engine):
            await serialize_event_writes(ctx.engine)
            made = await append_events([("case.triaged", ["command"], {"text_en": "first"}, None),
                                        ("case.updated", ["command", "unit:1"], {"text_en": "second"}, None),
                                        ("case.updated", ["command", "command"], {"text_en": "third"}, None)])
        await ctx.bus.publish(made)
        return made, await scan_log(made[0]["seq"] - 1)

    made, logged = client.blocking_portal.call(go)
    seqs = [e["seq"] for e in made]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [(e["seq"], e["text_en"]) for e in logged[:3]] == list(zip(seqs, ["first", "second", "third"]))
    assert [e["kind"] for e in logged[:3]] == ["case.triaged", "case.updated", "case.updated"]
    assert [e["text_en"] for e in events(ws, 3)] == ["first", "second", "third"]
