"""What the app's lifespan starts for live events: the hub (lazily, on the first websocket) and event-log pruning."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from backend.live.hub import Hub
from backend.live.log import prune_events
from backend.live.topics import NO_CASES, TopicRules
from backend.settings import Settings

log = logging.getLogger("suishoupai.live")

PRUNE_EVERY_SECONDS = 3600.0


class LiveService:
    def __init__(self, channels: Any, settings: Settings, degraded: Callable[[], bool] | None = None,
                 rules: TopicRules = NO_CASES) -> None:
        self.settings = settings
        self.hub = Hub(channels, settings.ws_heartbeat_seconds, degraded, rules)
        self._pruner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._pruner = asyncio.create_task(self._prune_forever())

    async def stop(self) -> None:
        if self._pruner:
            self._pruner.cancel()
            with suppress(asyncio.CancelledError):
                await self._pruner
        await self.hub.stop()

    async def _prune_forever(self) -> None:
        while True:
            try:
                gone = await prune_events(self.settings.event_retention_days)
                if gone:
                    log.info("live: pruned %d events older than %d days", gone, self.settings.event_retention_days)
            except Exception:
                log.exception("live: pruning the event log failed; trying again later")
            await asyncio.sleep(PRUNE_EVERY_SECONDS)
