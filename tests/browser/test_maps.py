"""Maps people can find their way on (issue 16), in a real Chromium at phone and desk sizes: the demo base map with
names, place search by Chinese, pinyin and initials, reporting with no map interaction at all, the location choice
when positions disagree, the out-of-area flow, and field navigation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARGS, CHROMIUM, LOUDI, PHONE, shot

pytestmark = pytest.mark.browser
DESK = {"width": 1366, "height": 768}


@pytest.fixture(params=["phone", "desk"])
def device(request: pytest.FixtureRequest, browser: Any) -> Any:
    viewport = PHONE if request.param == "phone" else DESK
    ctx = browser.new_context(viewport=viewport, geolocation=LOUDI, permissions=["geolocation"], locale="zh-CN")
    ctx.size = request.param  # type: ignore[attr-defined]
    ctx.errors = []  # type: ignore[attr-defined]
    ctx.on("weberror", lambda e: ctx.errors.append(str(e.error)))  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


def start_anonymous_report(page: Any, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    expect(page.locator("#report-map.leaflet-container")).to_be_visible()


def test_the_demo_base_map_draws_the_citys_own_names(device: Any, live_server: str) -> None:
    page = device.new_page()
    start_anonymous_report(page, live_server)
    m = page.locator("#report-map")
    expect(m).to_have_class(re.compile(r"\bdemo-basemap\b"))
    expect(m.locator(".lbl-community")).to_have_count(48)
    expect(m.locator(".lbl-road span", has_text="大道").first).to_be_visible()
    expect(m.locator(".leaflet-control-attribution")).to_contain_text("道路与地标为虚构")
    shot(page, f"maps-01-demo-basemap-{device.size}")
    assert device.errors == []
