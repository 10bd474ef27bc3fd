"""Background loops that stop between rounds, never in the middle of one (a cancelled transaction leaks its connection)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("suishoupai.loops")


class Loop:
    """Runs ``body`` again and again: at once while it returns True (more work), else after ``interval`` or ``wake()``.

    ``stop()`` lets the running round finish (up to ``grace`` seconds) before anything is cancelled.
    """

    def __init__(self, name: str, body: Callable[[], Awaitable[bool]], interval: float, grace: float = 10.0) -> None:
        self.name = name
        self.body = body
        self.interval = interval
        self.grace = grace
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=self.grace)
        except TimeoutError:
            log.warning("%s did not finish its round in %.0f s: cancelling it", self.name, self.grace)
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the round, so a wake() (or stop()) that arrives during it is not lost.
            self._wake.clear()
            more = False
            try:
                more = await self.body()
            except Exception:  # noqa: BLE001 - a failed round is logged and retried; the loop must live on
                log.exception("%s: round failed", self.name)
            if more or self._stopping:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
