"""Publishing committed events to live subscribers through Litestar channels (in memory, or Redis across processes)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("suishoupai.live")

# One channel for every event: each process's hub routes events to its connections by topic.
CHANNEL = "live.events"


class EventBus:
    """Publishes event dicts. Without channels (CLI, seeding) events stay in the log only."""

    def __init__(self, channels: Any = None) -> None:
        self.channels = channels

    async def publish(self, events: Iterable[dict[str, Any]]) -> None:
        if self.channels is None:
            return
        for event in events:
            # publish() only queues the message; delivery happens on the channels' own task. If it is lost, the
            # hubs find the event in the log on their next heartbeat tick.
            self.channels.publish(event, channels=[CHANNEL])
