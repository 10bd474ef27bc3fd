"""Brute force and floods meet Litestar's rate limits and the login lockout; hashing cost hides which users exist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from backend.accounts.passwords import DEMO_PASSWORD
from backend.app import create_app
from backend.settings import Settings
from tests.helpers import login, point_in


@pytest.fixture
def strict(settings: Settings) -> Iterator[TestClient]:
    """The app with its real limits (the test suite lifts them elsewhere), a few made small to keep tests short."""
    real = Settings()
    limits = {k: getattr(real, k) for k in ("rate_login_per_ip", "rate_device_per_ip_hour", "rate_reports_per_user",
                                             "rate_reports_per_ip", "rate_uploads_per_user", "rate_api_per_user",
                                             "rate_password_checks_per_user")}
    with TestClient(create_app(settings.with_(**limits))) as client:
        yield client


def _login(client, username: str, password: str):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_five_failures_lock_the_account_until_an_admin_unlocks_it(strict, settings):
    for _ in range(settings.login_max_failures):
        r = _login(strict, "dispatcher02", "not-the-password")
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.bad_credentials"
    r = _login(strict, "dispatcher02", DEMO_PASSWORD)  # even the right password, while locked
    assert r.status_code == 429 and r.json()["error"]["code"] == "auth.locked"
    wait = int(r.headers["retry-after"])
    assert settings.login_lockout_minutes * 60 - 5 <= wait <= settings.login_lockout_minutes * 60
    assert "锁定" in r.json()["error"]["message_zh"] and "locked" in r.json()["error"]["message_en"]
    admin = login(strict, "admin")
    user_id = next(u["id"] for u in strict.get("/api/v1/users", headers=admin).json() if u["username"] == "dispatcher02")
    r = strict.post(f"/api/v1/users/{user_id}/unlock", headers=admin)
    assert r.status_code == 200 and r.json() == {"was_locked": True}
    assert _login(strict, "dispatcher02", DEMO_PASSWORD).status_code == 200
    actions = [e["action"] for e in strict.get("/api/v1/admin/audit", headers=admin,
                                               params={"actor_name": "dispatcher02"}).json()]
    assert actions.count("auth.login_failed") == settings.login_max_failures + 1
    assert "auth.locked" in actions and "auth.login" in actions
    unlocked = strict.get("/api/v1/admin/audit", headers=admin, params={"action": "auth.unlocked"}).json()
    assert unlocked[0]["target"].endswith(":dispatcher02") and unlocked[0]["actor_name"] == "admin"


def test_unknown_usernames_lock_exactly_like_known_ones(strict, settings):
    answers = []
    for name in ("nobody-here", "dispatcher03"):
        answers.append([(_login(strict, name, "guess-" + str(i)).status_code) for i in range(settings.login_max_failures + 1)])
    assert answers[0] == answers[1] == [401] * settings.login_max_failures + [429]


def test_login_attempts_per_address_are_limited(settings):
    with TestClient(create_app(settings.with_(rate_login_per_ip=3))) as client:
        codes = [_login(client, f"user{i}", "x").status_code for i in range(4)]
        assert codes == [401, 401, 401, 429]
        r = _login(client, "citizen01", DEMO_PASSWORD)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1 and r.json()["error"]["message_zh"].startswith("请求过于频繁")


def test_device_credentials_reports_and_api_calls_are_limited(settings):
    limited = settings.with_(rate_device_per_ip_hour=3, rate_reports_per_user=2, rate_reports_per_ip=1000,
                             rate_api_per_user=1000)
    with TestClient(create_app(limited)) as client:
        codes = [client.post("/api/v1/auth/device").status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        headers = login(client, "citizen04")
        lng, lat = point_in("ZR02")
        body = {"lng": lng, "lat": lat, "description": "垃圾桶满了没人清理"}
        codes = [client.post("/api/v1/reports", json=body, headers=headers).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        # The limit is per credential: another citizen can still report.
        assert client.post("/api/v1/reports", json=body, headers=login(client, "citizen05")).status_code == 201
    with TestClient(create_app(settings.with_(rate_api_per_user=5))) as client:
        headers = login(client, "operator01")
        codes = [client.get("/api/v1/me", headers=headers).status_code for _ in range(6)]
        assert codes[:4] == [200] * 4 and codes[-1] == 429


def test_unknown_and_known_usernames_cost_the_same(settings, monkeypatch):
    """A missing user must not answer faster: both run exactly one argon2 verification with the same parameters
    (counted, not timed, so a busy machine cannot make the test flaky or hide a shortcut)."""
    from backend.accounts import passwords

    real = passwords._hasher
    checks: list[str] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, password_hash: str, password: str) -> bool:
            checks.append(password_hash.rsplit("$", 2)[0])  # algorithm, version and cost parameters, no salt
            return real.verify(password_hash, password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    with TestClient(create_app(settings.with_(login_max_failures=100))) as client:
        seen = set()
        for username in ("operator01", "no-such-operator", "operator01", "no-such-operator"):
            checks.clear()
            assert _login(client, username, "wrong-password").status_code == 401
            assert len(checks) == 1, (username, checks)
            seen.add(checks[0])
        # The dummy hash costs what a real one does: one set of argon2id parameters for both.
        assert seen == {real.hash("x").rsplit("$", 2)[0]}, seen


def test_password_guesses_behind_a_session_are_limited(strict):
    """Changing the password or deleting the account checks the current password: a stolen session cannot use them
    to guess it."""
    limit = Settings().rate_password_checks_per_user
    headers = login(strict, "citizen05")
    wrong = {"current_password": "guess", "new_password": "Xin-De-Mi-Ma-55"}
    codes = [strict.post("/api/v1/auth/password", json=wrong, headers=headers).status_code
             for _ in range(limit + 1)]
    assert codes == [422] * limit + [429]
    codes = [strict.request("DELETE", "/api/v1/me", json={"password": "guess"}, headers=headers).status_code
             for _ in range(limit + 1)]
    assert codes[-1] == 429 and 429 not in codes[:-1]


@pytest.mark.redis
def test_limits_and_lockouts_hold_across_processes_on_redis(sqlite_template, tmp_path):
    """Two app instances on one Redis (as behind a load balancer) share their counters. Both run in this process,
    where Piccolo's tables follow one engine: a SQLite file serves both (the database is not what is tested)."""
    import shutil

    import redis

    from tests.conftest import IN_CI, REDIS_URL, base_settings

    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI needs SUISHOUPAI_TEST_REDIS_URL")
        pytest.skip("needs SUISHOUPAI_TEST_REDIS_URL (scripts/services.sh starts one)")
    settings = base_settings(tmp_path)
    shutil.copyfile(sqlite_template, settings.sqlite_path)
    url = REDIS_URL.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(url).flushdb()
    shared = settings.with_(redis_url=url, rate_login_per_ip=7)
    with TestClient(create_app(shared)) as a, TestClient(create_app(shared)) as b:
        # Five failures split over both processes lock the account in both.
        codes = [_login(client, "dispatcher04", "nope").status_code for client in (a, b, a, b, a)]
        assert codes == [401] * 5
        assert _login(b, "dispatcher04", DEMO_PASSWORD).json()["error"]["code"] == "auth.locked"
        # Seven logins per address per minute in all (six above): the eighth is refused wherever it lands.
        assert [_login(client, "citizen01", DEMO_PASSWORD).status_code for client in (b, a)] == [200, 429]
    redis.Redis.from_url(url).flushdb()
