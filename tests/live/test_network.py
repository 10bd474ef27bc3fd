"""/ws over real TCP: uvicorn in a subprocess, the ``websockets`` client, HTTP actions through httpx."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from backend.db import bind_tables, build_engine, close_database, write_transaction
from backend.live.log import append_event, serialize_event_writes
from backend.settings import Settings
from tests.live.conftest import Churn, token


def authed(address: str, tok: str, **options: Any) -> ClientConnection:
    """Connect and send the credential as the first message (never in the URL)."""
    ws = connect(f"ws://{address}/ws", open_timeout=10, legacy=True, **options)  # closed by the caller
    ws.send(json.dumps({"type": "auth", "token": tok}))
    return ws


def open_ws(address: str, tok: str, **subscribe: Any) -> tuple[ClientConnection, list[dict[str, Any]]]:
    """Connect, subscribe, and read through the ``subscribed`` reply; returns the socket and any replayed events."""
    ws = authed(address, tok)
    assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
    ws.send(json.dumps({"type": "subscribe", **subscribe}))
    replayed = []
    while (msg := json.loads(ws.recv(timeout=10)))["type"] != "subscribed":
        assert msg["type"] == "event", msg
        replayed.append(msg)
    return ws, replayed


def read_events(ws: ClientConnection, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < n:
        msg = json.loads(ws.recv(timeout=10))
        if msg["type"] == "event":
            out.append(msg)
    return out


def quiet(ws: ClientConnection) -> None:
    """No event is left to read: only heartbeats come before the pong."""
    ws.send(json.dumps({"type": "ping"}))
    while (msg := json.loads(ws.recv(timeout=10)))["type"] == "heartbeat":
        pass
    assert msg["type"] == "pong", msg


def test_resume_after_a_disconnect_delivers_ten_missed_events_once_in_order(server: Callable[..., Any]) -> None:
    with server() as address, httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        churn = Churn(http)
        tok = token(http, "citizen01")
        ws, _ = open_ws(address, tok, topics=[f"case:{churn.id}"])
        churn.make(1)
        before = read_events(ws, 1)
        ws.close()
        churn.make(10)  # the phone is in a tunnel
        ws, replayed = open_ws(address, tok, topics=[f"case:{churn.id}"], since=before[-1]["seq"])
        assert len(replayed) == 10
        churn.make(2)
        live = read_events(ws, 2)
        quiet(ws)
        seqs = [e["seq"] for e in [*before, *replayed, *live]]
        assert seqs == sorted(set(seqs)) and len(seqs) == 13
        assert all(e["case_id"] == churn.id and e["action"] == "assign_supervisor" for e in [*replayed, *live])
        ws.close()


def test_refusals_over_the_network(server: Callable[..., Any]) -> None:
    with server() as address, httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        ws = authed(address, "nope")
        error = json.loads(ws.recv(timeout=10))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert error["code"] == "auth.invalid" and closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        ws = authed(address, token(http, "citizen01"))
        ws.recv(timeout=10)
        ws.send(json.dumps({"type": "subscribe", "topics": ["command"]}))
        assert json.loads(ws.recv(timeout=10))["code"] == "ws.topic_forbidden"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def ended(ws: ClientConnection, within: float = 10) -> tuple[dict[str, Any] | None, int | None, float]:
    """Read until the server closes: the last error before it, the close code, and how long it took."""
    began, error = time.monotonic(), None
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            msg = json.loads(ws.recv(timeout=within))
            if msg["type"] == "error":
                error = msg
    return error, closed.value.rcvd.code if closed.value.rcvd else None, time.monotonic() - began


def test_a_token_in_the_url_is_refused_and_so_is_a_ninth_connection(server: Callable[..., Any]) -> None:
    with server() as address, httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        tok = token(http, "citizen01")
        error, code, _ = ended(connect(f"ws://{address}/ws?token={tok}", open_timeout=10, legacy=True))
        assert code == 4400 and error is not None and error["code"] == "ws.token_in_url"
        eight = [open_ws(address, tok)[0] for _ in range(8)]  # the default limit, whatever the credential
        error, code, _ = ended(authed(address, token(http, "citizen01")))
        assert code == 4429 and error is not None and error["code"] == "ws.too_many_connections"
        quiet(eight[-1])
        for ws in eight:
            ws.close()


def test_logout_closes_that_sessions_websockets_within_a_second(server: Callable[..., Any]) -> None:
    # Heartbeats 30 s apart: the sweep on the heartbeat cannot be what closes it.
    with server(SUISHOUPAI_WS_HEARTBEAT_SECONDS="30") as address, \
            httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        tok, other = token(http, "citizen01"), token(http, "citizen01")
        ws, _ = open_ws(address, tok)
        kept, _ = open_ws(address, other)
        r = http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 204, r.text
        error, code, took = ended(ws, within=2)
        assert code == 4401 and error is not None and error["code"].startswith("auth.") and took < 1
        quiet(kept)
        kept.close()


def write_events(settings: Settings, case_id: int, n: int) -> None:
    """Append ``n`` events for one case straight to the log, as another process would, without publishing them:
    the server's hub finds them on its next heartbeat tick."""

    async def write() -> None:
        engine = build_engine(settings)
        bind_tables(engine)
        async with write_transaction(engine):
            await serialize_event_writes(engine)
            for i in range(n):
                await append_event("case.updated", [f"case:{case_id}"], {
                    "case_id": case_id, "state": "verifying", "action": "note", "actor_role": "operator",
                    "text_zh": f"第{i}条备注" + "。" * 1000, "text_en": f"note {i}" + "." * 2000}, case_id)
        await close_database(engine)

    asyncio.run(write())


