"""What the job-queue tests share: an engine bound to the test's database, and a counter of calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.db import close_database, open_database
from backend.settings import Settings


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[Any]:
    engine = await open_database(settings)
    try:
        yield engine
    finally:
        await close_database(engine)


@pytest.fixture
def count_calls(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``count_calls(owner, name)``: replaces ``owner.name`` with a wrapper that notes each call; returns the notes."""

    def install(owner: Any, name: str) -> list[int]:
        calls: list[int] = []
        real = getattr(owner, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)
        return calls

    return install
