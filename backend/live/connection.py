"""One websocket subscriber: a bounded outbox, one sender task that keeps seqs strictly increasing, and resume.

Everything a connection sends goes out in order, so a reply (``subscribed``, ``pong``) or heartbeat always tells the
truth about what came before it. The outbox holds at most ``ws_queue_limit`` items: a client that cannot keep up is
closed with 4429 and the seq to resume from, never buffered without bound.

Fast path: when the sender task is idle (outbox empty, nothing in flight), an event or heartbeat is written directly
by the caller (the hub) instead of being queued and waking the sender — on a writable transport the ASGI send
completes without suspending, so a broadcast to N connections is one synchronous loop. If the transport is paused
(the client is not reading), the half-done send is handed to the sender task as the first outbox item, and everything
after it queues behind it as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
import types
from collections.abc import Awaitable, Coroutine, Generator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from backend.accounts.services import Actor
from backend.live.log import last_seq, pruned_through, scan_log
from backend.live.messages import ErrorOut, EventViews, Heartbeat, Pong, Resync, Revoked, Subscribed, text

if TYPE_CHECKING:
    from litestar import WebSocket

    from backend.live.hub import Hub

log = logging.getLogger("suishoupai.live")

# Outbox items are (kind, seq, data). RESUME: a direct send that suspended; data is the rest of it, to await.
EVENT, BEAT, PONG, REPLY, SYNC, CLOSE, RESUME = range(7)
Item = tuple[int, int, Any]
REPLAY_PAGE = 500
UNAUTHENTICATED, FORBIDDEN, TOO_SLOW = 4401, 4403, 4429


class Connection:
    __slots__ = (
        "_aborter",
        "_sender",
        "actor",
        "closing",
        "cursor",
        "hub",
        "idle",
        "outbox",
        "resumed",
        "sending_since",
        "socket",
        "topics",
    )

    def __init__(self, socket: WebSocket[Any, Any, Any], actor: Actor, hub: Hub, limit: int) -> None:
        self.socket = socket
        self.actor = actor
        self.hub = hub
        self.outbox: asyncio.Queue[Item] = asyncio.Queue(limit)
        self.topics: set[str] = set()
        self.cursor = 0  # every event with seq <= cursor on our topics has been handed to the transport
        self.resumed = False  # ``since`` is honoured on the first subscribe only
        self.closing = False
        self.sending_since: float | None = None
        self.idle = False  # the sender waits on an empty outbox with nothing in flight: push may send directly
        self._sender: asyncio.Task[None] | None = None
        self._aborter: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_loop())

    def push(self, item: Item) -> None:
        if self.closing:
            return
        if self.idle and item[0] <= BEAT and not self.outbox.qsize():
            self._send_now(item)
            return
        try:
            self.outbox.put_nowait(item)
        except asyncio.QueueFull:
            self.abort(TOO_SLOW, ErrorOut(
                "ws.too_slow", "网络太慢，消息积压，请重新连接", "Too slow to keep up; reconnect and resume",
                {"resume_since": self.cursor},
            ))

    def subscribe(self, topics: list[str], since: int | None) -> None:
        # The marker goes in first, then the topics are watched: live events for them queue up behind the marker,
        # and the sender replays the log before it reaches them.
        first, self.resumed = not self.resumed, True
        self.push((SYNC, self.hub.seq, since if first else None))
        self.topics.update(topics)
        self.hub.watch(self, topics)

    def unsubscribe(self, topics: list[str]) -> None:
        self.topics.difference_update(topics)
        self.hub.unwatch(self, topics)
        self.push((SYNC, self.hub.seq, None))

    def revoke(self, topics: list[str]) -> None:
        """Stop watching topics the actor may no longer see, and say so (``revoked``, then ``subscribed``)."""
        self.push((REPLY, 0, text(Revoked(sorted(topics)))))
        self.unsubscribe(topics)

    def refuse(self, code: int, error: ErrorOut) -> None:
        """Send ``error`` after what is already queued, then close with ``code``."""
        self.push((REPLY, 0, text(error)))
        self.push((CLOSE, code, error.code))
        self.closing = True

    def abort(self, code: int, error: ErrorOut) -> None:
        """Close now, skipping the outbox (it is full or stuck)."""
        if self.closing:
            return
        self.closing = True
        self.hub.forget(self)
        if self._sender:
            self._sender.cancel()
        self._aborter = asyncio.create_task(self._abort(code, error))

    async def finish(self) -> None:
        """The client is gone or we closed: let a queued close go out, then stop the sender."""
        self.closing = True
        self.hub.forget(self)
        # (Not when an abort already cancelled it: waiting on a cancelled task would raise CancelledError here.)
        if self._sender and not self._sender.done() and not self._sender.cancelling():
            with suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._sender), 0.01 if self.outbox.empty() else 2.0)
            self._sender.cancel()
        if self._aborter:
            with suppress(Exception):
                await self._aborter

    async def _abort(self, code: int, error: ErrorOut) -> None:
        resume = error.details.get("resume_since")
        # No timeout: these wait for the client to drain what is in flight (bounded by the transport's buffer).
        # A dead client is found by the server's keepalive pings, which makes both raise.
        with suppress(Exception):
            await self.socket.send_text(text(error))
            await self.socket.close(code, f"{error.code} resume_since={resume}" if resume is not None else error.code)

    def _send_now(self, item: Item) -> None:
        """Send an EVENT or BEAT from the caller's task; only called while the sender is idle."""
        kind, seq, data = item
        if kind == EVENT:
            if seq <= self.cursor:
                return
        else:
            self.cursor = max(self.cursor, seq)
            data, seq = text(Heartbeat(self.cursor)), 0
        # The ASGI send itself (what ``send_text`` ends in, minus two coroutine frames per connection).
        sending = self.socket.send({"type": "websocket.send", "bytes": None, "text": data})
        # ASGI servers' send is an async function; any other awaitable is driven through a coroutine of its own.
        coro = sending if isinstance(sending, types.CoroutineType) else _awaited(sending)
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            if seq:
                self.cursor = seq
            return
        except Exception as exc:  # noqa: BLE001 - the socket went away; the handler sees the disconnect
            self._failed(exc)
            return
        # The transport is paused: the sender task finishes this send first (the outbox is empty, so it is next).
        self.sending_since = time.monotonic()
        self.outbox.put_nowait((RESUME, seq, _resume(coro, waiting_on)))

    def _failed(self, exc: BaseException) -> None:
        log.debug("live: send failed: %r", exc)
        self.closing = True
        self.hub.forget(self)

    async def _send(self, data: str) -> None:
        self.sending_since = time.monotonic()
        await self.socket.send_text(data)
        self.sending_since = None

    async def _send_loop(self) -> None:
        try:
            while True:
                if self.outbox.qsize():
                    kind, seq, data = self.outbox.get_nowait()
                else:
                    self.idle = True
                    kind, seq, data = await self.outbox.get()
                    self.idle = False
                if kind == RESUME:
                    await data
                    self.sending_since = None
                    self.cursor = max(self.cursor, seq)
                elif kind == EVENT:
                    if seq > self.cursor:
                        await self._send(data)
                        self.cursor = seq
                elif kind == BEAT:
                    self.cursor = max(self.cursor, seq)
                    await self._send(text(Heartbeat(self.cursor)))
                elif kind == PONG:
                    await self._send(text(Pong(self.cursor)))
                elif kind == REPLY:
                    await self._send(data)
                elif kind == SYNC:
                    await self._sync(seq, data)
                else:
                    await self.socket.close(seq, data)
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the socket went away mid-send; the handler sees the disconnect
            self._failed(exc)
        finally:
            self.idle = False

    async def _sync(self, hub_seq: int, since: int | None) -> None:
        if since is None:
            self.cursor = max(self.cursor, hub_seq)
        else:
            await self._replay(since, hub_seq)
        await self._send(text(Subscribed(sorted(self.topics), self.cursor)))

    async def _replay(self, since: int, hub_seq: int) -> None:
        newest = await last_seq()
        if since < await pruned_through() or since > newest:
            # Pruned history (or a log that was reset): what the client missed can no longer be told.
            self.cursor = max(self.cursor, newest, hub_seq)
            await self._send(text(Resync(self.cursor)))
            return
        after = since
        while batch := await scan_log(after, REPLAY_PAGE):
            for event in batch:
                after = event["seq"]
                if after > self.cursor and self.topics.intersection(event["topics"]):
                    if (shown := EventViews(event).text_for(self.actor, self.topics)) is not None:
                        await self._send(shown)
                    self.cursor = after
        # Everything up to the end of the log has been sent; later events are queued behind the marker.
        self.cursor = max(self.cursor, after, hub_seq)


async def _awaited(awaitable: Awaitable[None]) -> None:
    await awaitable


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Generator[Any, Any, Any]:
    """Carry on a coroutine that was started by hand and suspended on ``waiting_on``, exactly as a task would.

    The awaiting task parks on ``waiting_on`` (a future, or None for a bare yield), then feeds results, exceptions and
    cancellation into ``coro`` until it returns.
    """
    while True:
        try:
            sent = yield waiting_on
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - cancellation included: it belongs to ``coro``
            try:
                waiting_on = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                waiting_on = coro.send(sent)
            except StopIteration as stop:
                return stop.value
