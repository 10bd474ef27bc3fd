"""A unit's field actions go through the outbox: accepted online (the answer redraws the page), reported back with an
after-photo without signal (queued on the phone, shown as waiting), sent once when the signal returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.desk_fixtures import PHONE, desk_shot, open_as, plain_jpeg
from tests.helpers import point_in, wait_for

pytestmark = pytest.mark.browser


def test_unit_reports_back_offline_and_it_is_sent_on_reconnect(browser: Any, live_server: str, tmp_path: Path) -> None:
    water = Api.login(live_server, "staff_ld_water").get("me")["unit_id"]
    case_id = Api.login(live_server, "citizen01").report(*point_in("ZR01"), "自来水井盖没了，很危险")["id"]
    op, lead, disp = (Api.login(live_server, u) for u in ("operator01", "shiftlead01", "dispatcher01"))
    wait_for(lambda: any(e["action"] == "triage" for e in lead.get(f"cases/{case_id}")["timeline"]))
    op.act(case_id, "reclassify", category_code="C0101")
    op.act(case_id, "accept_report")
    lead.act(case_id, "file")
    disp.act(case_id, "dispatch", unit_id=water)

    unit = open_as(browser, live_server, "staff_ld_water", PHONE)
    unit.goto(f"{live_server}/#/unit/case/{case_id}")
    unit.locator(".actions-panel [data-action=accept]").click()  # online: the action's answer redraws the page
    expect(unit.locator(".case-page[data-state=handling]")).to_be_visible()
    expect(unit.locator(".queued-actions")).to_have_count(0)

    unit.context.set_offline(True)  # no signal on site
    unit.locator(".actions-panel [data-action=report_back]").click()
    unit.fill(".action-form textarea[name=note]", "已更换新井盖")
    unit.set_input_files(".action-form input[name=photo]", str(plain_jpeg(tmp_path)))
    expect(unit.locator(".action-form .photo-input .thumb img")).to_have_count(1)
    unit.locator(".action-form button[type=submit]").click()
    queued = unit.locator(".queued-actions .queued-action[data-action=report_back]")
    expect(queued).to_have_attribute("data-status", "pending")
    expect(queued).to_contain_text("待发送")
    expect(unit.locator(".action-form")).to_have_count(0)
    expect(unit.locator(".actions-panel [data-action=report_back]")).to_have_count(0)  # not offered twice
    expect(unit.locator(".case-page")).to_have_attribute("data-state", "handling")
    desk_shot(unit, "unit-report-back-queued")
    stored = unit.evaluate("""async () => {
        const { db } = await import('/js/store.js');
        return (await (await db()).getAll('outbox')).map((e) => ({ action: e.action, key: e.key, kind: e.photo_kind,
            note: e.fields.note, photos: e.photos.map((p) => p.data.byteLength) }));
    }""")
    assert len(stored) == 1 and stored[0]["action"] == "report_back" and stored[0]["kind"] == "after"
    assert stored[0]["note"] == "已更换新井盖" and stored[0]["key"].startswith("ssp-") and stored[0]["photos"][0] > 1000
    assert lead.get(f"cases/{case_id}")["state"] == "handling"  # nothing reached the server

    unit.context.set_offline(False)
    expect(unit.locator(".case-page[data-state=checking]")).to_be_visible(timeout=15_000)
    expect(unit.locator(".queued-actions")).to_have_count(0)
    expect(unit.locator(".photo-after")).to_be_visible()
    desk_shot(unit, "unit-report-back-sent")
    assert unit.evaluate("async () => (await (await (await import('/js/store.js')).db()).getAll('outbox')).length") == 0
    after = lead.get(f"cases/{case_id}")
    steps = [e for e in after["timeline"] if e["action"] == "report_back"]
    assert len(steps) == 1 and steps[0]["note"] == "已更换新井盖" and len(steps[0]["photo_ids"]) == 1
    assert [p["kind"] for p in after["photos"]].count("after") == 1

    # One the server refused later (the case had moved on) stays listed in the inbox with its case, not silently lost.
    unit.evaluate("""async (caseId) => {
        const { db } = await import('/js/store.js');
        await (await db()).put('outbox', { key: 'ssp-refused-0001', kind: 'action', case_id: caseId,
            tracking_no: 'SSP-REFUSED', action: 'request_return', status: 'failed', created_at: Date.now(),
            fields: { reason: '不归我单位' }, photos: [], owner: null, token: null, attempts: 1,
            error: '当前状态不能执行此操作', result: null });
    }""", case_id)
    unit.goto(f"{live_server}/#/unit")
    refused = unit.locator(".inbox-queued .queued-action[data-status=failed]")
    expect(refused).to_contain_text("SSP-REFUSED")
    expect(refused).to_contain_text("发送失败")
    expect(refused.locator("a")).to_have_attribute("href", f"#/unit/case/{case_id}")
    desk_shot(unit, "unit-inbox-refused-action")
    assert not unit.errors, unit.errors
