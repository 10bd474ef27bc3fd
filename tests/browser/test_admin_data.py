"""数据导入导出 and the bulk user import in a real Chromium: a units file with bad rows is checked and refused with its
lines and reasons (nothing imported), a good one imported and listed in the history, a dataset downloaded; users
imported from a CSV with their initial passwords shown once. Screenshots at 1440×900 and 390×844."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.desk_fixtures import DESK, PHONE, desk_shot, open_as

pytestmark = pytest.mark.browser

HEADER = "code,name,kind,contact,phone,categories,areas,active\n"


def test_data_import_export_and_bulk_users(browser: Any, live_server: str, tmp_path: Path) -> None:
    page = open_as(browser, live_server, "admin", viewport=DESK)
    page.goto(f"{live_server}/#/admin/data")
    expect(page.locator(".centre-nav-link[aria-current=page]")).to_have_text("数据导入导出")
    expect(page.locator(".data-exports tr[data-dataset]")).to_have_count(8)
    expect(page.locator(".data-exports tr[data-dataset=unit_grids] td").nth(1)).to_have_text("5476")

    bad = tmp_path / "units.csv"
    bad.write_text(HEADER + "t_ok,新单位,water,,,C0101,431302,true\nt_ok,重复,water,,,C0101,431302,true\n"
                   "t_bad,坏类别,water,,,X9999,431302,true\n", encoding="utf-8")
    page.select_option("select[name=dataset]", "units")
    page.set_input_files("input[name=file]", str(bad))
    page.locator("[data-action=check]").click()
    problems = page.locator(".data-result tr.problem")
    expect(problems).to_have_count(2)
    expect(page.locator(".data-result .admin-error")).to_contain_text("有 2 处错误，未导入任何数据")
    expect(page.locator(".data-result .admin-ok")).to_have_count(0)
    expect(problems.nth(0)).to_contain_text("第 3 行")
    expect(problems.nth(1)).to_contain_text("X9999")
    desk_shot(page, "admin-data-refused")

    good = tmp_path / "units-good.csv"
    good.write_text(HEADER + "t_ok,新单位,water,,,C0101,431302,true\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(good))
    page.locator("[data-action=import]").click()
    expect(page.locator(".data-result .admin-ok")).to_contain_text("已导入")
    expect(page.locator(".data-result tr[data-dataset=units] td").nth(2)).to_have_text("1")
    expect(page.locator(".data-history tr").nth(1)).to_contain_text("责任单位：新增 1，修改 0")
    with page.expect_download() as info:
        page.locator(".data-exports tr[data-dataset=units] [data-format=csv]").click()
    exported = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert exported.startswith(HEADER.strip()) and "t_ok,新单位,water" in exported
    desk_shot(page, "admin-data")

    users = tmp_path / "users.csv"
    users.write_text("username,display_name,role,unit,grids,phone\nt_op,新受理员,operator,,,\n"
                     "t_staff,新值班员,unit_staff,t_ok,,\n", encoding="utf-8")
    page.goto(f"{live_server}/#/admin/users")
    page.locator("[data-action=import-users]").click()
    page.set_input_files("input[name=users-file]", str(users))
    page.locator("[data-action=confirm-import]").click()
    expect(page.locator(".user-import .admin-ok")).to_contain_text("已创建 2 个用户")
    expect(page.locator(".user-import td.secret")).to_have_count(2)
    expect(page.locator("tr[data-username=t_staff]")).to_contain_text("待改密码")
    desk_shot(page, "admin-users-imported")
    assert not page.errors
    page.context.close()

    phone = open_as(browser, live_server, "admin", viewport=PHONE)
    phone.goto(f"{live_server}/#/admin/data")
    expect(phone.locator(".data-history tr")).to_have_count(2)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    desk_shot(phone, "admin-data")
    phone.goto(f"{live_server}/#/admin/users")
    phone.locator("[data-action=import-users]").click()
    expect(phone.locator(".user-import")).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    desk_shot(phone, "admin-users-import")
    phone.context.close()
