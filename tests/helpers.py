"""Small helpers shared by API tests: log in as a demo user, report, act, wait for background work."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from litestar.channels import ChannelsPlugin

from backend.demo.seed import DEMO_PASSWORD
from backend.live.bus import CHANNEL

T = TypeVar("T")
# The statements of the task that is counting (see ``counted``): the app's other tasks (worker, sweeper, health) are
# not. The ``statements`` fixture (tests/conftest.py) makes both Piccolo engines append to it.
STATEMENTS: ContextVar[list[str] | None] = ContextVar("counted_statements", default=None)

CITY = Path(__file__).resolve().parent.parent / "backend" / "demo" / "data" / "loudi"


def login(client: Any, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


@lru_cache(maxsize=1)
def _grids() -> list[dict[str, Any]]:
    with (CITY / "unit_grids.geojson").open(encoding="utf-8") as f:
        return list(json.load(f)["features"])


def point_in(responsibility_grid: str, index: int = 0) -> tuple[float, float]:
    """A point well inside a unit grid of the given responsibility grid."""
    grids = [g for g in _grids() if g["properties"]["responsibility_grid"] == responsibility_grid
             and g["properties"]["area_m2"] > 9000]
    ring = grids[index]["geometry"]["coordinates"][0]
    xs, ys = [p[0] for p in ring[:-1]], [p[1] for p in ring[:-1]]
    return round(sum(xs) / len(xs), 6), round(sum(ys) / len(ys), 6)


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something true, within ``timeout`` seconds. Only for conditions nothing
    announces (rows a worker in another process writes, a receiver's inbox): where the app publishes an event, wait
    on it with ``live_events``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def report(client: Any, headers: dict[str, str], grid: str = "ZR01", **fields: Any) -> dict[str, Any]:
    lng, lat = point_in(grid)
    body = {"lng": lng, "lat": lat, "description": "人行道上的井盖没了，很危险", **fields}
    if not hasattr(client, "blocking_portal"):
        # A server in another process (an httpx client): nothing here to subscribe to, so poll.
        r = client.post("/api/v1/reports", json=body, headers=headers)
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        wait_for(lambda: any(t["action"] == "triage" for t in get_case(client, headers, case_id)["timeline"]))
        return get_case(client, headers, case_id)
    with live_events(client) as next_event:
        r = client.post("/api/v1/reports", json=body, headers=headers)
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        # Subscribed before the report was made, so its triage cannot be announced before we listen.
        next_event(lambda e: e["case_id"] == case_id and e["action"] == "triage")
    return get_case(client, headers, case_id)


@contextmanager
def live_events(client: Any) -> Iterator[Callable[..., dict[str, Any]]]:
    """Listen to the app's live event channel (what websockets are sent) for the block. The block gets
    ``next_event(match, timeout=10.0)``: the first event since the block began for which ``match`` is true and that
    no earlier call returned, so waits for several cases can come in any order."""
    channels = client.app.plugins.get(ChannelsPlugin)
    portal = client.blocking_portal
    subscriber = portal.call(channels.subscribe, [CHANNEL])
    passed: list[dict[str, Any]] = []  # events no wait has asked for yet: a later one may

    async def first(match: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        async def scan() -> dict[str, Any]:
            for i, event in enumerate(passed):
                if match(event):
                    return passed.pop(i)
            async for raw in subscriber.iter_events():
                event = json.loads(raw)
                if match(event):
                    return event
                passed.append(event)
            raise AssertionError("the live channel closed")

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise AssertionError("no such live event in time") from None

    try:
        yield lambda match, timeout=10.0: portal.call(first, match, timeout)
    finally:
        portal.call(channels.unsubscribe, subscriber)


def get_case(client: Any, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def act(client: Any, headers: dict[str, str], case_id: int, action: str, expect: int = 200, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=headers)
    assert r.status_code == expect, f"{action}: {r.status_code} {r.text}"
    return r.json()


async def counted(work: Awaitable[T]) -> tuple[list[str], T]:
    """Run ``work`` and return the SQL statements it ran (with the ``statements`` fixture on) and its result."""
    log: list[str] = []
    token = STATEMENTS.set(log)
    try:
        result = await work
    finally:
        STATEMENTS.reset(token)
    return log, result


def redact_queued(client: Any, analyser: Any = None) -> int:
    """Run the queued photo redactions (tests run no redaction workers): with ``analyser`` (a twin from
    backend.redaction.detect), else the real models. Returns how many jobs ran."""
    from backend.jobs.queue import drain
    from backend.redaction import service as redaction

    ctx = client.app.state.ctx
    if analyser is not None:
        ctx.extras[redaction.ANALYSER_KEY] = analyser
    return int(client.blocking_portal.call(drain, ctx.engine, redaction.handlers(ctx)))


def assert_error(r: Any, status: int, code: str) -> None:
    """An error answer: this status, this stable code, and a message in both languages."""
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]
