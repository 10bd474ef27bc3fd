"""The per-process fan-out: one channels subscription for all events, dispatched in seq order to local connections.

Every process receives every event on one channel and routes it by topic itself, so the channels backend (memory or
Redis) carries each event once per process, not once per connection. Events are dispatched strictly in seq order:
an event that arrives ahead of a missing seq (another process published later, a message was dropped) makes the hub
read the gap back from the event log first. The heartbeat tick also polls the log, so an event whose publish was
lost still arrives within one heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from typing import Any

import msgspec

from backend.live.bus import CHANNEL
from backend.live.connection import BEAT, EVENT, TOO_SLOW, Connection
from backend.live.log import last_seq, scan_log
from backend.live.messages import ErrorOut, event_text

log = logging.getLogger("suishoupai.live")

# A burst (a catch-up page, many events published at once) yields to the senders this often, so connections that
# keep up drain their outboxes between slices instead of overflowing.
SLICE = 32


class Hub:
    def __init__(self, channels: Any, heartbeat_seconds: float) -> None:
        self.channels = channels
        self.heartbeat_seconds = heartbeat_seconds
        self.seq = 0  # every event up to here has been dispatched
        self.connections: set[Connection] = set()
        self.by_topic: dict[str, set[Connection]] = {}
        self._lock = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriber: Any = None

    async def ensure_started(self) -> None:
        """Start on the first connection: the channels plugin starts after the app's own lifespan."""
        if self._tasks:
            return
        async with self._start_lock:
            if self._tasks:
                return
            if self.channels is not None:
                # Subscribe before reading the head of the log, so nothing falls between the two.
                self._subscriber = await self.channels.subscribe([CHANNEL])
            self.seq = await last_seq()
            if self._subscriber is not None:
                self._tasks.append(asyncio.create_task(self._consume()))
            self._tasks.append(asyncio.create_task(self._tick()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    # ------------------------------------------------------------ registry

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)

    def watch(self, conn: Connection, topics: list[str]) -> None:
        for topic in topics:
            self.by_topic.setdefault(topic, set()).add(conn)

    def unwatch(self, conn: Connection, topics: list[str] | set[str]) -> None:
        for topic in list(topics):
            watchers = self.by_topic.get(topic)
            if watchers is not None:
                watchers.discard(conn)
                if not watchers:
                    del self.by_topic[topic]

    def forget(self, conn: Connection) -> None:
        self.unwatch(conn, conn.topics)
        self.connections.discard(conn)

    # ------------------------------------------------------------ dispatch

    async def _consume(self) -> None:
        handled = 0
        async for raw in self._subscriber.iter_events():
            handled += 1
            if handled % SLICE == 0:
                await asyncio.sleep(0)
            try:
                event = msgspec.json.decode(raw)
                seq = int(event["seq"])
            except (msgspec.DecodeError, KeyError, TypeError, ValueError):
                log.warning("live: ignoring a malformed event on %s", CHANNEL)
                continue
            async with self._lock:
                if seq == self.seq + 1:
                    self._dispatch(event)
                elif seq > self.seq:
                    await self._catch_up()

    async def catch_up(self) -> None:
        async with self._lock:
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Dispatch everything in the log after ``self.seq``. Commits happen in seq order, so nothing is skipped."""
        try:
            while batch := await scan_log(self.seq):
                for i, event in enumerate(batch, 1):
                    self._dispatch(event)
                    if i % SLICE == 0:
                        await asyncio.sleep(0)
        except Exception:
            # The database is unreachable: keep serving; the next event or tick tries again.
            log.exception("live: could not read the event log")

    def _dispatch(self, event: dict[str, Any]) -> None:
        self.seq = seq = int(event["seq"])
        groups = [self.by_topic[t] for t in event.get("topics") or () if t in self.by_topic]
        if not groups:
            return
        # A copy: a push that overflows forgets its connection while we iterate.
        targets = list(groups[0]) if len(groups) == 1 else set().union(*groups)
        item = (EVENT, seq, event_text(event))
        for conn in targets:
            conn.push(item)

    # ------------------------------------------------------------ heartbeats

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            await self.catch_up()
            self.beat()

    def beat(self) -> None:
        """Heartbeat every subscribed connection; close those whose last send has been stuck for two beats."""
        stuck_before = time.monotonic() - 2 * self.heartbeat_seconds
        item = (BEAT, self.seq, None)
        for conn in list(self.connections):
            if conn.sending_since is not None and conn.sending_since < stuck_before:
                conn.abort(TOO_SLOW, ErrorOut(
                    "ws.stalled", "连接无响应，请重新连接", "The connection stalled; reconnect and resume",
                    {"resume_since": conn.cursor},
                ))
            elif conn.topics:
                conn.push(item)
