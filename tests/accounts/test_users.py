"""User administration: the user list costs the same statements for ten users or a hundred, and who may see it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.accounts import users
from backend.accounts.tables import SupervisorGrid, User
from backend.org.tables import ResponsibilityGrid
from tests.helpers import counted, login

# Statements run by the task that set it: the app's own background tasks are not counted.
NEW_SUPERVISORS = 60


async def _counted_list(role: str | None) -> tuple[list[str], list[Any]]:
    return await counted(users.list_users(role))


async def _add_supervisors() -> dict[str, list[str]]:
    """Many new supervisors; the first few take over a grid each from the seeded ones."""
    now = datetime.now(UTC)
    await User.insert(*(User(username=f"many{k:03}", display_name=f"监督员{k}", role="supervisor", created_at=now)
                        for k in range(NEW_SUPERVISORS)))
    new = await User.select(User.id, User.username).where(User.username.like("many%"))
    grids = await ResponsibilityGrid.select(ResponsibilityGrid.id, ResponsibilityGrid.code).order_by(
        ResponsibilityGrid.code).limit(3)
    await SupervisorGrid.delete().where(SupervisorGrid.grid.is_in([g["id"] for g in grids]))
    expected = {u["username"]: [] for u in new}
    for user, grid in zip(sorted(new, key=lambda u: u["username"]), grids, strict=False):
        await SupervisorGrid.insert(SupervisorGrid(user=user["id"], grid=grid["id"]))
        expected[user["username"]] = [grid["code"]]
    return expected


def test_listing_users_takes_two_statements_however_many_there_are(client, statements):
    portal = client.blocking_portal
    few, listed_few = portal.call(_counted_list, None)
    expected = portal.call(_add_supervisors)
    many, listed_many = portal.call(_counted_list, None)
    assert len(many) == len(few) == 2, "\n".join(many)  # the users, then every supervisor's grids at once
    assert len(listed_many) == len(listed_few) + NEW_SUPERVISORS

    admin = login(client, "admin")
    r = client.get("/api/v1/users", params={"role": "supervisor"}, headers=admin)
    assert r.status_code == 200, r.text
    grids = {u["username"]: u["grids"] for u in r.json()}
    assert {name: grids[name] for name in expected} == expected
    assert all(len(g) == 1 for g in expected.values() if g) and sum(1 for g in expected.values() if g) == 3
    # A grid has one supervisor: the seeded supervisors lost the grids taken over.
    taken = {code for g in expected.values() for code in g}
    assert not any(taken & set(g) for name, g in grids.items() if name not in expected)


def test_centre_staff_list_only_supervisors_and_others_not_at_all(client):
    operator, unit = login(client, "operator01"), login(client, "staff_ld_water")
    assert client.get("/api/v1/users", params={"role": "supervisor"}, headers=operator).status_code == 200
    r = client.get("/api/v1/users", headers=operator)
    assert r.status_code == 422 and r.json()["error"]["code"] == "user.list_forbidden"
    r = client.get("/api/v1/users", params={"role": "supervisor"}, headers=unit)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.role_forbidden"
    assert r.json()["error"]["details"] == {"roles": ["operator", "shift_lead", "dispatcher", "admin"]}
