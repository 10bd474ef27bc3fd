"""Accessibility of the unit inbox and the supervisor's tasks (#17): axe-core finds nothing serious or critical at phone
and desk sizes, map controls have names; a citizen's report done with the keyboard alone. The unit inbox also shows
the 重点 badge a city's follower setting gives a much-followed case."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, LOUDI, PHONE, Api
from tests.browser.desk_fixtures import desk_shot, open_as
from tests.browser.helpers import axe_serious

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 860}
# Every control of every map on the page: Leaflet's zoom buttons, the layer and locate buttons of our own.
UNNAMED_MAP_CONTROLS = """() => [...document.querySelectorAll('.leaflet-control a, .leaflet-control button')]
    .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || el.title))
    .map((el) => el.outerHTML.slice(0, 80))"""


def followed_case_and_task(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case with the water company that two citizens follow (a 重点 case once the city's setting is 2), and a verify
    task for supervisor01."""
    citizen, operator = Api.login(base, "citizen01"), Api.login(base, "operator01")
    case = citizen.report(LOUDI["longitude"] + 0.0004, LOUDI["latitude"], "井盖缺失")
    operator.act(case["id"], "reclassify", category_code="C0101")
    operator.act(case["id"], "accept_report")
    Api.login(base, "shiftlead01").act(case["id"], "file")
    unit_id = Api.login(base, "staff_ld_water").get("me")["unit_id"]
    Api.login(base, "dispatcher01").act(case["id"], "dispatch", unit_id=unit_id)
    for name in ("citizen02", "citizen03"):
        r = httpx.post(f"{base}/api/v1/citizen/follows", json={"tracking_no": case["tracking_no"]},
                       headers={"Authorization": f"Bearer {Api.login(base, name).token}"})
        assert r.status_code == 200, r.text
    r = httpx.put(f"{base}/api/v1/admin/settings", json={"values": {"follower_priority": 2}},
                  headers={"Authorization": f"Bearer {Api.login(base, 'admin').token}"})
    assert r.status_code == 200, r.text

    task = citizen.report(112.0013, 27.7321, "路灯不亮")
    operator.act(task["id"], "request_verify")
    supervisor_id = Api.login(base, "supervisor01").get("me")["id"]
    if operator.get(f"cases/{task['id']}")["assigned_supervisor_id"] != supervisor_id:
        operator.act(task["id"], "assign_supervisor", supervisor_id=supervisor_id)
    return case, task


def test_unit_inbox_and_supervisor_tasks_pass_axe_at_phone_and_desk_sizes(browser: Any, live_server: str) -> None:
    case, task = followed_case_and_task(live_server)
    found: dict[str, Any] = {}
    for size, viewport in (("phone", PHONE), ("desk", DESK)):
        unit = open_as(browser, live_server, "staff_ld_water", viewport)
        unit.goto(f"{live_server}/#/unit")
        card = unit.locator(f".desk-card[data-case-id='{case['id']}']")
        expect(card.locator(".badge-priority")).to_have_text("重点")
        expect(card.locator(".followers")).to_have_text("2 人关注")
        unit.wait_for_load_state("networkidle")
        found[f"inbox-{size}"] = axe_serious(unit)
        desk_shot(unit, "a11y-unit-inbox")
        unit.goto(f"{live_server}/#/unit/case/{case['id']}")
        expect(unit.locator(".case-badges .badge-priority")).to_have_text("重点")
        expect(unit.locator("#case-map.leaflet-container")).to_be_visible()
        unit.wait_for_load_state("networkidle")
        found[f"unit-case-{size}"] = axe_serious(unit)
        found[f"unit-case-map-{size}"] = unit.evaluate(UNNAMED_MAP_CONTROLS)
        expect(unit.locator("#case-map .leaflet-control-zoom-in")).to_have_attribute("aria-label", "放大地图")
        desk_shot(unit, "a11y-unit-case")
        assert unit.errors == []
        unit.context.close()

        sup = open_as(browser, live_server, "supervisor01", viewport, geo=(112.0013, 27.7321))
        sup.goto(f"{live_server}/#/tasks")
        expect(sup.locator(f".tasks .list-item[data-case-id='{task['id']}']")).to_be_visible()
        expect(sup.locator("#tasks-map .pin-task-verify")).to_have_count(1)
        sup.wait_for_load_state("networkidle")
        found[f"tasks-{size}"] = axe_serious(sup)
        found[f"tasks-map-{size}"] = sup.evaluate(UNNAMED_MAP_CONTROLS)
        expect(sup.locator("#tasks-map .leaflet-control-zoom-out")).to_have_attribute("aria-label", "缩小地图")
        desk_shot(sup, "a11y-supervisor-tasks")
        sup.locator(f".tasks .list-item[data-case-id='{task['id']}']").click()
        expect(sup.locator("form.task-verify")).to_be_visible()
        sup.wait_for_load_state("networkidle")
        found[f"task-{size}"] = axe_serious(sup)
        found[f"task-map-{size}"] = sup.evaluate(UNNAMED_MAP_CONTROLS)
        desk_shot(sup, "a11y-supervisor-task")
        assert sup.errors == []
        sup.context.close()
    assert {k: v for k, v in found.items() if v} == {}


def tab_to(page: Any, test: str, arg: Any = None, limit: int = 80) -> None:
    """Press Tab until the focused element passes ``test`` (a JS function of the element and ``arg``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"([arg]) => {{ const el = document.activeElement; return Boolean(el && ({test})(el, arg)); }}",
                         [arg]):
            return
    raise AssertionError(f"Tab never reached {test} {arg}")


def test_a_report_made_with_the_keyboard_alone(browser: Any, live_server: str) -> None:
    page = open_as(browser, live_server, None, DESK, geo=(LOUDI["longitude"], LOUDI["latitude"]))
    # Playwright turns on its interception of file choosers when the first listener is added, without waiting for
    # the browser to apply it: a key pressed at once can open the real (headless: invisible) dialog instead, and the
    # event never comes (seen with Chromium 156 about every other run). A listener from the start has it on in time.
    page.on("filechooser", lambda _chooser: None)
    named = "(el, text) => el.textContent.trim() === text"
    tab_to(page, named, "不登录，直接随手拍")
    page.keyboard.press("Enter")
    expect(page.locator(".loc-line")).to_contain_text("精度约")
    tab_to(page, "(el) => el.id === 'photo-gallery'")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # what a keyboard user presses on a file button
    chooser.value.set_files(str(GEOTAGGED_JPEG))
    expect(page.locator(".shot img")).to_have_count(1)
    tab_to(page, "(el) => el.dataset.menu === 'manhole'")
    page.keyboard.press("Space")
    expect(page.locator(".chip[data-menu=manhole]")).to_have_attribute("aria-pressed", "true")
    tab_to(page, "(el) => el.id === 'report-desc'")
    page.keyboard.type("井盖缺失（只用键盘上报）")
    tab_to(page, "(el) => el.type === 'submit'")
    page.keyboard.press("Enter")
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
    assert page.errors == []
