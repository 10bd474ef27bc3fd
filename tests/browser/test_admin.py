"""The admin area in a real Chromium: admin lands there; the 2027 working calendar loaded from a CSV file through the
file input (春节 as holidays, 2027-02-20 as a 调休 working day) and a bad file refused with its lines; days entered by
clicking; the audit log filtered by action; a failed job retried (and one someone else retried first); an operator
sees no admin entry. Screenshots at 390×844 and 1440×900."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from backend.audit.service import ACTIONS
from tests.browser.conftest import ROOT, Api
from tests.browser.desk_fixtures import DESK, PHONE, desk_shot, open_as
from tests.conftest import base_settings

pytestmark = pytest.mark.browser

EXAMPLE_2027 = ROOT / "tests" / "org" / "data" / "calendar_2027_example.csv"
SPRING_FESTIVAL = [f"2027-02-{d:02d}" for d in range(6, 13)]


def _failed_job(tmp_path: Path, kind: str, payload: dict[str, Any], error: str) -> int:
    """Write a job that ran out of attempts straight into the live server's database (no API makes one)."""
    db = sqlite3.connect(base_settings(tmp_path / "data").sqlite_path)
    now = datetime.now(UTC)
    cur = db.execute(
        "INSERT INTO job (kind, payload, status, attempts, run_after, locked_until, claimed_by, last_error, created_at,"
        " finished_at) VALUES (?, ?, 'failed', 5, ?, NULL, '', ?, ?, ?)",
        (kind, json.dumps(payload), str(now), error, str(now - timedelta(hours=2)), str(now)))
    db.commit()
    db.close()
    return int(cur.lastrowid or 0)


def _day(page: Any, iso: str) -> Any:
    return page.locator(f".cal-day[data-date='{iso}']")


def _load_file(page: Any, path: Path) -> None:
    page.set_input_files("#cal-file", str(path))
    page.locator("dialog .btn-primary").click()


