"""The connection's direct-send fast path, with a fake socket whose transport can be paused like uvicorn's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from backend.live.connection import BEAT, EVENT, TOO_SLOW, Connection


class FakeSocket:
    """``send`` completes without suspending while writable, like uvicorn's; paused, it waits."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.writable.wait()
        self.sent.append(json.loads(message["text"]))

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "bytes": None, "text": data})

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


class FakeHub:
    seq = 0

    def __init__(self) -> None:
        self.forgotten: list[Connection] = []

    def forget(self, conn: Connection) -> None:
        self.forgotten.append(conn)


def event(seq: int) -> tuple[int, int, str]:
    return (EVENT, seq, json.dumps({"type": "event", "seq": seq}))


async def idle_connection(limit: int = 10) -> tuple[Connection, FakeSocket]:
    socket = FakeSocket()
    conn = Connection(socket, None, FakeHub(), limit)  # type: ignore[arg-type]
    conn.start()
    await asyncio.sleep(0)
    assert conn.idle
    return conn, socket


def test_an_idle_connection_sends_in_the_callers_step_and_skips_what_it_already_sent() -> None:
    async def go() -> None:
        conn, socket = await idle_connection()
        conn.push(event(1))
        conn.push(event(2))
        assert [m["seq"] for m in socket.sent] == [1, 2] and conn.cursor == 2  # no await in between
        conn.push(event(2))
        conn.push((BEAT, 5, None))
        assert socket.sent[2:] == [{"type": "heartbeat", "last_seq": 5}] and conn.cursor == 5
        await conn.finish()

    asyncio.run(go())


def test_a_send_that_suspends_is_finished_by_the_sender_before_anything_queued_after_it() -> None:
    async def go() -> None:
        conn, socket = await idle_connection()
        socket.writable.clear()  # the client stopped reading
        for seq in (1, 2, 3):
            conn.push(event(seq))
        assert socket.sent == [] and conn.cursor == 0 and conn.sending_since is not None
        await asyncio.sleep(0.01)
        assert socket.sent == []
        socket.writable.set()
        await asyncio.sleep(0.01)
        assert [m["seq"] for m in socket.sent] == [1, 2, 3] and conn.cursor == 3 and conn.sending_since is None
        assert conn.idle
        conn.push(event(4))  # back on the fast path
        assert [m["seq"] for m in socket.sent] == [1, 2, 3, 4]
        await conn.finish()

    asyncio.run(go())


def test_a_paused_client_overflows_its_outbox_and_is_dropped_with_the_seq_to_resume_from() -> None:
    async def go() -> None:
        conn, socket = await idle_connection(limit=3)
        conn.push(event(1))
        socket.writable.clear()
        for seq in range(2, 10):
            conn.push(event(seq))
        assert conn.closing and conn.hub.forgotten == [conn]  # type: ignore[attr-defined]
        socket.writable.set()
        await conn.finish()
        error = socket.sent[-1]
        assert [m["seq"] for m in socket.sent[:-1]] == [1]  # the cancelled send never went out
        assert error["code"] == "ws.too_slow" and error["details"] == {"resume_since": 1}
        assert socket.closed is not None and socket.closed[0] == TOO_SLOW and "resume_since=1" in socket.closed[1]

    asyncio.run(go())
