"""Routing through the API: component owner, street office, admin-edited rules, unrouted cases, auto-dispatch."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from backend.app import create_app
from backend.triage.jobs import triage_case
from tests.helpers import act, get_case, login, point_in
from tests.triage.triage_helpers import component, ctx, entries, offset, run, submit


def _units(client: Any, headers: dict[str, str]) -> dict[str, int]:
    r = client.get("/api/v1/org/units", headers=headers)
    assert r.status_code == 200, r.text
    return {u["code"]: u["id"] for u in r.json()}


def test_component_next_to_a_surveyed_cover_goes_to_its_owner(client):
    sup, admin = login(client, "supervisor01"), login(client, "admin")
    cover = component("C0105")  # 电力井盖, owned by the power company
    lng, lat = offset(*cover["geometry"]["coordinates"], east_m=6)
    case = submit(client, sup, lng, lat, category_code="C0105", description="电力井盖松动")
    assert case["suggested_unit"]["code"] == "ld_power"
    assert case["suggested_unit"]["id"] == _units(client, admin)["ld_power"]
    assert case["routing_rule"].endswith("部件→权属单位")
    assert case["component_id"] is not None
    assert case["category_code"] == "C0105" and case["time_limit"]
    data = entries(case, "triage")[0]["data"]
    assert data["component"]["code"] == cover["properties"]["id"] and data["component"]["distance_m"] < 8
    assert data["rule"] == case["routing_rule"] and data["duplicate"] is None
    assert "unrouted" not in case["flags"]


def test_cover_far_from_any_survey_falls_to_the_unit_listed_for_the_category(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR03")
    case = submit(client, sup, lng, lat, category_code="C0101", description="上水井盖破损")
    # No surveyed cover within snapping distance of this point, so the category's unit list decides.
    assert case["component_id"] is None and entries(case, "triage")[0]["data"]["component"] is None
    assert case["suggested_unit"]["code"] == "ld_water"
    assert case["routing_rule"].endswith("部件→小类责任单位")


def test_event_goes_to_the_street_office_of_its_street(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR07")
    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建一间棚子")
    assert case["street"] and case["suggested_unit"]["code"] == f"jd_{case['street']}"
    assert case["routing_rule"]
    assert case["component_id"] is None


def test_an_admin_edited_rule_changes_routing(client):
    sup, admin, citizen = login(client, "supervisor01"), login(client, "admin"), login(client, "citizen01")
    enforcement = _units(client, admin)["ld_enforcement"]
    body = {"name": "私搭乱建→执法支队", "priority": 1, "kind": "event", "category_prefix": "E0101", "target": "unit",
            "unit_id": enforcement}
    assert client.post("/api/v1/org/routing-rules", json=body, headers=citizen).status_code == 403
    r = client.post("/api/v1/org/routing-rules", json=body, headers=admin)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["label"] == f"R{rule['id']} 私搭乱建→执法支队"
    lng, lat = point_in("ZR07")
    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建")
    assert case["suggested_unit"]["code"] == "ld_enforcement"
    assert case["routing_rule"] == rule["label"]
    # Narrowed to another district: the rule no longer fires here, the street office is back.
    r = client.put(f"/api/v1/org/routing-rules/{rule['id']}", json={**body, "area_prefix": "999999"}, headers=admin)
    assert r.status_code == 200, r.text
    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建")
    assert case["suggested_unit"]["code"].startswith("jd_")
    # Both changes are in the security audit log, with who made them.
    changes = client.get("/api/v1/admin/audit", params={"action": "rules.changed"}, headers=admin).json()
    assert [(e["details"]["change"], e["target"], e["actor_name"]) for e in changes] == [
        ("updated", f"rule:{rule['id']}", "admin"), ("created", f"rule:{rule['id']}", "admin")]


def test_rule_input_is_validated(client):
    admin = login(client, "admin")
    bad = [
        ({"name": "x", "target": "owner", "kind": "event"}, "routing.target_needs_component"),
        ({"name": "x", "target": "unit", "category_prefix": "Z9"}, "routing.unknown_category_prefix"),
        ({"name": "x", "target": "street_office", "unit_id": 1}, "routing.unit_not_allowed"),
    ]
    for body, code in bad:
        r = client.post("/api/v1/org/routing-rules", json=body, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    r = client.post("/api/v1/org/routing-rules", json={"name": "x", "target": "unit", "bogus": 1}, headers=admin)
    assert r.status_code == 400
    assert client.delete("/api/v1/org/routing-rules/99999", headers=admin).status_code == 404


def test_no_rule_leaves_the_case_unrouted_in_the_dispatch_queue(client):
    sup, admin = login(client, "supervisor01"), login(client, "admin")
    lead, dispatcher = login(client, "shiftlead01"), login(client, "dispatcher01")
    for rule in client.get("/api/v1/org/routing-rules", headers=admin).json():
        assert client.delete(f"/api/v1/org/routing-rules/{rule['id']}", headers=admin).status_code == 204
    lng, lat = offset(*component("C0105")["geometry"]["coordinates"], east_m=4)
    case = submit(client, sup, lng, lat, category_code="C0105", description="电力井盖松动")
    assert "unrouted" in case["flags"] and case["suggested_unit"] is None and case["routing_rule"] == ""
    act(client, lead, case["id"], "file")
    queue = client.get("/api/v1/cases", params={"view": "dispatch"}, headers=dispatcher).json()["items"]
    mine = [c for c in queue if c["id"] == case["id"]]
    assert mine and "unrouted" in mine[0]["flags"]


def test_auto_dispatch_sends_a_sure_supervisor_report_to_the_unit_inbox(settings):
    with TestClient(create_app(settings.with_(auto_dispatch=True))) as client:
        sup, staff, citizen = login(client, "supervisor01"), login(client, "staff_ld_power"), login(client, "citizen01")
        lng, lat = offset(*component("C0105", 1)["geometry"]["coordinates"], north_m=5)
        case = submit(client, sup, lng, lat, category_code="C0105", description="电力井盖松动")
        assert case["state"] == "dispatched" and case["unit"]["code"] == "ld_power"
        assert [t["actor_role"] for t in entries(case, "file") + entries(case, "dispatch")] == ["system", "system"]
        assert case["due_at"] is not None
        inbox = client.get("/api/v1/cases", params={"view": "inbox"}, headers=staff).json()["items"]
        assert case["id"] in [c["id"] for c in inbox]
        # A citizen's report is never sent on its own: it waits for intake.
        mine = submit(client, citizen, lng + 0.01, lat, description="电力井盖松动")
        assert mine["state"] == "new" and not entries(mine, "dispatch")


def test_running_the_triage_job_again_does_not_triage_twice(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR02")
    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建")
    run(client, triage_case, ctx(client), {"case_id": case["id"]})
    again = get_case(client, sup, case["id"])
    assert len(entries(again, "triage")) == 1 and again["version"] == case["version"]
