"""Maps people can find their way on (issue 16), in a real Chromium at phone and desk sizes: the demo base map with
names, place search by Chinese, pinyin and initials, reporting with no map interaction at all, the location choice
when positions disagree, the out-of-area flow, and field navigation."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, LOUDI, PHONE, ROOT, Api, page_session, shot
from tests.browser.desk_fixtures import open_as, plain_jpeg

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


def test_gcj02_conversion_matches_the_published_reference_and_round_trips(phone: Any, live_server: str) -> None:
    """高德 tiles and links use GCJ-02; stored points stay WGS-84 (the conversion is checked against a reference pair
    published with the algorithm: Tiananmen, WGS-84 39.915 N 116.404 E)."""
    page = phone.new_page()
    page.goto(f"{live_server}/")
    got = page.evaluate("""async () => {
        const { wgsToGcj, gcjToWgs } = await import('/js/maps/coords.js');
        const g = wgsToGcj(39.915, 116.404);
        const back = gcjToWgs(g.lat, g.lng);
        const loudi = wgsToGcj(27.7321, 112.0013);
        return { g, back, loudi, abroad: wgsToGcj(48.8566, 2.3522) };
    }""")
    assert abs(got["g"]["lat"] - 39.91640428) < 1e-7 and abs(got["g"]["lng"] - 116.41024449) < 1e-7
    assert abs(got["back"]["lat"] - 39.915) < 1e-8 and abs(got["back"]["lng"] - 116.404) < 1e-8
    assert -0.004 < got["loudi"]["lat"] - 27.7321 < -0.002 and 0.004 < got["loudi"]["lng"] - 112.0013 < 0.007
    assert got["abroad"] == {"lat": 48.8566, "lng": 2.3522}  # outside China GCJ-02 is WGS-84


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
    page.set_input_files("#photo-gallery", str(plain_jpeg(tmp_path)))
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
    case = Api(live_server, page_session(page)["token"]).get("cases", view="mine")["items"][0]
    marks = json.loads((ROOT / "backend/demo/data/loudi/landmarks.geojson").read_text("utf-8"))
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


def _verify_task(base: str, lng: float, lat: float, text: str) -> int:
    supervisor_id = Api.login(base, "supervisor01").get("me")["id"]
    case = Api.login(base, "citizen01").report(lng, lat, text)
    operator = Api.login(base, "operator01")
    operator.act(case["id"], "request_verify")
    if operator.get(f"cases/{case['id']}")["assigned_supervisor_id"] != supervisor_id:
        operator.act(case["id"], "assign_supervisor", supervisor_id=supervisor_id)
    return int(case["id"])


def test_supervisor_tasks_sorted_by_live_distance_and_the_task_map_navigates(device: Any, live_server: str) -> None:
    near = _verify_task(live_server, 111.9965, 27.7293, "路灯不亮")  # ~60 m from LOUDI
    far = _verify_task(live_server, 112.0013, 27.7321, "井盖破损")  # ~600 m away
    size = PHONE if device.size == "phone" else DESK
    page = open_as(device.browser, live_server, "supervisor01", size, geo=(LOUDI["longitude"], LOUDI["latitude"]))
    rows = page.locator(".tasks .list-item")
    expect(rows).to_have_count(2, timeout=10000)
    expect(rows.first).to_have_attribute("data-case-id", str(near))
    expect(page.locator("#tasks-map .pin-task-verify")).to_have_count(2)
    expect(rows.first.locator(".place-line")).to_contain_text("娄星区 乐坪街道")  # the stored place's name
    shot(page, f"maps-10-tasks-{device.size}")
    # The supervisor walks over to the other one: the list re-sorts by itself.
    page.context.set_geolocation({"latitude": 27.7320, "longitude": 112.0012, "accuracy": 8})
    expect(rows.first).to_have_attribute("data-case-id", str(far), timeout=10000)

    rows.first.click()
    panel = page.locator(".field-nav")
    expect(panel.locator(".nav-map.leaflet-container")).to_be_visible()
    expect(panel.locator(".nav-status")).to_contain_text("问题在我")
    expect(panel.locator(".loc-address")).to_contain_text("娄星区 乐坪街道")  # the place's name, from the gazetteer
    expect(panel.locator(".me-dot")).to_be_attached()
    expect(page.locator("form.task-verify")).to_be_visible()  # the task's own form is still there
    links = panel.locator(".nav-links a")
    expect(links).to_have_count(3)
    baidu = panel.locator("a[data-app=baidu]").get_attribute("href")
    geo = panel.locator("a[data-app=geo]").get_attribute("href")
    assert baidu.startswith("baidumap://map/direction?destination=latlng:27.732100,112.001300|") and "coord_type=wgs84" in baidu
    assert geo.startswith("geo:27.732100,112.001300?q=27.732100,112.001300(")
    shot(page, f"maps-11-task-navigation-{device.size}")
    # 导航 with AMap opens its URI with the point converted to GCJ-02 (a few hundred metres off in Loudi).
    page.route("https://uri.amap.com/**", lambda route: route.fulfill(status=200, body="amap", content_type="text/plain"))
    panel.get_by_role("link", name="高德地图").click()
    expect(page).to_have_url(re.compile(r"^https://uri\.amap\.com/navigation\?"))
    to = parse_qs(urlparse(page.url).query)["to"][0].split(",")
    dlng, dlat = float(to[0]) - 112.0013, float(to[1]) - 27.7321
    assert 0.004 < dlng < 0.007 and -0.004 < dlat < -0.002
    assert parse_qs(urlparse(page.url).query)["coordinate"] == ["gaode"]
    page.context.close()


def test_the_units_case_page_shows_distance_direction_and_navigation(device: Any, live_server: str) -> None:
    case_id = int(Api.login(live_server, "citizen01").report(112.0013, 27.7321, "水管漏水")["id"])
    operator, lead, dispatcher = (Api.login(live_server, u) for u in ("operator01", "shiftlead01", "dispatcher01"))
    unit_id = Api.login(live_server, "staff_ld_water").get("me")["unit_id"]
    for _ in range(5):
        state = operator.get(f"cases/{case_id}")["state"]
        if state == "new":
            operator.act(case_id, "accept_report")
        elif state == "pending_filing":
            lead.act(case_id, "file")
        elif state == "pending_dispatch":
            dispatcher.act(case_id, "dispatch", unit_id=unit_id)
        else:
            break
    size = PHONE if device.size == "phone" else DESK
    page = open_as(device.browser, live_server, "staff_ld_water", size, geo=(LOUDI["longitude"], LOUDI["latitude"]))
    page.goto(f"{live_server}/#/unit/case/{case_id}")
    status = page.locator(".case-page .nav-status")
    expect(status).to_contain_text("问题在我东北方向")  # the case lies ~600 m north-east of LOUDI
    assert 500 < int(status.get_attribute("data-distance")) < 700
    expect(page.locator(".case-page .nav-links a")).to_have_count(3)
    expect(page.locator(".case-info .place-text")).to_contain_text("娄星区 乐坪街道")
    expect(page.locator("#case-map .me-dot")).to_be_attached()
    # Staff layers: the components around the case by type, with a legend that opens from a button.
    legend = page.locator("#case-map .map-legend")
    legend.get_by_role("button", name="图例").click()
    expect(legend.locator(".legend-body")).to_contain_text("本案件（绿灯）")
    expect(legend.locator(".legend-body")).to_contain_text("井盖")
    assert legend.locator(".swatch.dot").count() >= 1
    page.locator(".case-page .nav-links").scroll_into_view_if_needed()
    shot(page, f"maps-12-unit-case-navigation-{device.size}")
    assert page.errors == []
    page.context.close()


def test_the_heatmap_after_midnight_beijing_time_counts_todays_cases(browser: Any, live_server: str) -> None:
    """At 00:30 in Beijing the UTC date is still yesterday: the default range must end on the city's today."""
    from datetime import datetime, timedelta, timezone

    Api.login(live_server, "citizen01").report(112.0013, 27.7321, "凌晨上报的井盖")
    beijing = timezone(timedelta(hours=8))
    today = datetime.now(beijing).date()
    just_after_midnight = datetime(today.year, today.month, today.day, 0, 30, tzinfo=beijing)
    ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    page = ctx.new_page()
    page.clock.set_fixed_time(just_after_midnight)
    page.goto(f"{live_server}/#/login")
    page.fill("input[name=username]", "dispatcher01")
    page.fill("input[name=password]", "ssp-demo-2026")
    with page.expect_response(lambda r: "/api/v1/stats/heatmap" in r.url, timeout=20000) as heat:
        page.locator("form button[type=submit]").first.click()
        page.wait_for_function("() => !location.hash.startsWith('#/login')")
        # The role's landing page first, so its late redirect cannot take the map page back to the queues.
        expect(page.get_by_role("heading", name="工作队列")).to_be_visible(timeout=20000)
        page.goto(f"{live_server}/#/centre/map")
    query = parse_qs(urlparse(heat.value.url).query)
    assert query["to"] == [today.isoformat()]
    assert heat.value.json()["total"] >= 1
    expect(page.locator(".map-status")).to_contain_text("热力图：1 件", timeout=15000)
    page.get_by_label("热力图").check()
    shot(page, "maps-13-heatmap-after-midnight-desk")
    ctx.close()


