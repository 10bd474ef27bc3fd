"""A client's per-minute limit holds under a burst of concurrent requests in one process."""

from __future__ import annotations

import asyncio

from litestar.stores.memory import MemoryStore

from backend.errors import TooManyRequests
from backend.interop.clients import Client, take


class SlowStore(MemoryStore):
    """A store whose reads take a moment, like Redis over the network: concurrent requests interleave."""

    async def get(self, key: str, renew_for: int | None = None) -> bytes | None:
        await asyncio.sleep(0.001)
        return await super().get(key, renew_for)


async def test_a_burst_gets_exactly_the_limit_through() -> None:
    store, client = SlowStore(), Client(1, "hotline12345", 5, None)  # type: ignore[arg-type]

    async def one() -> bool:
        try:
            await take(store, client)
        except TooManyRequests:
            return False
        return True

    results = await asyncio.gather(*(one() for _ in range(20)))
    assert sum(results) == 5
