"""The supervisor's patrol app in a real Chromium: a verify task done on site with a photo; the quick-report picker."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, Api, shot
from tests.browser.helpers import assert_top_bar_fits

pytestmark = pytest.mark.browser


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/#/login")
    page.fill("#login-user", username)
    page.fill("#login-pass", "ssp-demo-2026")
    page.get_by_role("button", name="登录", exact=True).click()


def test_verify_task_completed_with_photo(phone: Any, live_server: str) -> None:
    supervisor_id = Api.login(live_server, "supervisor01").get("me")["id"]
    citizen = Api.login(live_server, "citizen01")
    case = citizen.report(112.0013, 27.7321, "路灯不亮")
    operator = Api.login(live_server, "operator01")
    operator.act(case["id"], "request_verify")
    if operator.get(f"cases/{case['id']}")["assigned_supervisor_id"] != supervisor_id:
        operator.act(case["id"], "assign_supervisor", supervisor_id=supervisor_id)

    page = phone.new_page()
    login(page, live_server, "supervisor01")
    task = page.locator(f".tasks .list-item[data-case-id='{case['id']}']")
    expect(task).to_be_visible(timeout=10000)
    expect(task).to_contain_text("核实")
    expect(task.locator(".distance")).to_contain_text("m")
    expect(page.locator("#tasks-map .pin-task-verify")).to_have_count(1)
    shot(page, "supervisor-01-tasks")

    task.click()
    form = page.locator("form.task-verify")
    expect(form).to_be_visible()
    form.get_by_label("核实属实").check()
    page.set_input_files("#task-photo-verify", str(GEOTAGGED_JPEG))
    expect(form.locator(".shot img")).to_have_count(1)
    page.fill("#task-note-verify", "现场确认路灯损坏")
    shot(page, "supervisor-02-verify-form")
    form.get_by_role("button", name="核实").click()

    expect(page.locator(".case-page .badge.state")).to_have_text("待立案", timeout=15000)
    expect(page.locator(".photo-verify img")).to_have_count(1)
    shot(page, "supervisor-03-verified")
    after = operator.get(f"cases/{case['id']}")
    step = [e for e in after["timeline"] if e["action"] == "verify"]
    assert step and step[-1]["data"].get("result") == "confirmed" and len(step[-1]["photo_ids"]) == 1
    assert [p["kind"] for p in after["photos"]].count("verify") == 1
    assert phone.errors == []


def test_quick_report_with_category_search(phone: Any, live_server: str) -> None:
    page = phone.new_page()
    login(page, live_server, "supervisor01")
    page.get_by_role("link", name="快速上报").click()
    page.fill("#cat-search", "井盖")
    page.locator(".picker-results .chip[data-code='C0102']").click()
    expect(page.locator(".picked")).to_contain_text("C0102 污水井盖")
    page.set_input_files("#photo-gallery", str(GEOTAGGED_JPEG))
    expect(page.locator(".shot img")).to_have_count(1)
    shot(page, "supervisor-04-quick-report")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
    mine = Api.login(live_server, "supervisor01").get("cases", view="mine")["items"]
    assert [c["category_code"] for c in mine] == ["C0102"]


def test_verify_task_done_offline_goes_through_the_outbox(phone: Any, live_server: str) -> None:
    supervisor_id = Api.login(live_server, "supervisor01").get("me")["id"]
    case = Api.login(live_server, "citizen01").report(112.0013, 27.7321, "人行道井盖破损")
    operator = Api.login(live_server, "operator01")
    operator.act(case["id"], "request_verify")
    operator.act(case["id"], "assign_supervisor", supervisor_id=supervisor_id)

    page = phone.new_page()
    login(page, live_server, "supervisor01")
    assert_top_bar_fits(page)
    page.locator(f".tasks .list-item[data-case-id='{case['id']}']").click()
    form = page.locator("form.task-verify")
    expect(form).to_be_visible()

    phone.set_offline(True)  # no signal on site
    form.get_by_label("核实不属实").check()
    page.set_input_files("#task-photo-verify", str(GEOTAGGED_JPEG))
    expect(form.locator(".shot img")).to_have_count(1)
    page.fill("#task-note-verify", "现场井盖完好")
    form.get_by_role("button", name="核实").click()
    queued = page.locator(".queued-result")
    expect(queued).to_have_attribute("data-status", "pending", timeout=10000)
    expect(queued).to_contain_text("待发送")
    expect(page.locator("form.task-verify")).to_have_count(0)  # not offered twice while it waits
    shot(page, "supervisor-05-verify-queued-offline")
    stored = page.evaluate("""async () => {
        const { db } = await import('/js/store.js');
        return (await (await db()).getAll('outbox')).map((e) => ({ kind: e.kind, key: e.key, action: e.action,
            photos: e.photos.map((p) => ({ key: p.key, bytes: p.data.byteLength })) }));
    }""")
    assert len(stored) == 1 and stored[0]["kind"] == "action" and stored[0]["action"] == "verify"
    assert stored[0]["key"].startswith("ssp-") and stored[0]["photos"][0]["bytes"] > 1000
    assert stored[0]["photos"][0]["key"] and stored[0]["photos"][0]["key"] != stored[0]["key"]

    phone.set_offline(False)
    expect(queued).to_have_attribute("data-status", "sent", timeout=15000)
    expect(queued).to_contain_text("已发送")
    expect(page.locator(".case-page .badge.state")).to_have_text("待立案", timeout=10000)
    shot(page, "supervisor-06-verify-sent")
    page.reload()  # a later flush (the next app start) must not send it again
    expect(page.locator(".case-page .badge.state")).to_have_text("待立案")
    page.wait_for_timeout(1000)
    after = operator.get(f"cases/{case['id']}")
    steps = [e for e in after["timeline"] if e["action"] == "verify"]
    assert len(steps) == 1 and steps[0]["data"].get("result") == "not_confirmed" and len(steps[0]["photo_ids"]) == 1
    assert steps[0]["note"] == "现场井盖完好"
    assert [p["kind"] for p in after["photos"]].count("verify") == 1
    assert phone.errors == []


def test_top_bar_fits_a_phone_in_english(phone: Any, live_server: str) -> None:
    page = phone.new_page()
    login(page, live_server, "staff_ld_water")  # the longest role name
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    assert_top_bar_fits(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("#top .who-short")).to_have_text("Unit")
    assert_top_bar_fits(page)
    shot(page, "unit-top-bar-english")
