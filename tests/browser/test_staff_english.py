"""Staff screens in English (#17 item 7): the taxonomy's 小类 and 大类, the filing conditions and the units show their
English names on the unit inbox, the unit case page, a centre queue and case page and the admin categories screen; no
Chinese text is left outside what people wrote and place names (the citizen screens' check, test_citizen_words.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LOUDI, PHONE, Api
from tests.browser.desk_fixtures import desk_shot, open_as
from tests.browser.test_citizen_words import SKIP, english_leaks

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 860}
# Staff screens also show the places the gazetteer names (.place-text, .place-line): proper nouns, left out as on the
# citizen screens; and the classifier's word reasons (.reason-word), which quote the citizen's own words.
STAFF_SKIP = f"{SKIP}, .place-text, .place-line, .reason-word"


def english_page(browser: Any, base: str, username: str, viewport: dict[str, int]) -> Any:
    page = open_as(browser, base, username, viewport)
    page.evaluate("() => localStorage.setItem('ssp.lang', 'en')")
    page.reload()  # the language is read when the app starts
    page.wait_for_load_state("networkidle")
    return page


def test_staff_screens_show_english_names_and_no_chinese(browser: Any, live_server: str) -> None:
    citizen, operator = Api.login(live_server, "citizen01"), Api.login(live_server, "operator01")
    case = citizen.report(LOUDI["longitude"] + 0.0006, LOUDI["latitude"], "井盖缺失，很危险")
    operator.act(case["id"], "reclassify", category_code="C0101")
    operator.act(case["id"], "accept_report")
    Api.login(live_server, "shiftlead01").act(case["id"], "file")
    unit_id = Api.login(live_server, "staff_ld_water").get("me")["unit_id"]
    Api.login(live_server, "dispatcher01").act(case["id"], "dispatch", unit_id=unit_id)
    waiting = citizen.report(LOUDI["longitude"] - 0.0006, LOUDI["latitude"], "路边有人摆摊卖水果")  # at the centre

    leaks: dict[str, list[str]] = {}
    for size, viewport in (("phone", PHONE), ("desk", DESK)):
        unit = english_page(browser, live_server, "staff_ld_water", viewport)
        unit.goto(f"{live_server}/#/unit")
        card = unit.locator(f".desk-card[data-case-id='{case['id']}']")
        expect(card.locator("strong").first).to_have_text("Water supply manhole cover")
        expect(card).to_contain_text("Loudi Water Supply Company")
        unit.wait_for_load_state("networkidle")
        leaks[f"inbox-{size}"] = english_leaks(unit, STAFF_SKIP)
        desk_shot(unit, "english-unit-inbox")
        unit.goto(f"{live_server}/#/unit/case/{case['id']}")
        expect(unit.locator(".case-info")).to_contain_text("Water supply manhole cover (C0101)")
        expect(unit.locator(".filing-condition")).not_to_have_text("…")
        unit.wait_for_load_state("networkidle")
        leaks[f"unit-case-{size}"] = english_leaks(unit, STAFF_SKIP)
        desk_shot(unit, "english-unit-case")
        assert unit.errors == []
        unit.context.close()

    centre = english_page(browser, live_server, "operator01", DESK)
    centre.goto(f"{live_server}/#/centre")
    expect(centre.locator(f"[data-case-id='{waiting['id']}']").first).to_be_visible()
    centre.wait_for_load_state("networkidle")
    leaks["centre-queue"] = english_leaks(centre, STAFF_SKIP)
    desk_shot(centre, "english-centre-queue")
    centre.goto(f"{live_server}/#/centre/case/{waiting['id']}")
    expect(centre.locator(".triage-panel .suggestion").first).to_be_visible()
    centre.wait_for_load_state("networkidle")
    leaks["centre-case"] = english_leaks(centre, STAFF_SKIP)
    desk_shot(centre, "english-centre-case")
    assert centre.errors == []
    centre.context.close()

    admin = english_page(browser, live_server, "admin", DESK)
    admin.goto(f"{live_server}/#/admin/categories")
    row = admin.locator("tr[data-code='C0101']")
    expect(row).to_contain_text("Water supply manhole cover")
    expect(row).to_contain_text("Missing, shifted or cracked, a safety hazard")
    leaks["admin-categories"] = english_leaks(admin, STAFF_SKIP)
    desk_shot(admin, "english-admin-categories")
    admin.context.close()
    found = {k: v for k, v in leaks.items() if v}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
