"""The router's stale-render guard: a screen still loading when the person moves on never draws over the next one."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.desk_fixtures import DESK, open_as

pytestmark = pytest.mark.browser


def test_a_screen_left_while_loading_does_not_draw_over_the_next(browser: Any, live_server: str) -> None:
    # Service workers blocked so that page.route sees the module and API requests (not answered from a cache).
    page = open_as(browser, live_server, "admin", DESK, service_workers="block")
    held: dict[str, Any] = {}
    page.route("**/js/console/units.js", lambda route: held.setdefault("units", route))
    page.route("**/api/v1/admin/jobs/failed*", lambda route: held.setdefault("jobs", route))
    units_api: list[str] = []
    page.on("request", lambda r: units_api.append(r.url) if "/api/v1/org/units" in r.url else None)

    # 1. 责任单位: its screen's code is slow to come. 2. The person goes on to 失败任务 before it arrives; its data is
    # slow too. The later screen's answer comes first, the earlier screen's code last.
    with page.expect_request("**/js/console/units.js"):
        page.evaluate("() => { location.hash = '#/admin/units'; }")
    with page.expect_request("**/api/v1/admin/jobs/failed*"):
        page.evaluate("() => { location.hash = '#/admin/jobs'; }")
    page.evaluate("() => 0")  # one round trip: the route events sent right after the requests are handled by then
    assert set(held) == {"units", "jobs"}
    held.pop("jobs").continue_()
    heading = page.locator("main .desk-head h1")
    expect(heading).to_have_text("失败任务")
    expect(page.locator("main .job-results table, main .job-results .empty, main .job-results p")).not_to_have_count(0)
    held.pop("units").continue_()
    # Once the late module has run and the router's continuation with it, the jobs screen must still be the one shown.
    page.evaluate("() => import('/js/console/units.js').then(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r))))")
    expect(heading).to_have_text("失败任务")
    expect(page.locator("main .desk-page")).to_have_count(1)
    expect(page.locator("main .unit-results")).to_have_count(0)
    assert units_api == []  # the left screen did not even ask for its data
    assert page.evaluate("() => location.hash") == "#/admin/jobs"
    assert not page.errors, page.errors