def test_admin_calendar_audit_and_failed_jobs(browser: Any, live_server: str, tmp_path: Path) -> None:
    photo_job = _failed_job(tmp_path, "photo", {"photo_id": 987654}, "OSError: object store unreachable")
    taken_job = _failed_job(tmp_path, "reroute", {"case_id": 424242}, "KeyError: 'unit_id'")

    page = open_as(browser, live_server, "admin")
    expect(page).to_have_url(re.compile(r"#/admin$"))
    expect(page.locator("#nav .tab[data-hash='#/admin']")).to_have_attribute("aria-current", "page")
    expect(page.locator(".centre-nav-link[aria-current=page]")).to_have_text("工作日历")

    # 2027: chinese_calendar has no data, so every day follows Monday–Friday and the screen says so.
    page.fill("#cal-year", "2027")
    page.locator("#cal-year").press("Enter")
    page.locator("#cal-year").dispatch_event("change")
    expect(page.locator("[data-warning=no-official]")).to_contain_text("2027 年没有官方日历数据")
    expect(_day(page, "2027-02-08")).to_have_attribute("data-kind", "work")
    expect(_day(page, "2027-02-08")).to_have_attribute("data-source", "weekday")
    desk_shot(page, "admin-calendar-2027-empty")

    # A bad file: nothing changes, every bad line is listed with its reason.
    bad = tmp_path / "bad.csv"
    bad.write_text("date,type,name\n2027-02-06,holiday,春节\n2027-13-01,holiday,坏日期\n2027-02-06,workday,重复\n"
                   "2026-12-31,holiday,去年\n2027-03-01,rest,未知类型\n", encoding="utf-8")
    _load_file(page, bad)
    errors = page.locator(".line-errors li")
    expect(errors).to_have_count(4)
    expect(page.locator(".admin-error")).to_contain_text("日历数据有误，未做任何修改")
    expect(errors.nth(0)).to_contain_text("第 3 行")
    expect(errors.nth(0)).to_contain_text("2027-13-01")
    expect(errors.nth(1)).to_contain_text("第 4 行")
    expect(errors.nth(1)).to_contain_text("重复")
    expect(errors.nth(3)).to_contain_text("类型")
    expect(_day(page, "2027-02-06")).to_have_attribute("data-source", "weekday")
    desk_shot(page, "admin-calendar-bad-file")

    # The example schedule through the file input.
    _load_file(page, EXAMPLE_2027)
    expect(page.locator(".admin-ok")).to_contain_text("节假日 8 天，调休上班 2 天")
    expect(page.locator(".admin-ok")).to_have_attribute("data-moved", re.compile(r"^\d+$"))
    expect(page.locator("[data-warning=no-official]")).to_have_count(0)
    for iso in SPRING_FESTIVAL:
        expect(_day(page, iso)).to_have_attribute("data-kind", "holiday")
        expect(_day(page, iso)).to_have_attribute("data-source", "city")
    expect(_day(page, "2027-02-20")).to_have_attribute("data-kind", "swap")
    expect(page.locator("tr[data-date='2027-02-20']")).to_contain_text("调休上班")
    expect(page.locator("tr[data-date='2027-02-08']")).to_contain_text("春节")
    assert Api.login(live_server, "admin").get("admin/calendar/2027")["days"][50]["source"] == "city"  # 02-20
    desk_shot(page, "admin-calendar-2027-loaded")

    # Enter a day by clicking (keyboard: arrows move between days, Enter opens it): 2027-04-05 清明节 as a holiday.
    _day(page, "2027-04-04").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.locator("dialog input[type=radio][value=holiday]").check()
    page.locator("dialog input[name=name]").fill("清明节")
    page.locator("dialog .btn-primary").click()
    expect(_day(page, "2027-04-05")).to_have_class(re.compile("pending"))
    page.locator("[data-role=save]").click()
    expect(page.locator(".admin-ok")).to_contain_text("节假日 9 天")
    expect(_day(page, "2027-04-05")).to_have_attribute("data-kind", "holiday")
    expect(_day(page, "2027-02-20")).to_have_attribute("data-kind", "swap")  # the whole set was sent, not just the click

    # The audit log, filtered by action, shows both calendar changes.
    page.locator(".centre-nav-link", has_text="安全审计").click()
    expect(page.locator(".admin-table tbody tr").first).to_be_visible()
    page.select_option("select[name=action]", "calendar.changed")
    page.locator("form[role=search] button[type=submit]").click()
    rows = page.locator(".admin-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("修改工作日历")
    expect(rows.first).to_contain_text("calendar:2027")
    expect(rows.first).to_contain_text("admin")
    expect(rows.first).to_contain_text("成功")
    expect(rows.first.locator("td").first).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    expect(page).to_have_url(re.compile(r"action=calendar\.changed"))
    desk_shot(page, "admin-audit")
    options = page.locator("select[name=action] option").evaluate_all("(os) => os.map((o) => o.value).filter(Boolean)")
    assert sorted(options) == sorted(ACTIONS)  # the screen offers exactly the actions the server audits

    # Failed jobs: retry one; the other was retried by someone else first and the screen says so.
    page.locator(".centre-nav-link", has_text="失败任务").click()
    expect(page.locator(f"tr[data-job-id='{photo_job}']")).to_contain_text("OSError: object store unreachable")
    expect(page.locator(f"tr[data-job-id='{taken_job}']")).to_contain_text("reroute")
    desk_shot(page, "admin-jobs")
    page.locator(f"tr[data-job-id='{photo_job}'] [data-action=retry]").click()
    expect(page.locator(".toast-ok", has_text=f"任务 {photo_job} 已放回队列")).to_be_visible()
    expect(page.locator(f"tr[data-job-id='{photo_job}']")).to_have_count(0)
    other = httpx.post(f"{live_server}/api/v1/admin/jobs/{taken_job}/retry",
                       headers={"Authorization": f"Bearer {Api.login(live_server, 'admin').token}"})
    assert other.status_code == 200, other.text
    page.locator(f"tr[data-job-id='{taken_job}'] [data-action=retry]").click()
    expect(page.locator(".toast-error", has_text="只有失败的任务可以重新执行")).to_be_visible()
    expect(page.locator(f"tr[data-job-id='{taken_job}']")).to_have_count(0)
    retried = Api.login(live_server, "admin").get("admin/audit", action="jobs.retried")
    assert sorted(e["target"] for e in retried) == sorted([f"job:{photo_job}", f"job:{taken_job}"])

    # English: the server's errors and the screens' texts.
    page.locator(".lang-btn").click()
    page.goto(f"{live_server}/#/admin?year=2027")
    expect(page.locator("h1")).to_have_text("Working calendar")
    _load_file(page, bad)
    expect(page.locator(".admin-error")).to_contain_text("The calendar has errors; nothing was changed")
    expect(page.locator(".line-errors li").nth(0)).to_contain_text("Line 3")
    expect(page.locator(".line-errors li").nth(0)).to_contain_text("is not a valid YYYY-MM-DD date")
    assert not page.errors, page.errors
    page.context.close()


def test_admin_screens_on_a_phone(browser: Any, live_server: str, tmp_path: Path) -> None:
    _failed_job(tmp_path, "triage", {"case_id": 31337, "code_hint": ""}, "sqlite3.OperationalError: database is locked")
    Api.login(live_server, "admin")  # an audit entry or two to list
    page = open_as(browser, live_server, "admin", viewport=PHONE)
    expect(page).to_have_url(re.compile(r"#/admin$"))
    page.goto(f"{live_server}/#/admin?year=2026")
    expect(_day(page, "2026-02-17")).to_have_attribute("data-source", "official")  # 春节 2026 from chinese_calendar
    expect(_day(page, "2026-02-17")).to_have_attribute("data-kind", "holiday")
    expect(page.locator("[data-warning=no-official]")).to_have_count(0)
    desk_shot(page, "admin-calendar-2026")
    for href, name in (("#/admin/audit", "admin-audit"), ("#/admin/jobs", "admin-jobs")):
        page.goto(f"{live_server}/{href}")
        table = page.locator(".table-scroll")
        expect(table).to_be_visible()
        # The page itself does not scroll sideways; the table does, inside its box.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert table.evaluate("(el) => el.scrollWidth > el.clientWidth")
        desk_shot(page, name)
    assert not page.errors, page.errors
    page.context.close()


def test_an_operator_sees_no_admin_area(browser: Any, live_server: str) -> None:
    page = open_as(browser, live_server, "operator01", viewport=DESK)
    expect(page).to_have_url(re.compile(r"#/centre"))
    expect(page.locator(".desk-head h1")).to_be_visible()
    expect(page.locator("a[href='#/admin']")).to_have_count(0)
    page.goto(f"{live_server}/#/admin/jobs")
    expect(page.locator("main .error")).to_have_text("只有系统管理员可以使用此页面")
    page.context.close()


def test_admin_console_users_units_rules_and_the_routing_simulator(browser: Any, live_server: str) -> None:
    """Users: create one who must change the password, then deactivate them. Units listed with their 小类. Rules: the
    simulator says a garbage bin at a place found by name goes to 环境卫生事务中心, rule by rule; a new rule that
    names another unit for C0305 wins, and the simulator says so."""
    page = open_as(browser, live_server, "admin", viewport=DESK)
    page.locator(".centre-nav-link", has_text="用户").click()
    expect(page).to_have_url(re.compile(r"#/admin/users$"))
    expect(page.locator("tr[data-username=supervisor01]")).to_be_visible()
    page.locator("[data-action=new-user]").click()
    dialog = page.locator("dialog")
    dialog.locator("input[name=username]").fill("inspector07")
    dialog.locator("input[name=display_name]").fill("巡查员七号")
    dialog.locator("select[name=role]").select_option("supervisor")
    dialog.locator("input[name=password]").fill("Lantern-Quay-2041")
    dialog.locator(".btn-primary").click()
    row = page.locator("tr[data-username=inspector07]")
    expect(row).to_contain_text("待改密码")
    desk_shot(page, "admin-users")
    row.locator("[data-action=deactivate]").click()
    page.locator("dialog .btn-danger").click()
    expect(row).to_contain_text("停用")
    created = [u for u in Api.login(live_server, "admin").get("users") if u["username"] == "inspector07"]
    assert created and created[0]["active"] is False and created[0]["must_change_password"] is True

    page.locator(".centre-nav-link", has_text="责任单位").click()
    sanitation = page.locator("tr", has_text="娄底市环境卫生事务中心")
    expect(sanitation).to_contain_text("C0305")
    desk_shot(page, "admin-units")

    page.locator(".centre-nav-link", has_text="路由规则").click()
    expect(page.locator(".rule-results tr[data-rule-id]")).to_have_count(5)
    page.select_option("#sim-category", "C0305")
    page.fill("#sim-place", "乐坪街道")
    page.locator(".place-hits button").first.click()
    assert page.input_value("#sim-lng") and page.input_value("#sim-lat")
    page.locator("[data-action=simulate]").click()
    verdict = page.locator(".sim-verdict")
    expect(verdict).to_contain_text("娄底市环境卫生事务中心")
    expect(page.locator("tr.trial-fired")).to_have_count(1)
    expect(page.locator("tr.trial-no_match").first).to_contain_text("条件不符")
    desk_shot(page, "admin-routing-simulator")

    units = {u["code"]: u for u in Api.login(live_server, "admin").get("org/units")}
    parks = next(u for u in units.values() if u["kind"] == "parks")
    page.locator("[data-action=new-rule]").click()
    dialog = page.locator("dialog")
    dialog.locator("input[name=name]").fill("垃圾箱→园林（测试）")
    dialog.locator("input[name=priority]").fill("5")
    dialog.locator("select[name=kind]").select_option("component")
    dialog.locator("input[name=category_prefix]").fill("C0305")
    dialog.locator("select[name=target]").select_option("unit")
    dialog.locator("select[name=unit_id]").select_option(str(parks["id"]))
    dialog.locator(".btn-primary").click()
    expect(page.locator(".rule-results tr[data-rule-id]")).to_have_count(6)
    page.locator("[data-action=simulate]").click()
    expect(page.locator(".sim-verdict")).to_contain_text(parks["name"])
    expect(page.locator(".sim-verdict")).to_contain_text("垃圾箱→园林（测试）")
    history = Api.login(live_server, "admin").get("admin/audit", action="rules.changed")
    assert any(e["details"].get("change") == "created" for e in history)
    assert not page.errors, page.errors
    page.context.close()

    phone = open_as(browser, live_server, "admin", viewport=PHONE)
    for href, name in (("#/admin/users", "admin-users-phone"), ("#/admin/rules", "admin-rules-phone")):
        phone.goto(f"{live_server}/{href}")
        expect(phone.locator(".table-scroll").first).to_be_visible()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        desk_shot(phone, name)
    assert not phone.errors, phone.errors
    phone.context.close()


def test_admin_console_interop_keys_webhooks_and_replay(browser: Any, live_server: str) -> None:
    """An external system's key and a webhook's signing secret are shown once; a client can be disabled; a webhook
    replays from a sequence number; the failed-delivery list says when it is empty."""
    page = open_as(browser, live_server, "admin", viewport=DESK)
    page.goto(f"{live_server}/#/admin/interop")
    expect(page.locator(".centre-nav-link[aria-current=page]")).to_have_text("对接")
    page.locator("[data-action=new-client]").click()
    page.locator("dialog input[name=name]").fill("hotline12345")
    page.locator("dialog .btn-primary").click()
    secret = page.locator("[data-secret=once]")
    expect(secret).to_have_text(re.compile(r"^o311_"))
    key = secret.inner_text()
    assert key not in page.url
    row = page.locator("tr[data-name=hotline12345]")
    expect(row).to_be_visible()
    # The key works for Open311 until the client is disabled.
    assert httpx.get(f"{live_server}/open311/v2/services.json").status_code == 200
    row.locator("[data-action=disable]").click()
    expect(row.locator("[data-action=enable]")).to_be_visible()
    clients = Api.login(live_server, "admin").get("admin/api-clients")
    assert [c["active"] for c in clients if c["name"] == "hotline12345"] == [False]

    page.locator("[data-action=new-hook]").click()
    page.locator("dialog input[name=name]").fill("区数字城管平台")
    page.locator("dialog input[name=url]").fill("https://93.184.216.34/suishoupai-hook")
    page.locator("dialog input[name=kinds]").fill("case.created, case.updated")
    page.locator("dialog .btn-primary").click()
    expect(page.locator("[data-secret=once]")).to_have_text(re.compile(r".{20,}"))
    hook = page.locator("tr[data-name='区数字城管平台']")
    expect(hook).to_contain_text("case.created")
    hook.locator("[data-action=replay]").click()
    page.locator("dialog input[name=from_seq]").fill("1")
    page.locator("dialog .btn-primary").click()
    expect(page.locator(".toast").last).to_contain_text("已排队")
    expect(page.locator("#dead-title + p")).to_have_text("没有失败的投递")
    desk_shot(page, "admin-interop")
    audit = Api.login(live_server, "admin").get("admin/audit", action="interop.webhook_replayed")
    assert audit and audit[0]["details"]["from_seq"] == 1
    assert not page.errors, page.errors
    page.context.close()