def test_the_unit_inbox_filters_by_name_not_by_code(device: Any, live_server: str) -> None:
    size = PHONE if device.size == "phone" else DESK
    page = open_as(device.browser, live_server, "staff_ld_water", size)
    page.goto(f"{live_server}/#/unit")
    area = page.locator(".desk-filters select[name=area]")
    category = page.locator(".desk-filters select[name=category]")
    expect(area).to_be_visible()
    expect(category).to_be_visible()
    labels = area.locator("option").all_inner_texts() + category.locator("option").all_inner_texts()
    assert "· 乐坪街道" in labels and "· · 和园社区" in labels and "娄星区（全部）" in labels
    assert not [x for x in labels if re.search(r"\d{6}|^[CE]\d{2}", x)]  # names only, no raw codes
    area.select_option(label="· 乐坪街道")
    category.select_option(label="公用设施（全部）")
    with page.expect_request(lambda r: "/api/v1/cases?" in r.url and "area=431302001" in r.url) as listed:
        page.get_by_role("button", name="筛选").click()
    assert parse_qs(urlparse(listed.value.url).query)["category"] == ["C01"]
    # A road by its pinyin, through the place search: the inbox filters on the place names stored with the cases.
    page.get_by_label(re.compile("按地名或编号查找案件")).fill("chunhui")
    road = page.locator(".place-result[data-kind=road]").first
    name = road.locator("strong").inner_text()
    with page.expect_request(lambda r: "/api/v1/cases?" in r.url and "q=" in r.url) as listed:
        road.click()
    assert parse_qs(urlparse(listed.value.url).query)["q"] == [name] and name.startswith("春晖")
    shot(page, f"maps-14-inbox-filters-by-name-{device.size}")
    page.context.close()


