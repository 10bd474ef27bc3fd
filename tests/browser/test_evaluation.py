"""The evaluation desk in a real Chromium, on the worked example of docs/evaluation.md: the month's table with grades
and the change since the month before, a drill-down to the cases behind a rate, the Excel export, the trend chart, and
a unit's staff seeing only their own unit; the wall screen at 1920×1080 following a report live. Screenshots at
1440×900, 390×844 and 1920×1080."""

from __future__ import annotations

import asyncio
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from backend.db import close_database, open_database
from tests.browser.conftest import Api
from tests.browser.desk_fixtures import DESK, PHONE, desk_shot, open_as
from tests.conftest import base_settings
from tests.evaluation.example import City, build
from tests.helpers import point_in

pytestmark = pytest.mark.browser


def _example(tmp_path: Path) -> City:
    """The example's timeline, written into the live server's database."""

    async def write() -> City:
        engine = await open_database(base_settings(tmp_path / "data"))
        try:
            city = await City().load()
            await build(city)
            return city
        finally:
            await close_database(engine)

    # Playwright's sync API keeps an event loop running on this thread: run ours on another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, write()).result()


def test_the_centre_grades_units_drills_down_and_exports(browser: Any, live_server: str, tmp_path: Path) -> None:
    city = _example(tmp_path)
    page = open_as(browser, live_server, "dispatcher01", DESK)
    page.get_by_role("link", name="考评").click()
    page.goto(f"{live_server}/#/eval?month=2026-03&subject=unit")
    water = page.locator(f"tr[data-key='{city.unit_a}']")
    expect(water.locator("td.num").first).to_have_text("68.5")
    expect(water.locator(".grade")).to_have_text("C")
    expect(water).to_contain_text("上期无")  # nothing in February
    expect(page.locator("tbody tr").first).to_have_attribute("data-key", str(city.unit_a))  # scored rows first
    water.locator("button[data-figure=on_time_rate]").click()
    drill = page.locator(".ev-drill")
    expect(drill.locator("h2")).to_contain_text("按期处置率")
    expect(drill.locator(".ev-part").nth(0).locator("li")).to_have_text(["EX0001", "EX0002", "EX0003"])
    expect(drill.locator(".ev-part").nth(1).locator("h3")).to_contain_text("5 件")
    expect(page.locator("#ev-trend-chart[data-ready=true] canvas")).to_be_visible()
    desk_shot(page, "eval-01-units-drill")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 Excel").click()
    saved = tmp_path / "evaluation.xlsx"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as z:
        assert "xl/workbook.xml" in z.namelist()
    page.select_option("#ev-subject", "district")
    district = page.locator(f"tr[data-key='{city.district}']")
    expect(district.locator(".grade")).to_have_text("D")
    page.select_option("#ev-subject", "dispatcher")
    expect(page.locator(f"tr[data-key='{city.dispatcher}'] .grade")).to_have_text("B")
    desk_shot(page, "eval-02-dispatchers")
    assert page.errors == []


def test_a_unit_sees_its_own_figures_on_a_phone(browser: Any, live_server: str, tmp_path: Path) -> None:
    city = _example(tmp_path)
    page = open_as(browser, live_server, "staff_ld_water", PHONE)
    page.goto(f"{live_server}/#/eval?month=2026-03")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator(f"tr[data-key='{city.unit_a}'] .grade")).to_have_text("C")
    expect(page.locator("#ev-subject")).to_be_disabled()
    page.locator("button[data-figure=rework_rate]").click()
    expect(page.locator(".ev-drill .ev-part").nth(0).locator("li")).to_have_text(["EX0002"])
    desk_shot(page, "eval-03-unit-phone")
    assert page.errors == []


def _overdue_case(tmp_path: Path) -> None:
    """A case its unit has had for five days on a two-day limit: red on the clock."""
    from datetime import UTC, datetime, timedelta

    from backend.cases.tables import Case
    from backend.org.tables import Unit

    async def write() -> None:
        engine = await open_database(base_settings(tmp_path / "data"))
        try:
            unit = await Unit.select(Unit.id).where(Unit.code == "ld_water").first()
            lng, lat = point_in("ZR01", 3)
            then = datetime.now(UTC) - timedelta(days=5)
            await Case(tracking_no="OD0001", state="handling", source="citizen", reporter=None, lng=lng, lat=lat,
                       time_limit="2自然日", unit=unit["id"], created_at=then, updated_at=then, filed_at=then,
                       dispatched_at=then).save()
        finally:
            await close_database(engine)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, write()).result()


