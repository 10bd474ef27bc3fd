"""The hub keeps seq order whatever the channel does: events published out of order, or not published at all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from backend.db import write_transaction
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