def test_the_place_name_is_stored_shown_and_found_by_name_or_number(browser: Any, live_server: str) -> None:
    """The place's name is written with the case; the reporter sees it on a phone, the centre finds the case by a
    street's initials and by its tracking number through the gazetteer's search box, and the city map has a legend."""
    case = Api.login(live_server, "citizen01").report(112.0013, 27.7321, "井盖松动")
    place = case["place_text"]
    assert place.startswith("娄星区 乐坪街道 ") and "近" in place

    citizen = open_as(browser, live_server, "citizen01", PHONE)
    citizen.goto(f"{live_server}/#/case/{case['id']}")
    expect(citizen.locator(".case-page .place-text")).to_have_text(place)
    shot(citizen, "maps-15-place-on-the-citizens-case-phone")
    citizen.context.close()

    page = open_as(browser, live_server, "operator01", DESK)
    page.goto(f"{live_server}/#/centre")
    finder = page.get_by_label(re.compile("按地名或编号查找案件"))
    finder.fill("lpjd")  # 乐坪街道 by its initials
    page.locator(".place-result[data-kind=street]", has_text="乐坪街道").click()
    expect(page.locator(".finder-head")).to_contain_text("“乐坪街道”的案件")
    card = page.locator(f".desk-card[data-tracking={case['tracking_no']}]")
    expect(card.locator(".place-line")).to_have_text(place)
    shot(page, "maps-16-centre-finds-cases-by-street-initials-desk")
    finder.fill(case["tracking_no"])
    hit = page.locator(".place-result[data-kind=case]")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text(place)
    page.set_viewport_size(PHONE)
    shot(page, "maps-17-tracking-number-in-the-place-search-phone")
    hit.click()
    expect(page.locator(".desk-list .desk-card")).to_have_count(1)
    expect(page.locator(".finder-head .queue-count")).to_have_text("1")
    page.get_by_role("button", name="清除查找").click()
    expect(page.locator(".finder-head")).to_be_hidden()

    page.set_viewport_size(DESK)
    page.goto(f"{live_server}/#/centre/map")
    legend = page.locator("#city-map .map-legend")
    legend.get_by_role("button", name="图例").click()
    body = legend.locator(".legend-body")
    for text in ("绿灯", "黄灯", "红灯：已超时", "该处案件数", "责任网格", "热力图"):
        expect(body).to_contain_text(text)
    expect(body.locator(".swatch.cluster-red")).to_have_count(1)
    shot(page, "maps-18-centre-map-legend-desk")
    assert page.errors == []
    page.context.close()


