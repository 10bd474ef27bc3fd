"""The command centre and the unit inbox in a real Chromium: one-click triage and filing from the queues, the overdue
board with red and yellow cases, the map with clusters, heatmap and grid list, inbox filters and counts, an extension
request approved from the approvals queue, English; screenshots at 390×844 and 1440×900."""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.desk_fixtures import DESK, PHONE, desk_shot, open_as
from tests.conftest import base_settings
from tests.helpers import point_in

pytestmark = pytest.mark.browser


def _dispatch(base: str, case_id: int, unit_id: int) -> None:
    op, lead, disp = (Api.login(base, u) for u in ("operator01", "shiftlead01", "dispatcher01"))
    op.act(case_id, "reclassify", category_code="C0101")  # 2 emergency hours
    op.act(case_id, "accept_report")
    lead.act(case_id, "file")
    disp.act(case_id, "dispatch", unit_id=unit_id)


def _age(tmp_path: Path, case_id: int, minutes: int) -> None:
    """Move a case's dispatch time back, as if the clock had run (the light is computed at read time)."""
    db = sqlite3.connect(base_settings(tmp_path / "data").sqlite_path)
    row = db.execute("SELECT dispatched_at FROM \"case\" WHERE id = ?", (case_id,)).fetchone()
    old = datetime.fromisoformat(str(row[0]))
    new = (old if old.tzinfo else old.replace(tzinfo=UTC)) - timedelta(minutes=minutes)
    value = new.isoformat() if "T" in str(row[0]) else str(new).replace("+00:00", "")
    db.execute("UPDATE \"case\" SET dispatched_at = ? WHERE id = ?", (value, case_id))
    db.commit()
    db.close()


@pytest.fixture
def city(live_server: str, tmp_path: Path) -> dict[str, Any]:
    citizen = Api.login(live_server, "citizen01")
    water = Api.login(live_server, "staff_ld_water").get("me")["unit_id"]
    ids = [citizen.report(*point_in("ZR01", i), d)["id"] for i, d in enumerate(
        ["人行道上的自来水井盖没了，很危险", "自来水井盖松动，踩上去响", "路边井盖缺失，很危险"])]
    lead = Api.login(live_server, "shiftlead01")
    for i in ids:  # wait for the triage job (classifier suggestions, grid)
        for _ in range(100):
            if any(e["action"] == "triage" for e in lead.get(f"cases/{i}")["timeline"]):
                break
            time.sleep(0.1)
    red, yellow, new = ids
    _dispatch(live_server, red, water)
    _dispatch(live_server, yellow, water)
    _age(tmp_path, red, 180)
    _age(tmp_path, yellow, 102)
    return {"red": red, "yellow": yellow, "new": new, "water": water}


def test_centre_queues_board_and_map(browser: Any, live_server: str, city: dict[str, Any]) -> None:
    for viewport in (DESK, PHONE):
        page = open_as(browser, live_server, "shiftlead01", viewport)
        expect(page.locator(".queue-tab[data-queue=triage] .queue-count")).to_have_text("1" if viewport is DESK else "0")
        if viewport is DESK:
            card = page.locator(f".desk-card[data-case-id='{city['new']}']")
            expect(card.locator(".suggestion .reasons")).to_be_visible()
            desk_shot(page, "centre-queues-triage")
            card.locator(".accept-suggestion").click()  # reclassify with the suggestion and take it in
            expect(card).to_have_count(0)
            page.locator(".queue-tab[data-queue=filing]").click()
            filing = page.locator(f".desk-card[data-case-id='{city['new']}']")
            expect(filing.locator("[data-action=file]")).to_be_visible()
            desk_shot(page, "centre-queues-filing")
            filing.locator("[data-action=file]").click()
            expect(filing).to_have_count(0)
        else:
            desk_shot(page, "centre-queues")

        page.goto(f"{live_server}/#/centre/board")
        expect(page.locator(".board-count[data-light=red] .count")).to_have_text("1")
        expect(page.locator(".board-count[data-light=yellow] .count")).to_have_text("1")
        expect(page.locator(f".board-red li[data-case-id='{city['red']}'] .time-left.over")).to_be_visible()
        expect(page.locator(f".board-yellow li[data-case-id='{city['yellow']}']")).to_be_visible()
        desk_shot(page, "centre-board")

        page.goto(f"{live_server}/#/centre/map")
        expect(page.locator(".leaflet-marker-icon.cluster").first).to_be_visible()
        expect(page.locator(".map-status")).to_contain_text("3")
        page.locator(".map-controls input[name=heat]").check()
        expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(1)  # leaflet.heat
        # leaflet.markercluster: the three cases near each other make one group, counted, red (its worst light);
        # a click on it zooms in until they stand apart.
        group = page.locator(".leaflet-marker-icon.cluster:not(.single)")
        expect(group).to_have_count(1)
        expect(group).to_have_text("3")
        expect(group).to_have_class(re.compile(r"\bcluster-red\b"))
        group.click()
        expect(page.locator(".leaflet-marker-icon.cluster.single")).not_to_have_count(0, timeout=20_000)
        page.wait_for_timeout(600)  # the zoom animation
        # Click the map just beside a case marker: a responsibility grid lists its cases, as the API counts them.
        marker = page.locator(".leaflet-marker-icon.cluster").first.bounding_box()
        page.mouse.click(marker["x"] + marker["width"] + 4, marker["y"] + marker["height"] / 2)
        grid_list = page.locator(".grid-cases .desk-list[data-grid]")
        expect(grid_list).to_be_visible()
        grid = grid_list.get_attribute("data-grid")
        total = Api.login(live_server, "shiftlead01").get("cases", view="all", area=grid)["total"]
        expect(grid_list.locator(".desk-card")).to_have_count(total)
        desk_shot(page, "centre-map")
        assert not page.errors, page.errors
        page.context.close()


