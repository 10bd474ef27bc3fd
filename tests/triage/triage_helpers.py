"""Helpers for the triage tests: run coroutines on the app's loop, read rows, place points near demo components."""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from tests.helpers import CITY, get_case, wait_for


def run(client: Any, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run a coroutine function on the app's event loop (the app lives on the test client's portal thread)."""
    return client.blocking_portal.call(fn, *args)


def ctx(client: Any) -> Any:
    return client.app.state.ctx


@lru_cache(maxsize=1)
def components() -> list[dict[str, Any]]:
    with (CITY / "components.geojson").open(encoding="utf-8") as f:
        return list(json.load(f)["features"])


def component(category: str, index: int = 0) -> dict[str, Any]:
    return [c for c in components() if c["properties"]["category"] == category][index]


def offset(lng: float, lat: float, east_m: float = 0.0, north_m: float = 0.0) -> tuple[float, float]:
    return (round(lng + east_m / (111_195 * math.cos(math.radians(lat))), 7), round(lat + north_m / 111_195, 7))


def submit(client: Any, headers: dict[str, str], lng: float, lat: float, **fields: Any) -> dict[str, Any]:
    """Report at an exact point and wait until triage has run."""
    body = {"lng": lng, "lat": lat, "description": fields.pop("description", "井盖松动，车压过去响"), **fields}
    r = client.post("/api/v1/reports", json=body, headers=headers)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    wait_for(lambda: any(t["action"] == "triage" for t in get_case(client, headers, case_id)["timeline"]))
    return get_case(client, headers, case_id)


def entries(case: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [t for t in case["timeline"] if t["action"] == action]