def test_a_photo_taken_abroad_is_flagged_and_relocating_gets_out(phone: Any, live_server: str, tmp_path: Any) -> None:
    """The issue's own report: a photo whose EXIF GPS lies abroad moved the pin there with no warning and 重新定位
    kept the foreign position. Now both positions are shown, the notice says what to do, 重新定位 gets out, and the
    case is stored at the phone's position with its place's name."""
    from tests.photos.craft import gps_entries, jpeg, tiff, with_exif

    abroad = tmp_path / "paris.jpg"
    abroad.write_bytes(with_exif(jpeg(), tiff([], gps_entries(48.8566, "N", 2.3522, "E"))))
    page = phone.new_page()
    start_anonymous_report(page, live_server)
    expect(page.locator(".loc-line")).to_contain_text("精度约 12 米")
    page.set_input_files("#photo-gallery", str(abroad))
    expect(page.locator(".loc-line")).to_contain_text("照片拍摄位置")
    expect(page.locator(".loc-choice .loc-option")).to_have_count(2)
    notice = page.locator(".loc-notice")
    expect(notice).to_contain_text("不在本市服务范围内")
    expect(notice.get_by_role("button", name="按地名查找")).to_be_visible()
    shot(page, "maps-19-photo-taken-abroad-phone")
    relocate = page.get_by_role("button", name="重新定位")
    relocate.scroll_into_view_if_needed()
    box = relocate.bounding_box()
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == relocate.text_content()
    relocate.click()
    expect(page.locator(".loc-line")).to_contain_text("当前位置")
    expect(notice).to_be_hidden()
    page.locator(".chip[data-menu=manhole]").click()
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".tracking")).to_contain_text("SSP", timeout=15000)
    case = Api(live_server, page_session(page)["token"]).get("cases", view="mine")["items"][0]
    assert abs(case["lat"] - LOUDI["latitude"]) < 1e-4 and abs(case["lng"] - LOUDI["longitude"]) < 1e-4
    assert case["place_text"].startswith("娄星区 ") and "location_mismatch" in case["flags"]
