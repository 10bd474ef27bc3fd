"""The admin screens for the city's own configuration in a real Chromium: a 小类 switched off and its time limit
changed (the standard shown beside it), a city 小类 added; runtime settings refused out of range, then saved; a grid
given to another supervisor and taken away again; a component moved by typing its new point. Each change lands in the
audit log with before and after. Screenshots at 1440×900 and 390×844."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.desk_fixtures import DESK, PHONE, desk_shot, open_as
from tests.helpers import point_in

pytestmark = pytest.mark.browser


def test_admin_categories_settings_grids_and_components(browser: Any, live_server: str) -> None:
    page = open_as(browser, live_server, "admin", viewport=DESK)
    # One API session beside the browser's: each login is a session, and a sixth would end the browser's.
    api = Api.login(live_server, "admin")

    # Categories: switch C0305 off, change its first limit, add a city 小类 under C03.
    page.locator(".centre-nav-link", has_text="案件类别").click()
    expect(page).to_have_url(re.compile(r"#/admin/categories$"))
    page.select_option("#cat-major", "C03")
    row = page.locator("tr[data-code=C0305]")
    row.locator("[data-action=disable]").click()
    page.locator("dialog .btn-danger").click()
    expect(row.locator("[data-state]")).to_have_text("已停用")
    row.locator("[data-action=limits]").click()
    page.locator("dialog input[name=limit0]").fill("1紧急工作时")
    page.locator("dialog .btn-primary").click()
    expect(row.locator(".limit-changed").first).to_have_text("1紧急工作时")
    expect(row.locator(".limit-list li").first).to_contain_text("标准：")
    page.locator("[data-action=new-category]").click()
    dialog = page.locator("dialog")
    dialog.locator("select[name=major_code]").select_option("C03")
    dialog.locator("input[name=name]").fill("智能回收箱")
    dialog.locator("input[name=filing_condition]").fill("箱体破损或满溢")
    dialog.locator("input[name=time_limit]").fill("2天")
    dialog.locator(".btn-primary").click()
    added = page.locator("tr", has_text="智能回收箱")
    expect(added).to_contain_text("本市新增")
    code = added.get_attribute("data-code")
    assert code and re.fullmatch(r"C03\d\d", code)
    page.fill("#cat-search", "")
    page.select_option("#cat-state", "changed")
    expect(page.locator("tr[data-code]")).to_have_count(1)
    desk_shot(page, "admin-categories")
    menu = Api.login(live_server, "citizen01").get("meta/menu")
    assert all("C0305" not in m["codes"] for m in menu) and any(code in m["codes"] for m in menu)
    changed = api.get("admin/audit", action="taxonomy.category_changed")
    assert changed[0]["details"]["after"]["time_limits"][0] == "1紧急工作时"
    assert changed[-1]["details"]["before"]["enabled"] is True

    # Settings: out of range is refused with the reason; a good value is saved, marked changed and audited.
    page.locator(".centre-nav-link", has_text="运行参数").click()
    page.fill("#set-duplicate_radius_m", "5000")
    page.locator("[data-action=save-settings]").click()
    expect(page.locator(".admin-error")).to_contain_text("5–500")
    page.fill("#set-duplicate_radius_m", "80")
    page.locator("#set-auto_dispatch").check()
    # Followers that make a case 重点: off (0) unless the city says otherwise.
    expect(page.get_by_label("关注人数达到此数的案件标为重点（0 为关闭）")).to_have_value("0")
    page.locator("[data-action=save-settings]").click()
    expect(page.locator(".setting-row[data-key=duplicate_radius_m]")).to_have_attribute("data-changed", "true")
    expect(page.locator("#eval-unit-closure")).to_have_value(re.compile(r"^30"))
    desk_shot(page, "admin-settings")
    entry = api.get("admin/audit", action="settings.changed")[0]
    assert entry["details"]["before"] == {"duplicate_radius_m": 50.0, "auto_dispatch": False}
    assert entry["details"]["after"] == {"duplicate_radius_m": 80.0, "auto_dispatch": True}

    # Grids: ZR02 goes to supervisor02 (leaving its holder), then is taken away.
    page.locator(".centre-nav-link", has_text="责任网格").click()
    grid = page.locator("tr[data-code=ZR02]")
    before = grid.locator("[data-supervisor]").get_attribute("data-supervisor")
    grid.locator("[data-action=assign]").click()
    supervisors = {u["username"]: u for u in api.get("users", role="supervisor")}
    other = next(name for name in sorted(supervisors) if name != before)
    page.locator("dialog select[name=user]").select_option(str(supervisors[other]["id"]))
    page.locator("dialog .btn-primary").click()
    expect(grid.locator("[data-supervisor]")).to_have_attribute("data-supervisor", other)
    expect(page.locator("#grid-map .leaflet-overlay-pane canvas")).to_be_visible()
    desk_shot(page, "admin-grids")
    grid.locator("[data-action=unassign]").click()
    page.locator("dialog .btn-danger").click()
    expect(grid.locator("[data-supervisor]")).to_have_attribute("data-supervisor", "")
    grids = api.get("admin/audit", action="user.grids_changed")
    assert "ZR02" not in grids[0]["details"]["grids"] and "ZR02" in grids[0]["details"]["before"]

    # Components: filter by 小类 and grid, move one by typing its new point.
    page.locator(".centre-nav-link", has_text="部件").click()
    page.fill("#comp-category", "C0305")
    page.locator(".admin-filters .btn-primary").click()
    first = page.locator(".comp-results tr[data-code]").first
    expect(first).to_be_visible()
    code = first.get_attribute("data-code")
    first.locator("[data-action=move]").click()
    lng, lat = point_in("ZR02")
    page.fill("#move-lng", str(lng))
    page.fill("#move-lat", str(lat))
    desk_shot(page, "admin-components-moving")
    page.locator("[data-action=save-move]").click()
    expect(page.locator(".toast").last).to_contain_text(f"{code} 已移到")
    moved = api.get("admin/audit", action="org.component_moved")[0]
    assert moved["target"] == f"component:{code}" and moved["details"]["after"]["lng"] == lng
    page.select_option("#comp-grid", "ZR02")
    page.locator(".admin-filters .btn-primary").click()
    expect(page.locator(f".comp-results tr[data-code='{code}']")).to_be_visible()
    assert not page.errors, page.errors
    page.context.close()

    phone = open_as(browser, live_server, "admin", viewport=PHONE)
    for href, name in (("#/admin/categories", "admin-categories-phone"), ("#/admin/settings", "admin-settings-phone"),
                       ("#/admin/grids", "admin-grids-phone"), ("#/admin/components", "admin-components-phone")):
        phone.goto(f"{live_server}/{href}")
        expect(phone.locator(".table-scroll, .settings-form").first).to_be_visible()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        desk_shot(phone, name)
    assert not phone.errors, phone.errors
    phone.context.close()
