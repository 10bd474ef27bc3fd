"""The whole loop through the UI in five browser contexts (citizen, shift lead and dispatcher in the command centre,
the water company, a supervisor): report → file → dispatch → accept → report back with a photo → check → close →
rate. Every step must show up live in the other contexts, with no reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.desk_fixtures import DESK, PHONE, desk_shot, open_as, plain_jpeg
from tests.helpers import point_in

pytestmark = pytest.mark.browser
NO_RELOAD = "() => { window.__sameDocument = true; }"
SAME_DOCUMENT = "() => window.__sameDocument === true"


def mark(*pages: Any) -> None:
    for p in pages:
        p.evaluate(NO_RELOAD)


def assert_not_reloaded(*pages: Any) -> None:
    for p in pages:
        assert p.evaluate(SAME_DOCUMENT), f"{p.url} was reloaded"


def test_full_loop_live_in_every_context(browser: Any, live_server: str, tmp_path: Path) -> None:
    base = live_server
    photo = plain_jpeg(tmp_path)
    where = point_in("ZR01")  # supervisor01's responsibility grid
    water_id = Api.login(base, "staff_ld_water").get("me")["unit_id"]

    lead = open_as(browser, base, "shiftlead01", DESK)
    dispatcher = open_as(browser, base, "dispatcher01", DESK)
    unit = open_as(browser, base, "staff_ld_water", PHONE)
    supervisor = open_as(browser, base, "supervisor01", PHONE, geo=where)
    citizen = open_as(browser, base, "citizen01", PHONE, geo=where)
    expect(lead.locator(".queue-tab[data-queue=triage]")).to_be_visible()
    dispatcher.goto(f"{base}/#/centre?q=dispatch")
    expect(dispatcher.locator(".queue-tab[data-queue=dispatch][aria-selected=true]")).to_be_visible()
    expect(unit.locator(".inbox")).to_be_visible()
    expect(supervisor.locator("ul.tasks")).to_be_visible()
    mark(lead, dispatcher, unit, supervisor)

    # 1. The citizen reports with a photo.
    citizen.goto(f"{base}/#/report")
    expect(citizen.locator(".loc-line")).to_contain_text("27.")
    citizen.set_input_files("#photo-gallery", str(photo))
    expect(citizen.locator(".shot img")).to_have_count(1)
    citizen.locator(".chip[data-menu=manhole]").click()
    citizen.fill("#report-desc", "人行道上的自来水井盖没了，很危险")
    citizen.get_by_role("button", name="提交").click()
    tracking = citizen.locator(".tracking")
    expect(tracking).to_contain_text("SSP", timeout=20_000)
    tracking_no = tracking.inner_text().strip()
    citizen.get_by_role("link", name="查看进度").click()
    expect(citizen.locator(".timeline")).to_contain_text("上报")
    mark(citizen)

    # 2. It appears live in the centre's intake queue; the shift lead classifies, takes it in and files it.
    card = lead.locator(f".desk-card[data-tracking={tracking_no}]")
    expect(card).to_be_visible(timeout=20_000)
    desk_shot(lead, "loop-01-centre-intake")
    card.locator(".desk-card-link").click()
    expect(lead.locator(".case-page")).to_be_visible()
    top = lead.locator(".triage-panel .suggestion").first
    expect(top).to_have_attribute("data-code", "C0101")  # the classifier's reasons are shown with it
    expect(top.locator(".reasons")).to_contain_text("井盖")
    desk_shot(lead, "loop-02-centre-triage-suggestions")
    top.locator(".accept-suggestion").click()  # one click: reclassify, take in, and (shift lead) file
    expect(lead.locator(".case-page[data-state=pending_dispatch]")).to_be_visible()
    expect(citizen.locator(".timeline")).to_contain_text("立案")  # live on the citizen's page

    # 3. The dispatcher sees it arrive live and dispatches it to the water company.
    dcard = dispatcher.locator(f".desk-card[data-tracking={tracking_no}]")
    expect(dcard).to_be_visible(timeout=20_000)
    desk_shot(dispatcher, "loop-03-centre-dispatch-queue")
    dcard.locator(".desk-card-link").click()
    dispatcher.locator(".actions-panel [data-action=dispatch]").click()
    dispatcher.locator(".action-form select[name=unit_id]").select_option(str(water_id))
    dispatcher.locator(".action-form button[type=submit]").click()
    expect(dispatcher.locator(".case-page[data-state=dispatched]")).to_be_visible()
    desk_shot(dispatcher, "loop-04-centre-dispatched")

    # 4. The unit's inbox receives it live; the unit accepts and reports back with an after-photo.
    ucard = unit.locator(f".desk-card[data-tracking={tracking_no}]")
    expect(ucard).to_be_visible(timeout=20_000)
    expect(unit.locator(".light-count-all .count")).to_have_text("1")
    desk_shot(unit, "loop-05-unit-inbox")
    ucard.locator(".desk-card-link").click()
    unit.locator(".actions-panel [data-action=accept]").click()
    expect(unit.locator(".case-page[data-state=handling]")).to_be_visible()
    expect(citizen.locator(".timeline")).to_contain_text("办理单位接收")  # 签收 in citizen words (#17)
    unit.locator(".actions-panel [data-action=report_back]").click()
    unit.fill(".action-form textarea[name=note]", "已更换新井盖")
    unit.set_input_files(".action-form input[name=photo]", str(photo))
    expect(unit.locator(".action-form .photo-input .thumb")).to_have_count(1, timeout=20_000)
    desk_shot(unit, "loop-06-unit-report-back")
    unit.locator(".action-form button[type=submit]").click()
    expect(unit.locator(".case-page[data-state=checking]")).to_be_visible()
    expect(unit.locator(".photo-after")).to_be_visible()
    expect(citizen.locator(".timeline")).to_contain_text("办理完成，待复查")

    # 5. The supervisor's task list gets the check live; the check passes on site with a photo.
    task = supervisor.locator("ul.tasks [data-task=check]").filter(has_text=tracking_no)
    expect(task).to_be_visible(timeout=20_000)
    task.click()
    supervisor.set_input_files("#task-photo-check", str(photo))
    expect(supervisor.locator(".task-check .shot img")).to_have_count(1)
    supervisor.locator(".task-check button[type=submit]").click()
    expect(citizen.locator(".timeline")).to_contain_text("现场复查")

    # 6. The shift lead (still on the case page) sees it live and closes it.
    close = lead.locator(".actions-panel [data-action=close]")
    expect(close).to_be_visible(timeout=20_000)
    desk_shot(lead, "loop-07-centre-pending-close")
    close.click()
    lead.fill(".action-form[data-action=close] textarea[name=note]", "核查通过，同意结案")
    lead.locator(".action-form[data-action=close] button[type=submit]").click()
    expect(lead.locator(".case-page[data-state=closed]")).to_be_visible()

    # 7. The citizen rates it, and the centre sees the rating live.
    satisfied = citizen.get_by_role("button", name="满意", exact=True)
    expect(satisfied).to_be_visible(timeout=20_000)
    satisfied.click()
    citizen.locator("dialog textarea[name=comment]").fill("处理很快，谢谢")
    citizen.locator("dialog button[type=submit]").click()
    expect(lead.locator(".timeline")).to_contain_text("评价", timeout=20_000)
    desk_shot(lead, "loop-08-centre-closed-rated")
    desk_shot(citizen, "loop-09-citizen-rated")

    assert_not_reloaded(lead, dispatcher, unit, supervisor, citizen)
    case = Api.login(base, "shiftlead01").get(f"cases/track/{tracking_no}")
    assert case["state"] == "closed" and case["rating"] is not None
    assert [p["kind"] for p in case["photos"]].count("after") == 1
    for p in (lead, dispatcher, unit, supervisor, citizen):
        assert not p.errors, p.errors
