"""漏报 (missed reports) on the worked example: cases filed in a supervisor's grid that others reported."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from backend.accounts.tables import SupervisorGrid
from backend.cases.tables import Case
from backend.db import close_database, open_database
from backend.settings import Settings
from tests.evaluation.example import City, build
from tests.helpers import login

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
API = "/api/v1/evaluation"


@pytest.fixture
def world(settings: Settings) -> Iterator[tuple[Any, City]]:
    """EX0001 (a citizen's, filed 2 Mar) and EX0002 (supervisor01's own, filed 5 Mar) lie in supervisor01's grid."""
    from litestar.testing import TestClient

    from backend.app import create_app

    async def write() -> City:
        engine = await open_database(settings)
        try:
            city = await City().load()
            await build(city)
            grid = await SupervisorGrid.select(SupervisorGrid.grid.code.as_alias("code")).where(
                SupervisorGrid.user == city.supervisor).first()
            assert grid is not None
            await Case.update({Case.responsibility_grid: grid["code"]}).where(
                Case.tracking_no.is_in(["EX0001", "EX0002"]))
            return city
        finally:
            await close_database(engine)

    city = asyncio.run(write())
    with TestClient(create_app(settings)) as client:
        yield client, city


def test_a_supervisor_misses_what_others_reported_in_their_grid(world: Any) -> None:
    client, city = world
    lead = login(client, "shiftlead01")
    body = client.get(f"{API}/supervisors", params=MARCH, headers=lead).json()
    row = next(r for r in body["rows"] if r["key"] == str(city.supervisor))
    assert row["counts"]["grid_filed"] == 2 and row["counts"]["missed"] == 1
    assert row["rates"]["missed_rate"] == 0.5
    assert row["score"] == 62.5  # shown, not scored: the worked example's score stands
    assert "missed_rate" in [r["key"] for r in body["rates"]]
    others = [r for r in body["rows"] if r["key"] != str(city.supervisor)]
    assert others and all(r["counts"]["missed"] == 0 and r["rates"]["missed_rate"] is None for r in others)
    drill = client.get(f"{API}/supervisors/{city.supervisor}/figures/missed_rate", params=MARCH, headers=lead).json()
    assert [c["tracking_no"] for c in drill["numerator"]["cases"]] == ["EX0001"]
    assert [c["tracking_no"] for c in drill["denominator"]["cases"]] == ["EX0001", "EX0002"]
    april = client.get(f"{API}/supervisors", params={"from": "2026-04-01", "to": "2026-04-30"}, headers=lead).json()
    assert all(r["counts"]["missed"] == 0 for r in april["rows"])
