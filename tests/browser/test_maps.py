"""Maps people can find their way on (issue 16), in a real Chromium at phone and desk sizes: the demo base map with
names, place search by Chinese, pinyin and initials, reporting with no map interaction at all, the location choice
when positions disagree, the out-of-area flow, and field navigation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, LOUDI, PHONE, ROOT, shot

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


def plain_jpeg(tmp_path: Any) -> str:
    """A photo without any EXIF position (as most phones' browsers hand it over)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (800, 600), (120, 130, 125))
    ImageDraw.Draw(img).ellipse((250, 150, 550, 450), fill=(40, 40, 45))
    path = tmp_path / "no_gps.jpg"
    img.save(path, "JPEG", quality=85)
    return str(path)


def search_place(page: Any, q: str) -> Any:
    box = page.get_by_label("按地名查找位置（汉字、拼音或首字母）")
    box.fill(q)
    results = page.locator(".place-result")
    expect(results.first).to_be_visible()
    return results


@pytest.mark.parametrize("q", ["长青街道", "changqing", "cqjd"])
def test_place_search_by_chinese_pinyin_and_initials(phone: Any, live_server: str, q: str) -> None:
    page = phone.new_page()
    start_anonymous_report(page, live_server)
    results = search_place(page, q)
    expect(results.first).to_contain_text("长青街道")
    expect(results.first).to_contain_text("街道")
    shot(page, f"maps-02-search-{q}")


def test_reporting_with_no_map_interaction_at_all(browser: Any, live_server: str, tmp_path: Any) -> None:
    """No position from the phone (permission refused), a photo without GPS: the place is found by name only."""
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")  # no geolocation permission
    page = ctx.new_page()
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="不登录，直接随手拍").click()
    notice = page.locator(".loc-notice")
    expect(notice).to_contain_text("无法获取手机定位")
    expect(notice.get_by_role("button", name="按地名查找")).to_be_visible()
    shot(page, "maps-03-no-position")
    notice.get_by_role("button", name="按地名查找").click()
    expect(page.get_by_label("按地名查找位置（汉字、拼音或首字母）")).to_be_focused()
    page.set_input_files("#photo-gallery", plain_jpeg(tmp_path))
    expect(page.locator(".shot img")).to_have_count(1)
    page.keyboard.type("lpgy")  # 乐坪公园 by its initials
    result = page.locator(".place-result", has_text="乐坪公园")
    expect(result).to_be_visible()
    result.press("Enter")
    expect(page.locator(".loc-line")).to_contain_text("按地名选择")
    expect(page.locator(".loc-address")).to_contain_text("乐坪街道")
    expect(page.locator("#report-address")).to_have_value(re.compile("乐坪街道"))
    page.locator(".chip[data-menu=manhole]").click()
    shot(page, "maps-04-chosen-by-name")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
    shot(page, "maps-05-sent-without-map")
    from tests.browser.conftest import Api, page_session

    case = Api(live_server, page_session(page)["token"]).get("cases", view="mine")["items"][0]
    marks = __import__("json").loads((ROOT / "backend/demo/data/loudi/landmarks.geojson").read_text("utf-8"))
    lng, lat = next(f for f in marks["features"] if f["properties"]["name"] == "乐坪公园")["geometry"]["coordinates"]
    assert case["location_source"] == "manual"
    assert abs(case["lat"] - lat) < 1e-5 and abs(case["lng"] - lng) < 1e-5
    assert case["address"].startswith("娄星区 乐坪街道")
    ctx.close()


def test_disagreeing_positions_are_shown_together_to_choose_from(device: Any, live_server: str) -> None:
    page = device.new_page()
    start_anonymous_report(page, live_server)
    expect(page.locator(".loc-line")).to_contain_text("精度约 12 米")
    expect(page.locator("#report-map .accuracy-circle")).to_be_attached()
    page.set_input_files("#photo-gallery", str(GEOTAGGED_JPEG))  # taken ~600 m from where the phone is
    choice = page.locator(".loc-choice")
    expect(choice).to_be_visible()
    expect(choice.locator(".loc-option")).to_have_count(2)
    expect(page.locator(".loc-line")).to_contain_text("照片拍摄位置")
    phone_option = choice.locator(".loc-option[data-source=browser]")
    expect(phone_option).to_contain_text("相距")
    expect(phone_option).to_contain_text("娄星区")
    shot(page, f"maps-06-disagree-{device.size}")
    phone_option.get_by_role("button", name="用这个位置").click()
    expect(page.locator(".loc-line")).to_contain_text("当前位置")
    expect(phone_option.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    page.locator("#report-map").click(position={"x": 60, "y": 60})  # a third position, picked on the map
    expect(choice.locator(".loc-option")).to_have_count(3)
    expect(page.locator(".loc-line")).to_contain_text("地图选点")
    shot(page, f"maps-07-three-positions-{device.size}")
    assert device.errors == []


def test_outside_the_city_says_what_to_do_and_relocating_always_works(device: Any, live_server: str) -> None:
    device.set_geolocation({"latitude": 48.8566, "longitude": 2.3522, "accuracy": 20})  # Paris
    page = device.new_page()
    start_anonymous_report(page, live_server)
    notice = page.locator(".loc-notice")
    expect(notice).to_contain_text("不在本市服务范围内")
    expect(notice.get_by_role("button", name="在地图上点选")).to_be_visible()
    page.set_input_files("#photo-gallery", str(GEOTAGGED_JPEG))
    # The photo's position is in the city; the phone's is not: choose the phone's, submit, be refused inline.
    page.locator(".loc-option[data-source=browser]").get_by_role("button").click()
    expect(notice).to_contain_text("不在本市服务范围内")
    submit = page.get_by_role("button", name="提交")
    submit.click()
    expect(notice).to_contain_text("未能提交")
    shot(page, f"maps-08-refused-inline-{device.size}")
    # Nothing covers a control: the submit button and 重新定位 are what is under their own centres.
    for control in (submit, page.get_by_role("button", name="重新定位")):
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent",
                            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        assert hit == control.text_content()
    # 重新定位 asks the phone again, and gets out of the foreign position.
    device.set_geolocation(LOUDI)
    page.get_by_role("button", name="重新定位").click()
    expect(page.locator(".loc-line")).to_contain_text("精度约 12 米")
    expect(page.locator(".loc-line")).to_contain_text("27.72900")
    expect(notice).to_be_hidden()
    shot(page, f"maps-09-relocated-{device.size}")
    submit.click()
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
