"""Who may keep a /ws open, through the sync test client: auth in the first message, sessions that end, rights that
change, a case that goes to another unit, and the per-user connection limit."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect

from backend.accounts.tables import AuthToken, SupervisorGrid, User
from backend.live import endpoint
from backend.settings import Settings
from tests.cases.flows import Flow
from tests.live.conftest import close, open_client, token
from tests.live.test_protocol import connect, events


def watch(client: Any, credential: str, topics: list[str] | None = None) -> Any:
    """A socket authenticated with ``credential`` and subscribed to ``topics`` (None: the natural ones)."""
    ws = connect(client, None, credential)
    assert ws.receive_json(timeout=5)["type"] == "welcome"
    ws.send_json({"type": "subscribe", **({"topics": topics} if topics is not None else {})})
    reply = ws.receive_json(timeout=10)
    assert reply["type"] == "subscribed", reply
    return ws


def closed_with(ws: Any, within: float = 5.0) -> tuple[dict[str, Any], int, float]:
    """Read until the server closes: the last error before it, the close code, and how long it took."""
    began, error = time.monotonic(), {}
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            msg = ws.receive_json(timeout=within)
            if msg["type"] == "error":
                error = msg
    return error, closed.value.code, time.monotonic() - began


def quiet(ws: Any) -> None:
    """Nothing else is queued for this socket: the answer to a ping is the next message (heartbeats aside)."""
    ws.send_json({"type": "ping"})
    while (msg := ws.receive_json(timeout=5))["type"] == "heartbeat":
        pass
    assert msg["type"] == "pong", msg


def me(client: Any, credential: str) -> int:
    return int(client.get("/api/v1/me", headers={"Authorization": f"Bearer {credential}"}).json()["id"])


def session_of(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def call(client: Any, fn: Any, *args: Any) -> Any:
    """Run a coroutine function on the app's own loop (the app runs on the test client's thread)."""
    return client.blocking_portal.call(fn, *args)


# ---------------------------------------------------------------- the handshake


def test_the_credential_comes_in_the_first_message_and_never_in_the_url(client: Any) -> None:
    ws = connect(client, "citizen01")
    assert ws.receive_json(timeout=5)["type"] == "welcome"

    ws = client.websocket_connect(f"/ws?token={token(client, 'citizen01')}").__enter__()
    client.live_sessions.append(ws)
    error, code, _ = closed_with(ws)
    assert code == 4400 and error["code"] == "ws.token_in_url"
    assert '"type":"auth"' in error["message_en"] and '"type":"auth"' in error["message_zh"]

    ws = connect(client, None)
    ws.send_json({"type": "subscribe", "topics": []})  # anything but auth first
    error, code, _ = closed_with(ws)
    assert code == 4401 and error["code"] == "auth.required" and '"type":"auth"' in error["message_en"]

    ws = connect(client, None, "x" * 201)
    assert closed_with(ws)[:2] == ({"type": "error", "code": "auth.invalid", "message_zh": "登录凭证无效",
                                    "message_en": "Invalid credential", "details": {}}, 4401)


def test_an_account_that_must_change_its_password_reads_nothing(client: Any) -> None:
    credential = token(client, "staff_ld_water")
    call(client, User.update({User.must_change_password: True}).where(User.username == "staff_ld_water").run)
    error, code, _ = closed_with(connect(client, None, credential))
    assert (code, error["code"]) == (4403, "auth.password_change_required") and error["message_zh"]


def test_a_client_that_sends_no_credential_is_closed(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoint, "AUTH_SECONDS", 0.3)
    error, code, took = closed_with(connect(client, None))
    assert code == 4401 and error["code"] == "auth.timeout" and error["message_zh"] and took < 3


# ---------------------------------------------------------------- sessions that end


def test_end_sessions_closes_that_sessions_sockets_within_a_second(client: Any) -> None:
    first, second, other = token(client, "operator01"), token(client, "operator01"), token(client, "dispatcher01")
    ended, kept, bystander = watch(client, first, ["command"]), watch(client, second), watch(client, other)
    bus, operator = client.app.state.ctx.bus, me(client, first)

    call(client, bus.end_sessions, operator, [session_of(first)])
    error, code, took = closed_with(ended, within=1)
    assert code == 4401 and error["code"] == "auth.session_ended" and error["message_zh"] and took < 1
    quiet(kept)  # the user's other session stays

    call(client, bus.end_sessions, operator, None)  # every session of the user
    assert closed_with(kept, within=1)[1] == 4401
    quiet(bystander)  # nobody else is touched


def test_a_session_that_ended_without_a_message_is_closed_within_a_heartbeat(settings: Settings) -> None:
    """The safety net behind end_sessions: each heartbeat checks every open socket's credential."""
    with open_client(settings.with_(ws_heartbeat_seconds=0.3)) as client:
        logged_out, expired, fine = (token(client, "citizen01") for _ in range(3))
        sockets = [watch(client, t) for t in (logged_out, expired, fine)]
        r = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {logged_out}"})
        assert r.status_code == 204, r.text
        error, code, took = closed_with(sockets[0])
        assert code == 4401 and error["code"].startswith("auth.") and took < 2

        past = datetime.now(UTC) - timedelta(seconds=1)
        call(client, AuthToken.update({AuthToken.expires_at: past}).where(
            AuthToken.token_hash == session_of(expired)).run)
        error, code, took = closed_with(sockets[1])
        assert (code, error["code"]) == (4401, "auth.expired") and took < 2
        quiet(sockets[2])


