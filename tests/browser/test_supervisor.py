"""The supervisor's patrol app in a real Chromium: a verify task done on site with a photo; the quick-report picker."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, Api, shot

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
