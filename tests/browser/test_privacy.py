"""PIPL in the citizen's PWA on a phone: staff shown as role and organisation, download my data, delete my account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, PHONE, SLOW, Api, page_session, shot
from tests.browser.desk_fixtures import open_as
from tests.browser.helpers import resolve_by_unit
from tests.helpers import point_in

pytestmark = pytest.mark.browser

KV = """(key) => new Promise((resolve, reject) => {
    const open = indexedDB.open('suishoupai');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const get = open.result.transaction('kv').objectStore('kv').get(key);
        get.onsuccess = () => resolve(get.result === undefined ? null : get.result);
    };
})"""


def test_a_device_downloads_its_data_and_deletes_its_account(phone: Any, live_server: str) -> None:
    page = phone.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    expect(page.locator("#report-map.leaflet-container")).to_be_visible()
    session = page_session(page)
    case = Api(live_server, session["token"]).report(*point_in("ZR01"), "路灯不亮，晚上很黑")

    page.goto(f"{live_server}/#/mine")
    expect(page.locator(f"[data-case-id='{case['id']}']")).to_be_visible()
    card = page.locator("section.account")
    expect(card.get_by_role("heading", name="账号与隐私")).to_be_visible()
    card.scroll_into_view_if_needed()
    shot(page, "privacy-01-me-account-card")
    box = card.get_by_role("button", name="注销账号").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 44

    with page.expect_download() as caught:
        card.get_by_role("button", name="下载我的数据").click()
    download = caught.value
    assert download.suggested_filename.startswith("suishoupai-my-data-")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert [r["tracking_no"] for r in data["reports"]] == [case["tracking_no"]]
    assert data["profile"]["anonymous"] is True and session["token"] not in json.dumps(data)
    expect(page.locator(".toast", has_text="数据已下载")).to_be_visible()

    card.get_by_role("button", name="注销账号").click()
    dialog = page.locator("dialog.dialog")
    expect(dialog).to_contain_text("将保留")
    expect(dialog).to_contain_text("已注销用户")
    shot(page, "privacy-02-delete-dialog")
    dialog.get_by_role("button", name="确认注销").click()

    expect(page.get_by_role("button", name="不登录，直接随手拍")).to_be_visible()
    expect(page.locator(".toast", has_text="账号已注销")).to_be_visible()
    shot(page, "privacy-03-deleted")
    assert page.evaluate(KV, "session") is None and page.evaluate(KV, "device") is None  # the credential is forgotten
    assert page.evaluate(KV, f"mine:{session['user']['id']}") is None
    assert httpx.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {session['token']}"}).status_code == 401
    seen = Api.login(live_server, "operator01").get(f"cases/{case['id']}")
    assert seen["description"] == "路灯不亮，晚上很黑" and seen["timeline"][0]["actor_name"] == "已注销用户"
    # Reporting again starts a new, unrelated anonymous identity.
    page.get_by_role("button", name="不登录，直接随手拍").click()
    expect(page.locator("#report-map.leaflet-container")).to_be_visible()
    assert page_session(page)["user"]["id"] != session["user"]["id"]
    assert not phone.errors  # type: ignore[attr-defined]


def test_a_citizen_sees_the_centre_and_the_unit_never_a_name_then_deletes_with_the_password(
        browser: Any, live_server: str) -> None:
    citizen = Api.login(live_server, "citizen02")
    case = citizen.report(*point_in("ZR02"), "井盖松动，车压过去响")
    resolve_by_unit(live_server, case["id"])
    names = [u["display_name"] for u in Api.login(live_server, "admin").get("users") if u["role"] != "citizen"]

    page = open_as(browser, live_server, "citizen02", PHONE)
    page.goto(f"{live_server}/#/case/{case['id']}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("受理员 · 城市管理指挥中心")
    expect(timeline).to_contain_text("责任单位 · 娄底市自来水公司")
    expect(page.locator(".facts")).to_contain_text("娄底市自来水公司")
    expect(page.locator(".case-page .badge.light")).to_have_count(0)  # the supervision light is staff's
    text = page.locator(".case-page").inner_text()
    assert not [n for n in names if n in text], "a staff member's name is on the citizen's page"
    assert "已更换井盖" not in text  # the unit's internal note
    timeline.scroll_into_view_if_needed()
    shot(page, "privacy-04-case-roles-only")

    page.get_by_role("button", name="English").click()
    expect(page.locator(".timeline")).to_contain_text("Intake operator · City management command centre")
    page.goto(f"{live_server}/#/mine")
    expect(page.get_by_role("button", name="Download my data")).to_be_visible()
    page.get_by_role("button", name="中文").click()

    page.goto(f"{live_server}/#/mine")
    page.get_by_role("button", name="注销账号").click()
    page.locator("dialog input[name=password]").fill("not-the-password")
    page.get_by_role("button", name="确认注销").click()
    expect(page.locator(".toast-error")).to_contain_text("密码不正确")
    assert page_session(page) is not None  # still signed in
    page.get_by_role("button", name="注销账号").click()
    page.locator("dialog input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="确认注销").click()
    expect(page.locator("#login-user")).to_be_visible()
    r = httpx.post(f"{live_server}/api/v1/auth/login", json={"username": "citizen02", "password": PASSWORD},
                   timeout=SLOW)
    assert r.status_code == 401
    assert not page.errors