def test_a_slow_client_is_dropped_with_a_resume_hint_and_resumes(settings: Settings, server: Callable[..., Any]) -> None:
    env = {"SUISHOUPAI_WS_QUEUE_LIMIT": "64", "SUISHOUPAI_WS_HEARTBEAT_SECONDS": "0.2"}
    with server(**env) as address, httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        churn = Churn(http)
        tok = token(http, "citizen01")
        host, port = address.split(":")
        # A tiny receive buffer, a one-message client queue and no compression (these events compress to nothing):
        # once it stops reading, the server's sends block.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect((host, int(port)))
        slow = authed(address, tok, sock=sock, max_queue=1, compression=None)
        slow.recv(timeout=10)
        slow.send(json.dumps({"type": "subscribe", "topics": [f"case:{churn.id}"]}))
        assert json.loads(slow.recv(timeout=10))["type"] == "subscribed"
        fast, _ = open_ws(address, tok, topics=[f"case:{churn.id}"])
        keeping_up: list[dict[str, Any]] = []
        reader = threading.Thread(target=lambda: keeping_up.extend(read_events(fast, 1500)), daemon=True)
        reader.start()
        # 1,500 events of ~5 KB, 100 per heartbeat: 7.5 MB, more than the kernel's 4 MiB send buffer and the
        # server's 64 KiB transport buffer hold.
        for _ in range(15):
            write_events(settings, churn.id, 100)
            time.sleep(0.3)
        reader.join(60)
        assert len(keeping_up) == 1500  # a client that reads is never dropped
        received, error, code = drain(slow)
        assert error is not None, f"the slow client was never dropped ({len(received)} events delivered)"
        assert code == 4429 and error["code"] in {"ws.too_slow", "ws.stalled"}
        hint = error["details"]["resume_since"]
        assert received and hint == received[-1]["seq"] and len(received) < 1500
        ws, replayed = open_ws(address, tok, topics=[f"case:{churn.id}"], since=hint)
        seqs = [e["seq"] for e in [*received, *replayed]]
        assert seqs == sorted(set(seqs)) == [e["seq"] for e in keeping_up]
        quiet(ws)
        ws.close()


def drain(ws: ClientConnection) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int | None]:
    """Read until the server closes or sends no event for 3 s: the events, the final error, the close code."""
    events: list[dict[str, Any]] = []
    error = None
    quiet_since = time.monotonic()
    try:
        while time.monotonic() - quiet_since < 3:
            msg = json.loads(ws.recv(timeout=3))
            if msg["type"] == "event":
                events.append(msg)
                quiet_since = time.monotonic()
            elif msg["type"] == "error":
                error = msg
    except TimeoutError:
        pass
    except ConnectionClosed as closed:
        return events, error, closed.rcvd.code if closed.rcvd else None
    return events, None, None
