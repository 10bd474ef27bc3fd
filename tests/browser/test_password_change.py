"""A new staff account's first login in a real Chromium: the forced password change, refused then accepted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SLOW, Api, shot

pytestmark = pytest.mark.browser


def test_first_login_forces_a_new_password(phone: Any, live_server: str) -> None:
    admin = Api.login(live_server, "admin")
    r = httpx.post(f"{live_server}/api/v1/users", headers={"Authorization": f"Bearer {admin.token}"},
                   json={"username": "newop", "password": "Chu-Shi-Mi-Ma-21", "role": "operator",
                         "display_name": "新受理员"}, timeout=SLOW)
    assert r.status_code == 201, r.text

    page = phone.new_page()
    page.goto(f"{live_server}/#/login")
    page.fill("#login-user", "newop")
    page.fill("#login-pass", "Chu-Shi-Mi-Ma-21")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="请设置新密码")).to_be_visible(timeout=10000)
    page.fill("#new-pass", "password1")
    page.fill("#new-pass2", "password1")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.locator(".login-form .error")).to_contain_text("密码不符合要求")
    shot(page, "password-01-refused")
    page.fill("#new-pass", "Hong-Qiao-Jie-77")
    page.fill("#new-pass2", "Hong-Qiao-Jie-77")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_role("heading", name="请设置新密码")).to_have_count(0, timeout=10000)
    expect(page).not_to_have_url(f"{live_server}/#/login")
    shot(page, "password-02-home")
    # The old password no longer works; the new one does.
    login = {"username": "newop", "password": "Chu-Shi-Mi-Ma-21"}
    assert httpx.post(f"{live_server}/api/v1/auth/login", json=login, timeout=SLOW).status_code == 401
    login["password"] = "Hong-Qiao-Jie-77"
    again = httpx.post(f"{live_server}/api/v1/auth/login", json=login, timeout=SLOW)
    assert again.json()["must_change_password"] is False
    page.close()
