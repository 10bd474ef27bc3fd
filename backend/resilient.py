"""Redis may go away; the app keeps serving.

``ResilientChannels`` wraps Litestar's Redis pub/sub channels backend. Litestar's plugin runs one task that publishes
and one that reads; either dies on the first Redis error and never comes back (later events queue forever, and
shutdown waits on that queue). Here a failed publish is dropped — every event is already committed to the event log,
which each process's hub reads — and the reader reconnects with backoff (redis-py re-subscribes its channels on
reconnect). While Redis is away ``degraded`` is true and the hubs poll the event log every second instead of every
heartbeat, so live delivery slows to about a second instead of stopping.

``FallbackStore`` does the same for the rate-limit and lockout counters: while Redis is unreachable they are kept in
this process's memory (limits then hold per process, not across processes) and the requests are served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from litestar.channels.backends.base import ChannelsBackend
from litestar.stores.base import NamespacedStore, Store
from litestar.stores.memory import MemoryStore
from redis.exceptions import RedisError

log = logging.getLogger("suishoupai.live")

FAILURES = (RedisError, OSError, asyncio.TimeoutError)
RETRY_MIN_S = 0.5
RETRY_MAX_S = 5.0
T = TypeVar("T")


class Outage:
    """Whether Redis is reachable, as last seen; logs each outage once at its start and once at its end."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.since: float | None = None

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("redis unreachable (%s: %s): %s degraded", type(exc).__name__, exc, self.name)

    def ok(self) -> None:
        if self.since is not None:
            log.warning("redis back after %.1f s: %s restored", time.monotonic() - self.since, self.name)
            self.since = None


class ResilientChannels(ChannelsBackend):
    def __init__(self, inner: ChannelsBackend) -> None:
        self.inner = inner
        self.outage = Outage("live events (falling back to the event-log poll)")

    @property
    def degraded(self) -> bool:
        return self.outage.down

    async def on_startup(self) -> None:
        try:
            await self.inner.on_startup()
        except FAILURES as exc:
            self.outage.failed(exc)

    async def on_shutdown(self) -> None:
        try:
            await self.inner.on_shutdown()
        except FAILURES:
            pass

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        try:
            await self.inner.publish(data, channels)
        except FAILURES as exc:
            self.outage.failed(exc)  # dropped: the event is in the log, and the hubs poll it while degraded
        else:
            self.outage.ok()

    async def subscribe(self, channels: Iterable[str]) -> None:
        try:
            await self.inner.subscribe(channels)
        except FAILURES as exc:
            # redis-py keeps the channel list and subscribes again when the reader reconnects.
            self.outage.failed(exc)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        try:
            await self.inner.unsubscribe(channels)
        except FAILURES as exc:
            self.outage.failed(exc)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        wait = RETRY_MIN_S
        while True:
            try:
                async for item in self.inner.stream_events():
                    self.outage.ok()
                    wait = RETRY_MIN_S
                    yield item
            except FAILURES as exc:
                self.outage.failed(exc)
            except Exception:  # a malformed message must not end live delivery for the life of the process
                log.exception("live: the channel reader failed; restarting it")
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY_MAX_S)
            if self.outage.down:
                await self._probe()

    async def _probe(self) -> None:
        """Clear ``degraded`` as soon as Redis answers again. The PING goes over the client's own pool, not the
        reader's connection (a PING there comes back as a message without a channel); the reader reconnects, and
        redis-py subscribes its channels again, on its next read."""
        redis = getattr(self.inner, "_redis", None)
        if redis is None:
            return
        try:
            await redis.ping()
        except FAILURES:
            return
        self.outage.ok()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        return await self.inner.get_history(channel, limit)


class FallbackStore(NamespacedStore):
    """A Redis store that falls back to this process's memory while Redis is unreachable."""

    def __init__(self, primary: NamespacedStore, outage: Outage | None = None) -> None:
        self.primary = primary
        self.fallback: Store = MemoryStore()  # one per namespace, so namespaces stay apart here too
        self.outage = outage or Outage("rate limits and lockouts (counted per process)")

    def with_namespace(self, namespace: str) -> FallbackStore:
        return FallbackStore(self.primary.with_namespace(namespace), self.outage)

    async def _try(self, call: Callable[[Store], Awaitable[T]]) -> T:
        try:
            result = await call(self.primary)
        except FAILURES as exc:
            self.outage.failed(exc)
            return await call(self.fallback)
        self.outage.ok()
        return result

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self._try(lambda s: s.set(key, value, expires_in))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._try(lambda s: s.get(key, renew_for))

    async def delete(self, key: str) -> None:
        await self._try(lambda s: s.delete(key))

    async def delete_all(self) -> None:
        await self._try(lambda s: s.delete_all())

    async def exists(self, key: str) -> bool:
        return await self._try(lambda s: s.exists(key))

    async def expires_in(self, key: str) -> int | None:
        return await self._try(lambda s: s.expires_in(key))