# ---------------------------------------------------------------- rights that change


def test_rights_changed_drops_the_topics_no_longer_yours(client: Any) -> None:
    credential = token(client, "supervisor01")
    supervisor = me(client, credential)
    ws = watch(client, credential)  # natural topics: supervisor:{me} and grid:{each own grid}
    bus = client.app.state.ctx.bus
    call(client, bus.rights_changed, supervisor)
    quiet(ws)  # nothing changed: nothing dropped

    call(client, SupervisorGrid.delete().where(SupervisorGrid.user == supervisor).run)
    call(client, bus.rights_changed, supervisor)
    revoked = ws.receive_json(timeout=1)
    assert revoked["type"] == "revoked" and revoked["code"] == "ws.topic_revoked" and revoked["message_zh"]
    assert revoked["topics"] and all(t.startswith("grid:") for t in revoked["topics"])
    assert ws.receive_json(timeout=5)["topics"] == [f"supervisor:{supervisor}"]  # subscribed: what is left

    call(client, User.update({User.active: False}).where(User.id == supervisor).run)
    call(client, bus.rights_changed, supervisor)
    error, code, _ = closed_with(ws, within=1)
    assert (code, error["code"]) == (4401, "auth.disabled")


def test_a_unit_that_lost_a_case_gets_no_further_event_of_it(client: Any) -> None:
    flow = Flow(client)
    case_id = flow.case_in("handling")["id"]  # with the water company
    water = watch(client, token(client, "staff_ld_water"), [f"case:{case_id}"])
    flow.act("staff_ld_water", case_id, "request_return", reason="不归我们管")
    flow.act("dispatcher01", case_id, "approve_return")
    got = events(water, 2)
    assert [e["action"] for e in got] == ["request_return", "approve_return"]  # told that it left them
    revoked = water.receive_json(timeout=5)
    assert revoked["type"] == "revoked" and revoked["topics"] == [f"case:{case_id}"]
    assert water.receive_json(timeout=5) == {"type": "subscribed", "topics": [], "last_seq": got[-1]["seq"]}

    flow.act("dispatcher01", case_id, "dispatch", unit="power")
    flow.act("staff_ld_power", case_id, "accept")
    quiet(water)  # nothing of the case reached the water company after it lost it
    assert client.get(f"/api/v1/cases/{case_id}", headers=flow.h("staff_ld_water")).status_code == 403
    # A socket subscribing afresh is refused, as the case page is.
    ws = connect(client, "staff_ld_water")
    ws.receive_json(timeout=5)
    ws.send_json({"type": "subscribe", "topics": [f"case:{case_id}"]})
    error, code, _ = closed_with(ws)
    assert (code, error["code"]) == (4403, "ws.topic_forbidden")


def test_the_new_owner_and_the_centre_keep_watching_a_case_that_changes_hands(client: Any) -> None:
    flow = Flow(client)
    case_id = flow.case_in("pending_dispatch")["id"]
    centre = watch(client, token(client, "operator01"), [f"case:{case_id}"])
    reporter = watch(client, token(client, "citizen01"), [f"case:{case_id}"])
    flow.act("dispatcher01", case_id, "dispatch", unit="power")
    power = watch(client, token(client, "staff_ld_power"), [f"case:{case_id}"])
    flow.act("staff_ld_power", case_id, "request_return", reason="不归我们管")
    flow.act("dispatcher01", case_id, "approve_return")
    flow.act("dispatcher01", case_id, "dispatch", unit="water")
    assert [e["action"] for e in events(centre, 4)] == ["dispatch", "request_return", "approve_return", "dispatch"]
    assert [e["case_id"] for e in events(reporter, 4)] == [case_id] * 4  # (in the reporter's words)
    quiet(centre)
    quiet(reporter)
    assert [e["action"] for e in events(power, 2)] == ["request_return", "approve_return"]
    assert power.receive_json(timeout=5)["type"] == "revoked"


# ---------------------------------------------------------------- how many


def test_connections_per_user_are_bounded(settings: Settings) -> None:
    assert Settings().ws_max_per_user == 8
    with open_client(settings.with_(ws_max_per_user=2)) as client:
        credential = token(client, "citizen01")
        first, _second = watch(client, credential), watch(client, token(client, "citizen01"))
        error, code, _ = closed_with(connect(client, None, credential))
        assert code == 4429 and error["code"] == "ws.too_many_connections" and error["details"] == {"limit": 2}
        assert "2" in error["message_zh"] and "2" in error["message_en"]
        watch(client, token(client, "citizen02"))  # another user is not counted against this one
        close(first)
        deadline = time.monotonic() + 5
        while True:  # the server lets go of the closed one in its own time
            ws = connect(client, None, credential)
            if ws.receive_json(timeout=5)["type"] == "welcome":
                break
            assert time.monotonic() < deadline, "a closed connection still counts"
            time.sleep(0.05)
