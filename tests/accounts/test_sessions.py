"""Sessions end when their reason does: logout, password change, reset, deactivation, role change, idle, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.accounts.passwords import DEMO_PASSWORD
from tests.helpers import login

NEW_PASSWORD = "Qiao-Tou-Lu-88"


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def _user_id(client, headers) -> int:
    return client.get("/api/v1/me", headers=headers).json()["id"]


def test_a_token_in_the_url_is_refused_on_every_route(client):
    headers = login(client, "operator01")
    for path in ("/api/v1/me", "/api/v1/public/cases", "/", "/api/v1/meta/states"):
        r = client.get(path, params={"token": _token(headers)})
        assert r.status_code == 400 and r.json()["error"]["code"] == "auth.credential_in_url", path
    # Without a header the token in the URL does not authenticate either.
    assert client.get("/api/v1/me", params={"access_token": _token(headers)}).status_code == 400
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_logout_ends_this_session_and_everywhere_ends_all(client):
    phone, desk = login(client, "dispatcher01"), login(client, "dispatcher01")
    assert client.post("/api/v1/auth/logout", headers=phone).status_code == 204
    assert client.get("/api/v1/me", headers=phone).status_code == 401
    assert client.get("/api/v1/me", headers=desk).status_code == 200
    other = login(client, "dispatcher01")
    assert client.post("/api/v1/auth/logout", json={"everywhere": True}, headers=desk).status_code == 204
    assert client.get("/api/v1/me", headers=other).status_code == 401


def test_password_change_ends_every_session_and_checks_the_policy(client):
    a, b = login(client, "citizen01"), login(client, "citizen01")
    r = client.post("/api/v1/auth/password", headers=a,
                    json={"current_password": DEMO_PASSWORD, "new_password": "password123"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "password.policy"
    assert "too_short" not in r.json()["error"]["details"]["reasons"] or len("password123") < 10
    r = client.post("/api/v1/auth/password", headers=a,
                    json={"current_password": "wrong", "new_password": NEW_PASSWORD})
    assert r.status_code == 422 and r.json()["error"]["code"] == "password.wrong_current"
    r = client.post("/api/v1/auth/password", headers=a,
                    json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    fresh = {"Authorization": "Bearer " + r.json()["token"]}
    assert client.get("/api/v1/me", headers=a).status_code == 401
    assert client.get("/api/v1/me", headers=b).status_code == 401
    assert client.get("/api/v1/me", headers=fresh).status_code == 200
    assert client.post("/api/v1/auth/login", json={"username": "citizen01", "password": DEMO_PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "citizen01", "password": NEW_PASSWORD}).status_code == 200



def test_a_password_change_that_fails_halfway_changes_nothing(client, monkeypatch):
    from backend.accounts import services

    headers = login(client, "citizen02")

    async def broken(*args, **kwargs):
        raise RuntimeError("the new session could not be stored")

    monkeypatch.setattr(services, "issue_token", broken)
    r = client.post("/api/v1/auth/password", headers=headers,
                    json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 500
    monkeypatch.undo()
    # The new hash, the ended sessions and the audit entry were rolled back with the session that failed.
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/login", json={"username": "citizen02", "password": DEMO_PASSWORD}).status_code == 200
    admin = login(client, "admin")
    entries = client.get("/api/v1/admin/audit", params={"action": "auth.password_changed"}, headers=admin).json()
    assert not [e for e in entries if e["actor_name"] == "citizen02"]

@pytest.mark.parametrize("password", ["short1A!", "newstaff-Xy-Zz-99", "Password123!", DEMO_PASSWORD, "abcdefghijkl"])
def test_weak_passwords_are_refused_with_reasons(client, password):
    admin = login(client, "admin")
    r = client.post("/api/v1/users", headers=admin, json={"username": "newstaff", "password": password,
                                                          "role": "operator", "display_name": "新受理员"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "password.policy" and err["details"]["reasons"]
    assert "密码不符合要求" in err["message_zh"] and "not accepted" in err["message_en"]


def test_admin_created_and_reset_accounts_must_change_first(client):
    admin = login(client, "admin")
    r = client.post("/api/v1/users", headers=admin, json={"username": "op9", "password": "Lin-Shi-Mima-7",
                                                          "role": "operator", "display_name": "临时受理员"})
    assert r.status_code == 201, r.text
    assert r.json()["must_change_password"] is True
    r = client.post("/api/v1/auth/login", json={"username": "op9", "password": "Lin-Shi-Mima-7"})
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    op = {"Authorization": "Bearer " + r.json()["token"]}
    r = client.get("/api/v1/cases", headers=op)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.password_change_required"
    assert client.get("/api/v1/me", headers=op).json()["must_change_password"] is True
    r = client.post("/api/v1/auth/password", headers=op,
                    json={"current_password": "Lin-Shi-Mima-7", "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    op = {"Authorization": "Bearer " + r.json()["token"]}
    assert client.get("/api/v1/cases", headers=op).status_code == 200
    # An admin's reset: the old session ends and the next login must change the password again.
    user_id = _user_id(client, op)
    r = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"password": "Chong-Zhi-Mima-5"})
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    assert client.get("/api/v1/me", headers=op).status_code == 401
    r = client.post("/api/v1/auth/login", json={"username": "op9", "password": "Chong-Zhi-Mima-5"})
    assert r.json()["must_change_password"] is True


def test_deactivation_answers_200_and_ends_sessions(client):
    admin, unit = login(client, "admin"), login(client, "staff_ld_water")
    user_id = _user_id(client, unit)
    r = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    assert client.get("/api/v1/me", headers=unit).status_code == 401
    r = client.post("/api/v1/auth/login", json={"username": "staff_ld_water", "password": DEMO_PASSWORD})
    assert r.status_code == 401
    assert client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"active": True}).status_code == 200
    assert client.post("/api/v1/auth/login", json={"username": "staff_ld_water", "password": DEMO_PASSWORD}
                       ).status_code == 200


def test_role_or_unit_change_ends_sessions(client):
    admin, unit = login(client, "admin"), login(client, "staff_ld_water")
    user_id = _user_id(client, unit)
    r = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"unit_code": "ld_power"})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=unit).status_code == 401
    r = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"role": "unit_staff", "unit_code": "nowhere"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unit.not_found"


def test_sessions_per_user_are_bounded(client, settings):
    sessions = [login(client, "shiftlead01") for _ in range(settings.max_sessions_per_user + 1)]
    assert client.get("/api/v1/me", headers=sessions[0]).status_code == 401
    assert all(client.get("/api/v1/me", headers=s).status_code == 200 for s in sessions[1:])


def _age_sessions(client, username: str, minutes: int) -> None:
    """Move the user's last activity back, on the app's own loop and engine."""
    from backend.accounts.tables import AuthToken, User

    async def work() -> None:
        user = await User.select(User.id).where(User.username == username).first()
        await AuthToken.update({AuthToken.last_seen_at: datetime.now(UTC) - timedelta(minutes=minutes)}).where(
            AuthToken.user == user["id"])

    client.blocking_portal.call(work)


def test_idle_staff_sessions_end_but_citizens_stay(client, settings):
    staff, citizen = login(client, "operator02"), login(client, "citizen02")
    _age_sessions(client, "operator02", settings.staff_idle_minutes - 5)
    assert client.get("/api/v1/me", headers=staff).status_code == 200  # and this request counts as activity
    _age_sessions(client, "operator02", settings.staff_idle_minutes + 1)
    _age_sessions(client, "citizen02", settings.staff_idle_minutes + 600)
    r = client.get("/api/v1/me", headers=staff)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.idle_timeout"
    assert client.get("/api/v1/me", headers=citizen).status_code == 200


def test_staff_sessions_have_an_absolute_limit(client, settings):
    r = client.post("/api/v1/auth/login", json={"username": "operator03", "password": DEMO_PASSWORD})
    expires = datetime.fromisoformat(r.json()["expires_at"])
    left = expires - datetime.now(UTC)
    assert timedelta(hours=settings.staff_session_hours - 1) < left <= timedelta(hours=settings.staff_session_hours)
    r = client.post("/api/v1/auth/login", json={"username": "citizen03", "password": DEMO_PASSWORD})
    assert datetime.fromisoformat(r.json()["expires_at"]) - datetime.now(UTC) > timedelta(days=6)


def test_outside_demo_mode_the_demo_password_must_be_changed(settings):
    from litestar.testing import TestClient

    from backend.app import create_app

    with TestClient(create_app(settings.with_(demo_mode=False))) as client:
        r = client.post("/api/v1/auth/login", json={"username": "operator01", "password": DEMO_PASSWORD})
        assert r.status_code == 200 and r.json()["must_change_password"] is True
        headers = {"Authorization": "Bearer " + r.json()["token"]}
        assert client.get("/api/v1/cases", headers=headers).status_code == 403
