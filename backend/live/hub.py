"""The per-process fan-out: one channels subscription for all events, dispatched in seq order to local connections.

Every process receives every event on one channel and routes it by topic itself, so the channels backend (memory or
Redis) carries each event once per process, not once per connection. Events are dispatched strictly in seq order:
an event that arrives ahead of a missing seq (another process published later, a message was dropped) makes the hub
read the gap back from the event log first. The heartbeat tick also polls the log, so an event whose publish was
lost still arrives within one heartbeat.

Rights follow the data: an event that may move a case to other hands (``OWNER_CHANGING``) makes the hub re-check the
subscribers of that case, before it dispatches anything later. Control messages on a second channel close a user's
sockets when a session ends and re-check their topics when their rights change; the heartbeat tick also sweeps every
socket's credential, so a lost control message or an expired credential closes the socket within one heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import msgspec

from backend.accounts.services import actor_for_user
from backend.errors import AppError
from backend.live.bus import CHANNEL, CONTROL, Control
from backend.live.connection import BEAT, EVENT, TOO_SLOW, UNAUTHENTICATED, Connection
from backend.live.log import last_seq, scan_log
from backend.live.messages import ErrorOut, EventViews
from backend.live.sessions import session_expiries
from backend.live.topics import NO_CASES, OWNER_CHANGING, TopicRules

log = logging.getLogger("suishoupai.live")

# A burst (a catch-up page, many events published at once) yields to the senders this often, so connections that
# keep up drain their outboxes between slices instead of overflowing.
SLICE = 32
# How many recent owner changes and control messages are remembered, for connections checked while they happened.
MEMORY = 4096
DEGRADED_POLL_S = 1.0  # how often the log is read while Redis is down
control_decoder = msgspec.json.Decoder(Control)
ENDED = ErrorOut("auth.session_ended", "登录已失效，请重新登录", "Your session has ended; please log in again")
EXPIRED = ErrorOut("auth.expired", "登录已过期，请重新登录", "Your session has expired")


class Hub:
    def __init__(self, channels: Any, heartbeat_seconds: float, degraded: Callable[[], bool] | None = None,
                 rules: TopicRules = NO_CASES) -> None:
        self.channels = channels
        self.rules = rules
        self.heartbeat_seconds = heartbeat_seconds
        # True while the channel between processes (Redis) is down: the log is then polled every DEGRADED_POLL_S.
        self.degraded = degraded or (lambda: False)
        self.seq = 0  # every event up to here has been dispatched
        self.connections: set[Connection] = set()
        self.by_topic: dict[str, set[Connection]] = {}
        self.by_user: dict[int, set[Connection]] = {}
        self.owner_changed: dict[str, int] = {}  # case topic -> seq of its latest owner-changing event
        self.touched: dict[int, float] = {}  # user id -> when the latest control message for them arrived
        self._lock = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriber: Any = None
        self._control: Any = None

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
                self._control = await self.channels.subscribe([CONTROL])
            self.seq = await last_seq()
            if self._subscriber is not None:
                self._tasks.append(asyncio.create_task(self._consume()))
                self._tasks.append(asyncio.create_task(self._obey()))
            self._tasks.append(asyncio.create_task(self._tick()))
            self._tasks.append(asyncio.create_task(self._poll_while_degraded()))

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
        self.by_user.setdefault(conn.actor.id, set()).add(conn)

    def count(self, user_id: int) -> int:
        return len(self.by_user.get(user_id, ()))

    def touched_since(self, user_id: int, moment: float) -> bool:
        """Whether a control message for the user arrived at or after ``moment`` (``time.monotonic()``)."""
        return self.touched.get(user_id, -1.0) >= moment

    def owner_changed_since(self, seq: int, topics: list[str]) -> list[str]:
        """The case topics among ``topics`` whose case may have changed hands after ``seq``."""
        return [topic for topic in topics if self.owner_changed.get(topic, 0) > seq]

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
        mine = self.by_user.get(conn.actor.id)
        if mine is not None:
            mine.discard(conn)
            if not mine:
                del self.by_user[conn.actor.id]

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
            try:
                async with self._lock:
                    if seq == self.seq + 1:
                        await self._deliver(event)
                    elif seq > self.seq:
                        await self._catch_up()
            except Exception:
                # One bad event must not stop every later one: the hub outlives it.
                log.exception("live: could not dispatch event %s", seq)

    async def catch_up(self) -> None:
        async with self._lock:
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Dispatch everything in the log after ``self.seq``. Commits happen in seq order, so nothing is skipped."""
        try:
            while batch := await scan_log(self.seq):
                for i, event in enumerate(batch, 1):
                    await self._deliver(event)
                    if i % SLICE == 0:
                        await asyncio.sleep(0)
        except Exception:
            # The database is unreachable: keep serving; the next event or tick tries again.
            log.exception("live: could not read the event log")

    async def _deliver(self, event: dict[str, Any]) -> None:
        self._dispatch(event)
        if event.get("action") not in OWNER_CHANGING:
            return
        topic = f"case:{event.get('case_id')}"
        _remember(self.owner_changed, topic, self.seq)
        if topic in self.by_topic:
            # Awaited under the dispatch lock: nobody who lost the case gets a later event of it.
            await self._recheck_case(topic, int(event["case_id"]))

    async def _recheck_case(self, topic: str, case_id: int) -> None:
        """Drop ``topic`` from the connections whose actor may no longer see the case (they got this event still:
        it tells them the case left them)."""
        try:
            case = await self.rules.load_case(case_id)
        except Exception:
            # Fail closed: the client is told and may subscribe again, which checks afresh.
            log.exception("live: could not re-check who may watch %s", topic)
            case = None
        for conn in list(self.by_topic.get(topic, ())):
            if not self.rules.may_see_case(conn.actor, case):
                conn.revoke([topic])

    def _dispatch(self, event: dict[str, Any]) -> None:
        self.seq = seq = int(event["seq"])
        groups = [self.by_topic[t] for t in event.get("topics") or () if t in self.by_topic]
        if not groups:
            return
        # A copy: a push that overflows forgets its connection while we iterate.
        targets = list(groups[0]) if len(groups) == 1 else set().union(*groups)
        # Each view of the event (staff's, a citizen's) is encoded once, for the first connection that gets it.
        views = EventViews(event)
        for conn in targets:
            if (shown := views.text_for(conn.actor, conn.topics)) is not None:
                conn.push((EVENT, seq, shown))

    # ------------------------------------------------------------ sessions and rights

    async def _obey(self) -> None:
        async for raw in self._control.iter_events():
            try:
                message = control_decoder.decode(raw)
            except msgspec.DecodeError:
                log.warning("live: ignoring a malformed message on %s", CONTROL)
                continue
            _remember(self.touched, message.user_id, time.monotonic())
            try:
                if message.op == "end_sessions":
                    self.end_sessions(message.user_id, message.sessions)
                else:
                    await self.rights_changed(message.user_id)
            except Exception:
                log.exception("live: could not apply %s for user %s", message.op, message.user_id)

    def end_sessions(self, user_id: int, sessions: list[str] | None) -> None:
        for conn in list(self.by_user.get(user_id, ())):
            if sessions is None or conn.actor.session in sessions:
                conn.abort(UNAUTHENTICATED, ENDED)

    async def rights_changed(self, user_id: int) -> None:
        """Reload the user (their unit, grids or role changed) and drop each topic they may no longer watch."""
        conns = list(self.by_user.get(user_id, ()))
        if not conns:
            return
        try:
            fresh = await actor_for_user(user_id)
        except AppError as exc:  # deactivated meanwhile
            for conn in conns:
                conn.abort(UNAUTHENTICATED, ErrorOut(exc.code, exc.message_zh, exc.message_en))
            return
        for conn in conns:
            conn.actor = replace(fresh, session=conn.actor.session)
            lost = await self.rules.refused(conn.actor, sorted(conn.topics))
            if lost and not conn.closing:
                conn.revoke(lost)

    async def sweep(self) -> None:
        """Close the sockets whose credential has ended or expired (a safety net behind ``end_sessions``)."""
        # Only those open before the query: one that opens meanwhile is not in its answer.
        conns = list(self.connections)
        if not conns:
            return
        try:
            alive = await session_expiries(conn.actor.session for conn in conns)
        except Exception:
            log.exception("live: could not check the sessions of open websockets")
            return
        now = datetime.now(UTC)
        for conn in conns:
            expires = alive.get(conn.actor.session)
            if expires is None or expires <= now:
                conn.abort(UNAUTHENTICATED, ENDED if expires is None else EXPIRED)

    # ------------------------------------------------------------ heartbeats

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            await self.catch_up()
            await self.sweep()
            self.beat()

    async def _poll_while_degraded(self) -> None:
        """While Redis is down no event or control message arrives from other processes: read the log and sweep
        credentials every second instead of every heartbeat; once more after it is back, for anything published
        while the channel reader was subscribing again."""
        was_down = False
        while True:
            await asyncio.sleep(DEGRADED_POLL_S)
            down = self.degraded()
            if down or was_down:
                await self.catch_up()
                await self.sweep()
            was_down = down

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


def _remember(memory: dict[Any, Any], key: Any, value: Any) -> None:
    """Set ``key`` as the newest entry, forgetting the oldest beyond ``MEMORY`` entries."""
    memory.pop(key, None)
    memory[key] = value
    if len(memory) > MEMORY:
        del memory[next(iter(memory))]
