"""The security audit log: what is recorded, who may read it, that it holds no secrets and that it expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from backend.accounts.passwords import DEMO_PASSWORD
from tests.helpers import login


def test_account_events_are_audited_with_address_and_agent(client):
    admin = login(client, "admin")
    agent = {"User-Agent": "AuditTest/1.0"}
    client.post("/api/v1/auth/login", json={"username": "operator01", "password": "wrong"}, headers=agent)
    r = client.post("/api/v1/users", headers=admin, json={"username": "auditee", "password": "Shen-Ji-Ce-Shi-42",
                                                          "role": "dispatcher"})
    user_id = r.json()["id"]
    client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"active": False})
    entries = client.get("/api/v1/admin/audit", headers=admin).json()
    by_action = {e["action"]: e for e in entries}
    failed = by_action["auth.login_failed"]
    assert failed["outcome"] == "denied" and failed["actor_name"] == "operator01"
    assert failed["user_agent"] == "AuditTest/1.0" and failed["ip"]
    assert by_action["user.created"]["target"] == f"user:{user_id}:auditee"
    assert by_action["user.deactivated"]["actor_name"] == "admin" and by_action["user.deactivated"]["action_zh"]
    assert by_action["auth.sessions_ended"]["target"] == f"user:{user_id}:auditee"
    # Newest first, paged by id.
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)
    page = client.get("/api/v1/admin/audit", headers=admin, params={"before_id": ids[1], "limit": 1}).json()
    assert [e["id"] for e in page] == [ids[2]]


def test_only_admins_read_the_log_and_it_holds_no_secret(client):
    assert client.get("/api/v1/admin/audit", headers=login(client, "shiftlead01")).status_code == 403
    citizen = login(client, "citizen01")
    client.post("/api/v1/auth/password", headers=citizen,
                json={"current_password": DEMO_PASSWORD, "new_password": "Zhe-Shi-Xin-Mima-1"})
    admin = login(client, "admin")
    text = client.get("/api/v1/admin/audit", headers=admin, params={"limit": 500}).text
    for secret in (DEMO_PASSWORD, "Zhe-Shi-Xin-Mima-1", citizen["Authorization"].split()[1]):
        assert secret not in text
    r = client.get("/api/v1/admin/audit", headers=admin, params={"action": "no.such"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "audit.bad_action"


def test_entries_older_than_the_retention_are_purged(settings):
    from backend.audit import service as audit
    from backend.audit.tables import AuditEntry
    from backend.db import close_database, open_database

    async def work() -> tuple[int, list[str]]:
        engine = await open_database(settings)
        try:
            await audit.record("auth.login", actor_id=None, actor_name="old")
            await AuditEntry.update({AuditEntry.at: datetime.now(UTC) - timedelta(days=181)}).where(
                AuditEntry.actor_name == "old")
            await audit.record("auth.login", actor_id=None, actor_name="recent")
            removed = await audit.purge(settings.audit_retention_days)
            return removed, [r["actor_name"] for r in await AuditEntry.select(AuditEntry.actor_name)]
        finally:
            await close_database(engine)

    removed, left = asyncio.run(work())
    assert removed == 1 and left == ["recent"]
