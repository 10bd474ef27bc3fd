"""The citizen's side in a real Chromium (#17): citizen words on the case page, 只报一次 (join a nearby report instead
of filing it again), following a report from a second phone, upload progress, HEIC placeholders, the submit button in
view, complete English, and axe-core with no serious or critical violations on every citizen screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, LOUDI, PHONE, Api, shot
from tests.browser.desk_fixtures import open_as
from tests.browser.helpers import axe_serious, resolve_by_unit
from tests.helpers import wait_for

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # Han, CJK punctuation, full-width forms (：（）)
DESK = {"width": 1280, "height": 860}
# The text a screen shows, without what people wrote (descriptions, notes) and proper names marked lang=zh-CN.
LEAKS = """([skip, pattern]) => {
    const cjk = new RegExp(pattern);
    const found = [];
    const walk = (el) => {
        if (el.closest(skip)) return;
        const where = `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
        for (const n of el.childNodes) {
            if (n.nodeType === 3 && cjk.test(n.textContent)) found.push(`${where}: ${n.textContent.trim()}`);
            else if (n.nodeType === 1) walk(n);
        }
        for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
            if (cjk.test(el.getAttribute(a) || '')) found.push(`${where}[${a}]: ${el.getAttribute(a)}`);
        }
    };
    for (const id of ['top', 'main', 'nav']) walk(document.getElementById(id));
    return found;
}"""


# Left out: what people wrote (.desc, .tl-note, .user-text), the signed-in person's name (.who), place names (the reverse-
# geocoded address, the map's labels: proper nouns from the city's gazetteer), proper names marked
# lang=zh-CN, hidden text.
SKIP = '[lang="zh-CN"], .desc, .tl-note, .who, .user-text, .loc-address, .leaflet-container, [hidden], .sr-only'


def english_leaks(page: Any, skip: str = SKIP) -> list[str]:
    """Chinese text (Han, CJK punctuation, full-width colons and brackets) an English screen shows, with where."""
    return sorted(set(page.evaluate(LEAKS, [skip, CJK.pattern])))


def checked_case(base: str, redacted: bool = False) -> dict[str, Any]:
    """citizen01's manhole report near the test phone, handled by the water company and waiting for its check."""
    citizen = Api.login(base, "citizen01")
    case = citizen.report(LOUDI["longitude"] + 0.0004, LOUDI["latitude"], "井盖缺失，路人容易踩空")
    Api.login(base, "operator01").act(case["id"], "reclassify", category_code="C0101")
    resolve_by_unit(base, case["id"])
    if redacted:  # photos reach other people only once redacted (a server with a redaction worker): wait for both
        wait_for(lambda: all(any(p["kind"] == kind and p.get("thumb_url") for p in citizen.get(f"cases/{case['id']}")[
            "photos"]) for kind in ("report", "after")), timeout=90)
    return case


@pytest.mark.server_env(SUISHOUPAI_REDACTION_WORKERS="1")
def test_join_a_nearby_report_follow_it_live_and_from_a_second_phone(browser: Any, live_server: str) -> None:
    case = checked_case(live_server, redacted=True)
    stranger = browser.new_context(viewport=PHONE, geolocation=LOUDI, permissions=["geolocation"], locale="zh-CN")
    page = stranger.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    expect(page.locator(".loc-line")).to_contain_text("精度约 12 米")
    page.locator(".chip[data-menu=manhole]").click()
    item = page.locator(f".nearby-item[data-tracking={case['tracking_no']}]")
    expect(item).to_contain_text("处理中")
    expect(item).to_contain_text("约 40 米")
    expect(page.locator(".nearby")).not_to_contain_text("C0101")
    # On the map too: a numbered pin with the report's (redacted) photo, named for screen readers; it leads to 我也遇到.
    pin = page.locator(f"#report-map .nearby-pin[data-tracking={case['tracking_no']}]")
    expect(pin).to_have_attribute("aria-label", re.compile(r"^附近上报 1：.*井盖.*约 40 米$"))
    expect(pin.locator("img")).to_have_attribute("src", re.compile(r"^/api/v1/public/photos/\d+/thumb$"))
    pin.scroll_into_view_if_needed()
    shot(page, "citizen-20-nearby-on-the-map")
    pin.click()
    expect(item.get_by_role("button", name=re.compile("^我也遇到"))).to_be_focused()
    item.scroll_into_view_if_needed()
    shot(page, "citizen-20-nearby-list")
    assert axe_serious(page) == []
    item.get_by_role("button", name=re.compile("^我也遇到")).click()

    # The followed case in citizen words: status, role and organisation, the before/after pair; nothing internal.
    expect(page.locator(".following")).to_have_text("您关注的上报（我也遇到）")
    expect(page.locator(".case-page .badge.state")).to_have_text("处理中")
    expect(page.locator(".pair-before img")).to_have_count(1)
    expect(page.locator(".pair-after img")).to_have_count(1)
    page_text = page.locator(".case-page").inner_text()
    assert "井盖缺失" not in page_text  # another person's words stay theirs
    for internal in ("已处置待核查", "C0101", "绿灯", "staff_ld_water", "operator01"):
        assert internal not in page_text, internal
    expect(page.locator(".timeline")).to_contain_text("交办理单位")
    shot(page, "citizen-21-followed-case")
    assert axe_serious(page) == []

    # Closed by the centre: the follower's open page changes without a reload (the live channel).
    page.evaluate("() => { window.__kept = true; }")
    supervisor, lead = Api.login(live_server, "supervisor01"), Api.login(live_server, "shiftlead01")
    Api.login(live_server, "operator01").act(case["id"], "assign_supervisor", supervisor_id=supervisor.get("me")["id"])
    supervisor.act(case["id"], "check", result="pass", photo_ids=[supervisor.photo("check")])
    lead.act(case["id"], "close", note="已修复")
    expect(page.locator(".case-page .badge.state")).to_have_text("已办结", timeout=15000)
    assert page.evaluate("() => window.__kept === true")
    page.goto(f"{live_server}/#/mine")
    expect(page.locator(".cases .badge.following")).to_have_text("关注中")
    stranger.close()

    # The reporter's own phone shows the follow code; a second phone follows with number and code.
    mine = open_as(browser, live_server, "citizen01", PHONE)
    mine.goto(f"{live_server}/#/case/{case['id']}")
    mine.locator(".follow-code summary").click()
    code = mine.locator("[data-testid=follow-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{6}", code)
    mine.context.close()
    second = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = second.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    page.get_by_role("link", name="我的", exact=True).click()  # the person icon of an anonymous user
    expect(page.locator("h1")).to_have_text("我的")
    page.fill("#follow-tracking", case["tracking_no"])
    page.fill("#follow-code", "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY")
    page.get_by_role("button", name="关注", exact=True).click()
    expect(page.locator(".toast-error")).to_have_text("案件编号或关注码不正确")
    shot(page, "citizen-22-me-follow-wrong-code")
    page.fill("#follow-code", code.lower())
    page.get_by_role("button", name="关注", exact=True).click()
    expect(page.locator(".following")).to_have_text("您在另一部手机上的上报")
    expect(page.locator(".case-page .desc")).to_have_text("井盖缺失，路人容易踩空")
    assert "follow_code" not in page.evaluate("() => location.href") and code not in page.evaluate("() => location.href")
    second.close()
    assert errors == []


def test_upload_progress_heic_placeholder_then_server_thumbnail_no_stale_toast_submit_in_view(phone: Any, live_server: str,
                                                                           tmp_path: Any) -> None:
    page = phone.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    expect(page.locator(".loc-line")).to_contain_text("精度约 12 米")
    submit = page.get_by_role("button", name="提交")
    box = submit.bounding_box()
    tabbar = page.locator("#nav").bounding_box()
    assert box and tabbar and box["y"] + box["height"] <= tabbar["y"], (box, tabbar)  # reachable without scrolling
    submit.click()
    expect(page.locator(".toast-error")).to_have_text("请至少拍一张照片")
    toast = page.locator("#toasts").bounding_box()
    assert toast and toast["y"] + toast["height"] < box["y"]  # not over the submit button

    heic = tmp_path / "IMG_0001.HEIC"  # a real HEIC (Chromium cannot decode it; the server can)
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    Image.new("RGB", (320, 240), (200, 60, 60)).save(heic, "HEIF", quality=60)
    page.set_input_files("#photo-gallery", str(heic))
    expect(page.locator(".shot .shot-placeholder")).to_contain_text("HEIC")
    expect(page.locator(".toast")).to_have_count(0)  # the stale "take a photo" advice went with the photo
    assert page.locator(".shot img").count() == 0  # a placeholder, never a broken image
    shot(page, "citizen-23-heic-placeholder")

    page.set_input_files("#photo-gallery", str(GEOTAGGED_JPEG))
    expect(page.locator(".shot img")).to_have_count(1)
    expect(page.locator(".shot .shot-placeholder")).to_have_count(1)
    page.evaluate("""() => {
        window.__progress = [];
        const bar = document.getElementById('upload-progress');
        new MutationObserver(() => window.__progress.push(Number(bar.value))).observe(bar, { attributes: true });
    }""")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
    expect(page.locator("[data-testid=follow-code]")).to_have_text(re.compile(r"^[A-Z2-7]{6}$"))
    # Uploaded: the server's thumbnails stand in for the form's pictures, the HEIC one included.
    expect(page.locator(".done-shots img")).to_have_count(2)
    page.wait_for_function("() => [...document.querySelectorAll('.done-shots img')].every((i) => i.naturalWidth > 0)")
    progress = page.evaluate("() => window.__progress")
    assert progress and progress[-1] == 100 and progress == sorted(progress), progress
    shot(page, "citizen-24-sent-with-follow-code")
    assert phone.errors == []


def test_an_upload_cancelled_keeps_the_form_and_its_retry_reuses_the_key(phone: Any, live_server: str) -> None:
    page = phone.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    expect(page.locator(".loc-line")).to_contain_text("精度约 12 米")
    keys: list[str] = []
    # This browser context is shared with the module's other tests: their outbox entries would be sent first.
    page.evaluate("async () => (await (await import('/js/store.js')).db()).clear('outbox')")

    def hold_the_first(route: Any) -> None:  # the first upload hangs (a slow network) until the person cancels it
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) > 1:
            route.continue_()

    page.route("**/api/v1/reports", hold_the_first)
    phone_at = f"lat={LOUDI['latitude']:.6f}"

    def photo_place(response: Any) -> bool:  # the address lookup of the photo's position, not of the phone's
        return "/api/v1/places/reverse" in response.url and phone_at not in response.url

    with page.expect_response(photo_place) as looked_up:
        page.set_input_files("#photo-gallery", str(GEOTAGGED_JPEG))
    expect(page.locator(".shot img")).to_have_count(1)
    # The photo's position has replaced the phone's and its own address is filled in, as the person sees: the retry
    # below sends the same report (one changed in between is a different report, with a key of its own). Both
    # addresses name a 街道, so the test waits for the photo's exact address, not any.
    expect(page.locator(".loc-line")).to_contain_text("照片拍摄位置")
    expect(page.locator("#report-address")).to_have_value(looked_up.value.json()["text"])
    page.locator(".chip[data-menu=manhole]").click()
    page.fill("#report-desc", "井盖松动，车过会响（取消后重新上传）")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("button", name="取消上传")).to_be_visible()
    shot(page, "citizen-26-uploading-with-cancel")
    page.get_by_role("button", name="取消上传").click()
    expect(page.locator(".upload-cancelled")).to_contain_text("已取消上传")
    expect(page.locator(".upload-progress")).to_be_hidden()
    # Everything entered is still there, and the outbox holds nothing to be sent behind the person's back.
    expect(page.locator(".shot img")).to_have_count(1)
    expect(page.locator("#report-desc")).to_have_value("井盖松动，车过会响（取消后重新上传）")
    expect(page.locator(".chip[data-menu=manhole]")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('suishoupai');
        open.onsuccess = () => {
            const all = open.result.transaction('outbox').objectStore('outbox').count();
            all.onsuccess = () => resolve(all.result);
        };
    })""") == 0
    shot(page, "citizen-27-upload-cancelled")

    page.get_by_role("button", name="重新上传").click()
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
    assert len(keys) == 2 and keys[0] == keys[1]  # the same report under the same key: never a second case
    assert phone.errors == []


def test_english_is_complete_and_axe_finds_nothing_serious_on_citizen_screens(browser: Any, live_server: str) -> None:
    case = checked_case(live_server)
    fresh = Api.login(live_server, "citizen02").report(LOUDI["longitude"], LOUDI["latitude"], "路灯不亮")  # not public
    for name, viewport in (("phone", PHONE), ("desk", DESK)):
        page = open_as(browser, live_server, None, viewport, geo=(LOUDI["longitude"], LOUDI["latitude"]))
        page.evaluate("() => localStorage.setItem('ssp.lang', 'en')")
        page.reload()
        expect(page.get_by_role("button", name="Report without an account")).to_be_visible()
        page.fill("input[name=username]", "citizen01")
        page.fill("input[name=password]", "ssp-demo-2026")
        leaks = {"login": english_leaks(page)}
        found = {"login": axe_serious(page)}
        page.locator("form button[type=submit]").first.click()
        expect(page.locator(".loc-line")).to_contain_text("±")
        page.locator(".chip[data-menu=manhole]").click()
        expect(page.locator(".nearby-item")).to_have_count(1)
        screens = [("report", "#/report"), ("map", "#/map"), ("mine", "#/mine"), ("me", "#/me"),
                   ("notify", "#/notify"), ("case", f"#/case/{case['id']}")]
        for screen, hash_ in screens:
            if hash_ != "#/report":
                page.goto(f"{live_server}/{hash_}")
                page.wait_for_selector("main h1, main h2")
                page.wait_for_load_state("networkidle")
            if screen == "map":  # the public map: citizen words, as anonymous as the public API (no words, no codes)
                pin = page.locator(f"#public-map .public-pin[data-tracking={case['tracking_no']}]")
                expect(pin).to_have_attribute("aria-label", re.compile(r"^Manhole cover, In progress, "))
                row = page.locator(f".public-case[data-tracking={case['tracking_no']}]")
                expect(row).to_contain_text("In progress")
                assert "C0101" not in row.inner_text() and "井盖缺失" not in page.locator("main").inner_text()
                expect(page.locator(f"[data-tracking={fresh['tracking_no']}]")).to_have_count(0)
            leaks[screen] = english_leaks(page)
            found[screen] = axe_serious(page)
            shot(page, f"citizen-25-{screen}-english-{name}")
        expect(page.locator(".case-page .badge.state")).to_have_text("In progress")
        expect(page.locator(".case-page .category")).to_have_text("Manhole cover")
        page.context.close()
        assert {k: v for k, v in leaks.items() if v} == {}, name
        assert {k: v for k, v in found.items() if v} == {}, name
