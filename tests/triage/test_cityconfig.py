"""The city's configuration over its files, from the admin API: runtime settings (checked, audited, used by another
process without a restart), categories switched off, time limits changed, a city 小类 added, a component moved."""

from __future__ import annotations

from typing import Any

from backend.org import runtime
from tests.helpers import login, point_in
from tests.triage.triage_helpers import component, offset, run, submit

SETTINGS = "/api/v1/admin/settings"
CATEGORIES = "/api/v1/admin/categories"


def _audit(client: Any, admin: dict[str, str], action: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/admin/audit", params={"action": action}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()["items"] if isinstance(r.json(), dict) else r.json()


def test_settings_are_checked_audited_and_used_without_a_restart(client):
    admin = login(client, "admin")
    listed = {s["key"]: s for s in client.get(SETTINGS, headers=admin).json()}
    assert listed["duplicate_radius_m"]["value"] == 50.0 and listed["duplicate_radius_m"]["changed"] is False
    for bad, code in (({"duplicate_radius_m": 5000}, "settings.bad_value"),
                      ({"reopen_days": 2.5}, "settings.bad_value"),
                      ({"auto_dispatch": 1}, "settings.bad_value"),
                      ({"secret_key": "x"}, "settings.unknown_key")):
        r = client.put(SETTINGS, json={"values": bad}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
        assert r.json()["error"]["message_zh"] and r.json()["error"]["message_en"]
    r = client.put(SETTINGS, json={"values": {"reopen_days": 3}}, headers=admin)
    assert r.status_code == 200, r.text
    assert {s["key"]: s for s in r.json()}["reopen_days"] | {"updated_at": None} == listed["reopen_days"] | {
        "value": 3, "changed": True, "updated_at": None}
    entry = _audit(client, admin, "settings.changed")[0]
    assert entry["details"] == {"before": {"reopen_days": 7}, "after": {"reopen_days": 3}}
    r = client.put(SETTINGS, json={"values": {"reopen_days": 1}}, headers=login(client, "citizen01"))
    assert r.status_code == 403

    # Another process writes the radius (straight into the table: this process is not told); the next triage job here
    # reads it: 20 m apart is no longer a likely duplicate.
    run(client, runtime.save, {"duplicate_radius_m": 10}, None)
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR04")
    submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    near = submit(client, sup, *offset(lng, lat, east_m=20), category_code="C0305", description="垃圾箱破损")
    assert near["likely_duplicate_of"] is None
    assert client.app.state.ctx.settings.duplicate_radius_m == 10.0


def test_a_disabled_category_leaves_the_menu_and_new_reports_but_old_cases_keep_it(client):
    admin, sup = login(client, "admin"), login(client, "supervisor01")
    lng, lat = point_in("ZR05")
    old = submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    r = client.patch(f"{CATEGORIES}/C0305", json={"enabled": False}, headers=admin)
    assert r.status_code == 200 and r.json()["enabled"] is False, r.text
    menu = client.get("/api/v1/meta/menu").json()
    assert all("C0305" not in m["codes"] for m in menu)
    listed = {c["code"]: c for c in client.get("/api/v1/meta/categories").json()["categories"]}
    assert listed["C0305"]["enabled"] is False and listed["C0101"]["enabled"] is True
    r = client.post("/api/v1/reports", json={"lng": lng, "lat": lat, "description": "垃圾箱坏了",
                                             "category_code": "C0305"}, headers=sup)
    assert r.status_code == 422 and r.json()["error"]["code"] == "taxonomy.disabled"
    case = client.get(f"/api/v1/cases/{old['id']}", headers=sup).json()
    assert case["category_code"] == "C0305"
    # A citizen's words that name it: the classifier no longer offers it.
    mine = submit(client, login(client, "citizen01"), *offset(lng, lat, east_m=400), description="垃圾箱破损了，箱体变形")
    citizen = client.get(f"/api/v1/cases/{mine['id']}", headers=login(client, "operator01")).json()
    assert citizen["suggestions"] and all(s["code"] != "C0305" for s in citizen["suggestions"])
    assert citizen["category_code"] != "C0305"
    entry = _audit(client, admin, "taxonomy.category_changed")[0]
    assert entry["target"] == "category:C0305"
    assert entry["details"]["before"]["enabled"] is True and entry["details"]["after"]["enabled"] is False


def test_changed_time_limits_apply_to_new_cases_and_are_shown_beside_the_standard(client):
    admin, sup = login(client, "admin"), login(client, "supervisor01")
    lng, lat = point_in("ZR06")
    before = submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    standard = next(c for c in client.get(CATEGORIES, headers=admin).json() if c["code"] == "C0305")
    n = len(standard["standards"])
    r = client.patch(f"{CATEGORIES}/C0305", json={"time_limits": ["3天"] * (n - 1)}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "taxonomy.bad_time_limits"
    r = client.patch(f"{CATEGORIES}/C0305", json={"time_limits": ["三个月"] + [""] * (n - 1)}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "taxonomy.bad_time_limit"
    r = client.patch(f"{CATEGORIES}/C0305", json={"time_limits": ["1紧急工作时"] * n}, headers=admin)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["limits_changed"] is True
    assert changed["standards"][0]["time_limit"] == "1紧急工作时"
    assert changed["standards"][0]["standard_limit"] == standard["standards"][0]["time_limit"]
    after = submit(client, sup, *offset(lng, lat, east_m=300), category_code="C0305", description="垃圾箱破损")
    assert after["time_limit"] == "1紧急工作时"
    assert client.get(f"/api/v1/cases/{before['id']}", headers=sup).json()["time_limit"] == before["time_limit"]
    entry = _audit(client, admin, "taxonomy.category_changed")[0]
    assert entry["details"]["before"]["time_limits"][0] == standard["standards"][0]["time_limit"]
    assert entry["details"]["after"]["time_limits"][0] == "1紧急工作时"


def test_a_city_category_is_numbered_after_its_major_and_can_be_reported(client):
    admin, sup = login(client, "admin"), login(client, "supervisor01")
    body = {"major_code": "C03", "name": "智能回收箱", "synonyms": ["回收箱"],
            "standards": [{"filing_condition": "箱体破损", "time_limit": "2天", "closing_condition": "修复"}]}
    r = client.post(CATEGORIES, json=body, headers=admin)
    assert r.status_code == 201, r.text
    added = r.json()
    c03 = [c["code"] for c in client.get(CATEGORIES, headers=admin).json() if c["major_code"] == "C03"]
    assert added["code"] == f"C03{max(int(c[-2:]) for c in c03 if c != added['code']) + 1:02d}"
    assert added["city_addition"] is True and added["kind"] == "component"
    r = client.post(CATEGORIES, json=body, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "taxonomy.name_taken"
    r = client.post(CATEGORIES, json={**body, "name": "x", "major_code": "C99"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "taxonomy.unknown_major"
    lng, lat = point_in("ZR07")
    case = submit(client, sup, lng, lat, category_code=added["code"], description="回收箱坏了")
    assert case["category_name"] == "智能回收箱" and case["time_limit"] == "2天"
    assert any(added["code"] in m["codes"] for m in client.get("/api/v1/meta/menu").json())
    assert _audit(client, admin, "taxonomy.category_added")[0]["target"] == f"category:{added['code']}"


def test_moving_a_component_changes_its_grid_snapping_and_is_audited(client):
    admin = login(client, "admin")
    c = component("C0305")
    code = c["properties"]["id"]
    lng = c["geometry"]["coordinates"][0]
    listed = client.get("/api/v1/admin/components", params={"category": "C03"}, headers=admin).json()
    assert listed["total"] >= 1 and all(i["category"].startswith("C03") for i in listed["items"])
    to = point_in("ZR02")
    r = client.put(f"/api/v1/admin/components/{code}/location", json={"lng": to[0], "lat": to[1]}, headers=admin)
    assert r.status_code == 200, r.text
    moved = r.json()
    assert (moved["lng"], moved["lat"]) == to and moved["moved_at"]
    in_grid = client.get("/api/v1/admin/components", params={"grid": "ZR02", "category": "C0305"}, headers=admin)
    assert code in [i["code"] for i in in_grid.json()["items"]]
    snap = client.app.state.ctx.triage.snap(to[0], to[1], "C0305")
    assert snap is not None and snap.code == code
    r = client.put(f"/api/v1/admin/components/{code}/location", json={"lng": 100.0, "lat": 20.0}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "component.outside_grids"
    entry = _audit(client, admin, "org.component_moved")[0]
    assert entry["details"]["before"]["lng"] == lng and entry["details"]["after"]["lng"] == to[0]