def test_unit_inbox_filters_extension_and_approval(browser: Any, live_server: str, city: dict[str, Any]) -> None:
    unit = open_as(browser, live_server, "staff_ld_water", PHONE)
    expect(unit.locator(".light-count-red .count")).to_have_text("1")
    expect(unit.locator(".light-count-yellow .count")).to_have_text("1")
    cards = unit.locator(".desk-list .desk-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("data-case-id", str(city["red"]))  # red first
    desk_shot(unit, "unit-inbox")
    unit.locator(".light-count-yellow").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-case-id", str(city["yellow"]))
    unit.locator(".light-count-all").click()
    unit.select_option(".desk-filters select[name=state]", "handling")
    expect(unit.locator(".empty")).to_be_visible()
    unit.select_option(".desk-filters select[name=state]", "")

    cards.first.locator(".desk-card-link").click()
    expect(unit.locator(".case-page[data-state=dispatched] .filing-condition")).to_contain_text("缺失")
    expect(unit.locator(".actions-panel [data-action]")).to_have_count(2)  # accept, request_return
    unit.locator(".actions-panel [data-action=accept]").click()
    expect(unit.locator(".case-page[data-state=handling]")).to_be_visible()
    unit.locator(".actions-panel [data-action=request_extension]").click()
    unit.fill(".action-form input[name=extension_hours]", "8")
    unit.fill(".action-form textarea[name=reason]", "需要等待新井盖到货")
    desk_shot(unit, "unit-case-extension-form")
    unit.locator(".action-form button[type=submit]").click()
    expect(unit.locator(".case-page[data-state=extension_requested]")).to_be_visible()

    disp = open_as(browser, live_server, "dispatcher01", DESK)
    disp.goto(f"{live_server}/#/centre?q=approvals")
    card = disp.locator(f".desk-card[data-case-id='{city['red']}']")
    expect(card.locator("[data-action=approve_extension]")).to_be_visible()
    desk_shot(disp, "centre-approvals")
    card.locator(".desk-card-link").click()
    expect(disp.locator(".request-panel")).to_contain_text("需要等待新井盖到货")
    expect(disp.locator(".request-panel")).to_contain_text("8")
    disp.go_back()
    disp.locator(f".desk-card[data-case-id='{city['red']}'] [data-action=approve_extension]").click()
    expect(disp.locator(f".desk-card[data-case-id='{city['red']}']")).to_have_count(0)
    expect(unit.locator(".case-page[data-state=handling]")).to_be_visible()  # live on the unit's page

    unit.get_by_role("button", name="English").click()
    unit.goto(f"{live_server}/#/unit")
    expect(unit.locator(".desk-head h1")).to_have_text("Case inbox")
    desk_shot(unit, "unit-inbox-en")
    for p in (unit, disp):
        assert not p.errors, p.errors


def test_not_a_duplicate_is_kept_on_the_server(browser: Any, live_server: str) -> None:
    citizen = Api.login(live_server, "citizen01")
    lead = Api.login(live_server, "shiftlead01")
    first = citizen.report(*point_in("ZR01", 0), "路边井盖缺失")["id"]
    second = citizen.report(*point_in("ZR01", 0), "路边井盖缺失，很危险")["id"]  # the same photo: a likely duplicate
    for _ in range(100):
        if lead.get(f"cases/{second}")["likely_duplicate_of"] == first:
            break
        time.sleep(0.1)
    assert lead.get(f"cases/{second}")["likely_duplicate_of"] == first

    page = open_as(browser, live_server, "shiftlead01", DESK)
    page.goto(f"{live_server}/#/centre/case/{second}")
    panel = page.locator(".dup-panel")
    expect(panel).to_be_visible()
    expect(page.locator(".actions-panel [data-action=dismiss_duplicate]")).to_have_count(0)  # offered once, here
    expect(page.locator(".timeline")).to_contain_text("自动分拣")
    desk_shot(page, "centre-duplicate-pair")
    panel.locator("[data-action=dismiss_duplicate]").click()
    expect(panel).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("不是重复")
    after = lead.get(f"cases/{second}")
    assert after["likely_duplicate_of"] is None
    assert [e["data"].get("dismissed_candidate") for e in after["timeline"] if e["action"] == "dismiss_duplicate"] == [first]

    page.reload()  # persisted: no panel in a fresh page either
    expect(page.locator(".case-page")).to_be_visible()
    expect(page.locator(".dup-panel")).to_have_count(0)
    desk_shot(page, "centre-duplicate-dismissed")
    assert not page.errors, page.errors
    page.context.close()
