"""A second, invented city (tests/data/city2: its own numbering, categories, units and people) loaded from files only —
the organisation import, the users import and the ``taxonomy_path`` setting — runs the whole loop with no code change."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.cli import _with_db, migrate
from backend.org_cli import org_import
from tests.cases.flows import DEMO_PHOTO
from tests.conftest import BACKENDS, _pg_admin, _pg_url, base_settings
from tests.helpers import act, get_case, live_events, wait_for

CITY2 = Path(__file__).resolve().parents[1] / "data" / "city2"
ADMIN_PASSWORD = "Qh-admin-7f3K!x"
NEW_PASSWORD = "Qingh3-river-Ok!"
MANHOLE = (100.0006, 30.0005)  # ~10 m from the surveyed cover QH-B0107-01, in unit grid 990101001001001


@pytest.fixture(params=BACKENDS)
def city2_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty, migrated database (no demo city) with the second city loaded from its files."""
    name = "t_city2_" + uuid.uuid4().hex[:10]
    url = ""
    if request.param == "postgres":
        asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
        url = _pg_url(name)
    try:
        yield _load_city2(base_settings(tmp_path, taxonomy_path=str(CITY2 / "taxonomy.json"), demo_mode=False,
                                        database_url=url))
    finally:
        if url:
            asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _load_city2(settings: Any) -> Any:
    from backend.accounts.roles import Role
    from backend.accounts.services import create_user

    migrate(settings)
    asyncio.run(_with_db(settings, lambda _e: create_user("qh_admin", ADMIN_PASSWORD, Role.ADMIN)))
    report = asyncio.run(org_import(settings, [str(CITY2)]))
    assert report.applied and not report.problems, report.problems
    assert {o.dataset: o.added for o in report.outcomes} == {
        "districts": 1, "streets": 1, "communities": 1, "responsibility_grids": 1, "unit_grids": 4, "units": 3,
        "components": 2, "routing_rules": 4}
    return settings


def _login(client: TestClient[Any], username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def _first_login(client: TestClient[Any], username: str, initial: str) -> dict[str, str]:
    """An imported account must choose its own password before anything else."""
    r = client.post("/api/v1/auth/login", json={"username": username, "password": initial})
    assert r.status_code == 200 and r.json()["must_change_password"], r.text
    headers = {"Authorization": "Bearer " + r.json()["token"]}
    assert client.get("/api/v1/cases?view=queue", headers=headers).status_code == 403
    r = client.post("/api/v1/auth/password", json={"current_password": initial, "new_password": NEW_PASSWORD},
                    headers=headers)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def _photo(client: TestClient[Any], headers: dict[str, str], kind: str) -> list[int]:
    r = client.post("/api/v1/photos", files={"file": ("p.jpg", DEMO_PHOTO.read_bytes(), "image/jpeg")},
                    data={"kind": kind}, headers=headers)
    assert r.status_code == 201, r.text
    return [int(r.json()["id"])]


def test_second_city_from_files_runs_the_whole_loop(city2_settings: Any) -> None:
    with TestClient(create_app(city2_settings)) as client:
        admin = _login(client, "qh_admin", ADMIN_PASSWORD)
        users = (CITY2 / "users.csv").read_bytes()
        r = client.post("/api/v1/users/import?filename=users.csv", content=users, headers=admin)
        assert r.status_code == 200, r.text
        initial = {u["username"]: u["initial_password"] for u in r.json()["created"]}
        assert sorted(initial) == ["qh_disp", "qh_lead", "qh_op", "qh_pipes_staff", "qh_sup"]
        h = {name: _first_login(client, name, password) for name, password in initial.items()}
        pipes = next(u for u in client.get("/api/v1/org/units", headers=admin).json() if u["code"] == "qh_pipes")

        citizen = {"Authorization": "Bearer " + client.post("/api/v1/auth/device").json()["token"]}
        with live_events(client) as next_event:
            r = client.post("/api/v1/reports", json={"lng": MANHOLE[0], "lat": MANHOLE[1],
                                                     "description": "路边的供水井盖不见了"}, headers=citizen)
            assert r.status_code == 201, r.text
            cid = r.json()["id"]
            next_event(lambda e: e["case_id"] == cid and e["action"] == "triage")
        case = get_case(client, h["qh_op"], cid)
        assert (case["unit_grid"], case["street"], case["district"]) == ("990101001001001", "990101001", "990101")

        act(client, h["qh_op"], cid, "reclassify", category_code="B0107")
        wait_for(lambda: get_case(client, h["qh_op"], cid)["routing_rule"])
        case = get_case(client, h["qh_op"], cid)
        assert case["category_name"] == "供水井盖" and case["time_limit"] == "2紧急工作时"
        assert case["suggested_unit"]["id"] == pipes["id"] and "部件找权属单位" in case["routing_rule"]

        act(client, h["qh_op"], cid, "request_verify")
        act(client, h["qh_sup"], cid, "verify", result="confirmed", photo_ids=_photo(client, h["qh_sup"], "verify"))
        act(client, h["qh_lead"], cid, "file")
        act(client, h["qh_disp"], cid, "dispatch", unit_id=case["suggested_unit"]["id"])
        act(client, h["qh_pipes_staff"], cid, "accept")
        act(client, h["qh_pipes_staff"], cid, "report_back", note="已补装井盖",
            photo_ids=_photo(client, h["qh_pipes_staff"], "after"))
        act(client, h["qh_sup"], cid, "check", result="pass", photo_ids=_photo(client, h["qh_sup"], "check"))
        closed = act(client, h["qh_lead"], cid, "close")
        assert closed["state"] == "closed"
        steps = [t["action"] for t in get_case(client, h["qh_op"], cid)["timeline"] if t["action"] != "escalate"]
        assert steps == ["report", "triage", "reclassify", "reroute", "request_verify", "verify", "file", "dispatch",
                         "accept", "report_back", "check", "close"]