def test_the_wall_screen_fills_1920_by_1080_and_follows_reports_live(browser: Any, live_server: str,
                                                                     tmp_path: Path) -> None:
    _overdue_case(tmp_path)
    page = open_as(browser, live_server, "dispatcher01", {"width": 1920, "height": 1080})
    page.goto(f"{live_server}/#/eval?view=wall")
    reported = page.locator("[data-kpi=reported] .wall-value")
    expect(reported).to_have_text("0")
    expect(page.locator("#wall-map .wall-red")).to_have_count(1)  # the overdue case, red on the map
    expect(page.locator(".wall-map-note")).to_have_text("热力：近 7 天上报 1 件 · 红点：超时案件 1 件")
    expect(page.locator("#top")).to_be_hidden()
    case = Api.login(live_server, "citizen01").report(*point_in("ZR01"), "井盖松动，踩上去会响")
    # The report arrives over the websocket: the feed names it and the tiles are counted again.
    expect(page.locator(".wall-feed li").first).to_contain_text(case["tracking_no"])
    # The reload after an event asks six questions of the server (the facts brought up to date first): on a busy
    # CI machine that takes longer than expect's default 5 s.
    expect(reported).to_have_text("1", timeout=20_000)
    expect(page.locator(".wall-panel").nth(1).locator(".wall-bars li")).to_have_count(1)
    expect(page.locator(".wall-map-note")).to_contain_text("近 7 天上报 2 件")  # the heat counted it too
    expect(page.locator("#wall-map canvas.leaflet-heatmap-layer")).to_have_count(1)  # leaflet.heat
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1920 and size[1] <= 1080, size  # one screen, no scrolling
    desk_shot(page, "eval-04-wall")
    assert page.errors == []


def _example_with_reopening(tmp_path: Path) -> City:
    """The example, the citizen's phone on file, and EX0001 reopened by its reporter on 03-05."""
    from backend.accounts.tables import User
    from backend.cases.tables import TimelineEntry
    from tests.evaluation.example import t

    async def write() -> City:
        engine = await open_database(base_settings(tmp_path / "data"))
        try:
            city = await City().load()
            ids = await build(city)
            await User.update({User.phone: "13800001111"}).where(User.id == city.citizen)
            await TimelineEntry.insert(TimelineEntry(case=ids["c1"], at=t("03-05 10:00"), actor=city.citizen,
                                                     actor_role="citizen", action="reopen", note="井盖又松了"))
            return city
        finally:
            await close_database(engine)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, write()).result()


def test_the_centre_calls_back_and_prints_the_monthly_report(browser: Any, live_server: str, tmp_path: Path) -> None:
    city = _example_with_reopening(tmp_path)
    page = open_as(browser, live_server, "operator01", {"width": 1280, "height": 860})
    page.goto(f"{live_server}/#/eval?month=2026-03")
    page.get_by_role("link", name="回访").click()
    rows = page.locator(".fu-table tbody tr")
    expect(rows).to_have_count(2)
    reopened = rows.filter(has_text="EX0001")
    expect(reopened).to_contain_text("重新打开")
    expect(reopened).to_contain_text("井盖又松了")
    expect(reopened.locator(".fu-contact")).to_contain_text("13800001111")  # an operator makes the calls
    reopened.locator("select[name=outcome]").select_option("resolved")
    reopened.locator("input[name=note]").fill("已再次派遣")
    reopened.get_by_role("button", name="记录").click()
    expect(reopened.locator(".fu-calls li")).to_contain_text("回访满意")
    expect(reopened).to_have_attribute("data-status", "done")
    expect(reopened.locator("form")).to_have_count(0)
    expect(page.locator("#fu-summary")).to_contain_text("待回访 1 件，已回访 1 件")
    desk_shot(page, "eval-05-followup")
    page.reload()  # the call was stored: the pending list now holds EX0002 only
    expect(page.locator(".fu-table tbody tr")).to_have_count(1)

    page.goto(f"{live_server}/#/eval?view=report&month=2026-03")
    report = page.locator(".ev-report[data-ready=true]")
    expect(report.locator("h1")).to_have_text("2026年3月城市管理综合考评月报")
    water = report.locator(f"#rp-units tr[data-key='{city.unit_a}']")
    expect(water.locator("td.num").first).to_have_text("68.5")
    expect(water.locator(".grade")).to_have_text("C")
    expect(report.locator("[data-kpi=reported] .rp-kpi-value")).to_have_text("5")
    expect(report.locator("[data-kpi=followups] .rp-kpi-value")).to_have_text("待 1 · 已 1")
    expect(report.locator("#rp-units-chart svg")).to_be_visible()
    expect(report.locator("#rp-trend-chart svg")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in ("#top", "#nav", "#rp-print"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(report.locator("#rp-dispatchers")).to_be_visible()
    desk_shot(page, "eval-06-report-print")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pdf.startswith(b"%PDF") and 1 <= pages <= 4, pages  # the month on a few A4 sheets
    assert page.errors == []
