"""The hub keeps seq order whatever the channel does: events published out of order, or not published at all."""

from __future__ import annotations

from typing import Any

from backend.db import write_transaction
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
