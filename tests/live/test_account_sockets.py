"""The account API ends live sessions too: what an admin or the user does over HTTP closes or narrows open sockets."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.passwords import DEMO_PASSWORD
from tests.helpers import login
from tests.live.conftest import token
from tests.live.test_sessions import closed_with, me, quiet, watch


def _admin(client: Any) -> dict[str, str]:
    return login(client, "admin")


@pytest.mark.parametrize(("change", "body"), [
    ("deactivate", {"active": False}),
    ("reset", {"password": "Chong-Zhi-Mi-Ma-31"}),
    ("unit", {"unit_code": "ld_power"}),
])
def test_admin_changes_close_the_users_sockets_within_a_second(client: Any, change: str, body: dict[str, Any]) -> None:
    unit_staff = token(client, "staff_ld_water")
    ws, bystander = watch(client, unit_staff), watch(client, token(client, "dispatcher01"))
    r = client.patch(f"/api/v1/users/{me(client, unit_staff)}", json=body, headers=_admin(client))
    assert r.status_code == 200, r.text
    error, code, took = closed_with(ws, within=1)
    assert code == 4401 and took < 1, change
    assert error["message_zh"] and error["message_en"]
    quiet(bystander)


def test_a_password_change_closes_the_old_sockets_and_the_new_token_connects(client: Any) -> None:
    old = token(client, "citizen03")
    ws = watch(client, old)
    r = client.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {old}"},
                    json={"current_password": DEMO_PASSWORD, "new_password": "Xiu-Gai-Mi-Ma-62"})
    assert r.status_code == 200, r.text
    assert closed_with(ws, within=1)[1] == 4401
    quiet(watch(client, r.json()["token"]))


def test_taking_a_grid_away_revokes_its_topic(client: Any) -> None:
    supervisor = token(client, "supervisor02")
    grids = client.get("/api/v1/me", headers={"Authorization": f"Bearer {supervisor}"}).json()["grids"]
    ws = watch(client, supervisor)
    r = client.patch(f"/api/v1/users/{me(client, supervisor)}", json={"grids": []}, headers=_admin(client))
    assert r.status_code == 200 and r.json()["grids"] == []
    revoked = ws.receive_json(timeout=2)
    while revoked["type"] == "heartbeat":
        revoked = ws.receive_json(timeout=2)
    assert revoked["type"] == "revoked" and set(revoked["topics"]) == {f"grid:{g}" for g in grids}
