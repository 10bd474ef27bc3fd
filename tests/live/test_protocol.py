"""The /ws protocol through the sync Litestar test client: auth, topic rules, delivery, resume, resync, heartbeats."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect

from backend.live.log import prune_events
from backend.settings import Settings
from tests.helpers import login
from tests.live.conftest import Churn, close, open_client, token


def connect(client: Any, username: str | None, credential: str | None = None) -> Any:
    """Open /ws and authenticate as ``username`` (or with ``credential``; neither: send nothing); the test client
    closes it when it shuts down."""
    # Logged in before connecting, as the app does: the server gives a connection 5 s for its credential, and a
    # login beside open test-client sessions (they keep the loop busy) can take longer on a slow machine.
    credential = credential or (token(client, username) if username else None)
    session = client.websocket_connect("/ws").__enter__()
    client.live_sessions.append(session)
    if credential is not None:
        session.send_json({"type": "auth", "token": credential})
    return session


def start(client: Any, username: str, **subscribe: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    ws = connect(client, username)
    welcome = ws.receive_json(timeout=5)
    ws.send_json({"type": "subscribe", **subscribe})
    return ws, welcome, ws.receive_json(timeout=10)


def events(ws: Any, n: int) -> list[dict[str, Any]]:
    out = []
    while len(out) < n:
        msg = ws.receive_json(timeout=10)
        if msg["type"] == "event":
            out.append(msg)
    return out


def refused(client: Any, username: str | None, topics: list[str] | None = None) -> tuple[dict[str, Any], int]:
    ws = connect(client, username)
    if username is None:
        ws.send_json({"type": "subscribe", "topics": topics})
    first = ws.receive_json(timeout=5)
    if first["type"] == "welcome":
        ws.send_json({"type": "subscribe", "topics": topics})
        first = ws.receive_json(timeout=5)
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json(timeout=5)
    close(ws)
    return first, closed.value.code


def test_citizen_sees_own_case_live_with_natural_topics(client: Any) -> None:
    churn = Churn(client)
    ws, welcome, subscribed = start(client, "citizen01")
    me = client.get("/api/v1/me", headers=churn.citizen).json()["id"]
    assert welcome["natural_topics"] == [f"reporter:{me}"]
    assert subscribed["type"] == "subscribed" and subscribed["topics"] == [f"reporter:{me}"]
    churn.make(3)
    got = events(ws, 3)
    assert [e["case_id"] for e in got] == [churn.id] * 3
    assert all(e["action"] == "assign_supervisor" and e["state"] == "verifying" and e["v"] == 1 for e in got)
    assert got[0]["text_zh"] and got[0]["text_en"] and got[0]["tracking_no"] == churn.case["tracking_no"]
    assert [e["seq"] for e in got] == sorted({e["seq"] for e in got})
    ws.send_json({"type": "ping"})
    assert ws.receive_json(timeout=5) == {"type": "pong", "last_seq": got[-1]["seq"]}


def test_an_event_on_several_watched_topics_arrives_once(client: Any) -> None:
    churn = Churn(client)
    ws, _, subscribed = start(client, "operator01", topics=["command", f"case:{churn.id}", "grid:ZR01"])
    assert subscribed["topics"] == sorted(["command", f"case:{churn.id}", "grid:ZR01"])
    churn.make(4)
    got = events(ws, 4)
    seqs = [e["seq"] for e in got]
    assert len(set(seqs)) == 4 and seqs == sorted(seqs)
    ws.send_json({"type": "ping"})
    assert ws.receive_json(timeout=5)["type"] == "pong"  # nothing else was queued: no duplicates


def test_refusals_close_with_a_code_and_a_reason(client: Any) -> None:
    churn = Churn(client)
    other = client.get("/api/v1/me", headers=login(client, "citizen02")).json()["id"]
    error, code = refused(client, None)
    assert code == 4401 and error["code"] == "auth.required" and error["message_zh"]
    error, code = refused(client, "citizen01", ["command"])
    assert code == 4403 and error["code"] == "ws.topic_forbidden" and error["details"]["topics"] == ["command"]
    assert error["message_zh"].startswith("无权订阅") and error["message_en"]
    assert refused(client, "citizen02", [f"case:{churn.id}"])[1] == 4403
    assert refused(client, "citizen01", [f"reporter:{other}"])[1] == 4403
    assert refused(client, "staff_ld_water", ["unit:999999"])[1] == 4403
    assert refused(client, "supervisor02", ["grid:NOPE", "supervisor:1"])[0]["details"]["topics"] == ["grid:NOPE",
                                                                                                      "supervisor:1"]
    assert refused(client, "citizen01", ["case:999999"])[1] == 4403  # unknown cases look like someone else's
    ws = connect(client, None, "not-a-real-token")
    error = ws.receive_json(timeout=5)
    assert error == {"type": "error", "code": "auth.invalid", "message_zh": error["message_zh"],
                     "message_en": error["message_en"], "details": {}}
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json(timeout=5)
    assert closed.value.code == 4401


def test_staff_may_watch_what_is_theirs(client: Any) -> None:
    churn = Churn(client)
    for user, topics in [("staff_ld_water", None), ("supervisor01", None), ("dispatcher01", ["unit:1", "grid:ZR01"]),
                         ("citizen01", [f"case:{churn.id}"]), ("admin", [f"case:{churn.id}", "command"])]:
        _ws, welcome, subscribed = start(client, user, **({"topics": topics} if topics else {}))
        assert subscribed["type"] == "subscribed", (user, subscribed)
        assert subscribed["topics"] == sorted(topics or welcome["natural_topics"])


def test_bad_messages_get_an_error_and_the_connection_stays(client: Any) -> None:
    ws, _, _ = start(client, "citizen01")
    for raw in ["not json", '{"type":"dance"}', '{"type":"subscribe","since":"yesterday"}']:
        ws.send_text(raw)
        assert ws.receive_json(timeout=5)["code"] == "ws.bad_message"
    ws.send_json({"type": "ping"})
    assert ws.receive_json(timeout=5)["type"] == "pong"


def test_resume_replays_missed_events_once_then_goes_live(client: Any) -> None:
    churn = Churn(client)
    topic = f"case:{churn.id}"
    ws, _, subscribed = start(client, "citizen01", topics=[topic])
    churn.make(2)
    seen = events(ws, 2)
    close(ws)
    churn.make(5)  # while away
    ws, _, subscribed = start(client, "citizen01", topics=[topic], since=seen[-1]["seq"])
    # The replay comes before the 'subscribed' reply, whose last_seq is the resume point.
    assert subscribed["type"] == "event"
    replayed = [subscribed, *events(ws, 4)]
    done = ws.receive_json(timeout=5)
    assert done["type"] == "subscribed" and done["last_seq"] >= replayed[-1]["seq"]
    churn.make(2)
    live = events(ws, 2)
    seqs = [e["seq"] for e in [*seen, *replayed, *live]]
    assert len(seqs) == 9 and seqs == sorted(set(seqs))
    timeline = client.get(f"/api/v1/cases/{churn.id}", headers=churn.operator).json()["timeline"]  # staff's view
    assert sum(t["action"] == "assign_supervisor" for t in timeline) == 9


def test_subscribe_without_since_starts_from_now(client: Any) -> None:
    churn = Churn(client)
    churn.make(2)
    ws, _, subscribed = start(client, "citizen01", topics=[f"case:{churn.id}"])
    assert subscribed["last_seq"] >= 2
    churn.make(1)
    assert events(ws, 1)[0]["seq"] > subscribed["last_seq"]


def test_resume_from_pruned_history_asks_for_a_resync(client: Any) -> None:
    churn = Churn(client)
    churn.make(3)
    portal = client.blocking_portal
    assert portal.call(prune_events, 0) > 0
    ws, _, resync = start(client, "citizen01", topics=[f"case:{churn.id}"], since=1)
    assert resync["type"] == "resync" and resync["code"] == "ws.resync" and resync["message_zh"]
    subscribed = ws.receive_json(timeout=5)
    assert subscribed == {"type": "subscribed", "topics": [f"case:{churn.id}"], "last_seq": resync["last_seq"]}
    churn.make(1)
    assert events(ws, 1)[0]["seq"] > resync["last_seq"]
    # A client that is up to date is not bothered: nothing it needs was pruned.
    _, _, ok = start(client, "citizen01", topics=[f"case:{churn.id}"], since=resync["last_seq"])
    assert ok["type"] == "event" and ok["seq"] == resync["last_seq"] + 1


def test_heartbeats_carry_the_resume_point(settings: Settings) -> None:
    with open_client(settings.with_(ws_heartbeat_seconds=0.2)) as client:
        churn = Churn(client)
        ws, welcome, _ = start(client, "citizen01")
        assert welcome["heartbeat_seconds"] == 0.2
        churn.make(1)
        event = events(ws, 1)[0]
        beat = ws.receive_json(timeout=5)
        while beat["type"] != "heartbeat":
            beat = ws.receive_json(timeout=5)
        assert beat["last_seq"] >= event["seq"]


def test_unsubscribe_stops_delivery(client: Any) -> None:
    churn = Churn(client)
    ws, _, _ = start(client, "operator01", topics=["command"])
    ws.send_json({"type": "unsubscribe", "topics": ["command"]})
    reply = ws.receive_json(timeout=5)
    assert reply["type"] == "subscribed" and reply["topics"] == []
    churn.make(1)
    ws.send_json({"type": "ping"})
    assert ws.receive_json(timeout=5)["type"] == "pong"

