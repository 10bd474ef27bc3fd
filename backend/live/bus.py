"""Publishing to live subscribers through Litestar channels (in memory, or Redis across processes): committed events,
and control messages that end sessions or re-check a user's topics on every process's websockets."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Literal

import msgspec

log = logging.getLogger("suishoupai.live")

# One channel for every event: each process's hub routes events to its connections by topic.
CHANNEL = "live.events"
# Control messages for every process's hub; kept apart so a backlog of events never delays ending a session.
CONTROL = "live.control"


class Control(msgspec.Struct, frozen=True):
    """``end_sessions``: close the user's websockets (those of ``sessions``, or all when None) with 4401.
    ``rights_changed``: reload the user and drop the topics they may no longer watch."""

    op: Literal["end_sessions", "rights_changed"]
    user_id: int
    sessions: list[str] | None = None  # SHA-256 hex of the credentials (``Actor.session``), never the tokens


class EventBus:
    """Publishes event dicts and control messages. Without channels (CLI, seeding) events stay in the log only and
    control messages go nowhere: no process has websockets to act on."""

    def __init__(self, channels: Any = None) -> None:
        self.channels = channels

    async def publish(self, events: Iterable[dict[str, Any]]) -> None:
        if self.channels is None:
            return
        for event in events:
            # publish() only queues the message; delivery happens on the channels' own task. If it is lost, the
            # hubs find the event in the log on their next heartbeat tick.
            self.channels.publish(event, channels=[CHANNEL])

    async def end_sessions(self, user_id: int, sessions: list[str] | None = None) -> None:
        """Close the user's websockets on every process within a second: all of them, or those of ``sessions``.

        Call after the change is committed. Should the message be lost, each hub's heartbeat sweep still closes
        sockets whose credential no longer exists or has expired.
        """
        self._control(Control("end_sessions", user_id, list(sessions) if sessions is not None else None))

    async def rights_changed(self, user_id: int) -> None:
        """Re-check every topic the user's websockets watch (after a unit, grid or role change has committed)."""
        self._control(Control("rights_changed", user_id))

    def _control(self, message: Control) -> None:
        if self.channels is not None:
            self.channels.publish(msgspec.json.encode(message), channels=[CONTROL])
