"""The routing simulator: where a report would go and why, rule by rule, for centre staff and admins only."""

from __future__ import annotations

from tests.helpers import login, point_in


def _simulate(client, headers, **body):
    return client.post("/api/v1/admin/routing/simulate", json=body, headers=headers)


def test_a_garbage_bin_report_goes_to_the_sanitation_centre_and_says_by_which_rule(client):
    admin = login(client, "admin")
    lng, lat = point_in("ZR03")
    r = _simulate(client, admin, category_code="C0305", lng=lng, lat=lat)
    assert r.status_code == 200, r.text
    body = r.json()
    fired = [t for t in body["trials"] if t["outcome"] == "fired"]
    assert len(fired) == 1 and body["rule"] == fired[0]["label"]
    assert body["unit"] == fired[0]["unit"] and body["unit"]["name"] == "娄底市环境卫生事务中心"
    assert body["alternatives"] == []  # 园林绿化 no longer lists garbage bins (C0305): no tie to break by code
    assert body["place"]["responsibility_grid"] == "ZR03"
    # Rules before the one that fired either did not fit or found no unit; those after it were never reached.
    at = body["trials"].index(fired[0])
    assert {t["outcome"] for t in body["trials"][:at]} <= {"no_match", "unresolved"}
    assert {t["outcome"] for t in body["trials"][at + 1:]} <= {"no_match", "not_reached"}
    assert all(t["text_zh"] and t["text_en"] for t in body["trials"])
    # An event rule never fits a component category: said so, with the reason.
    event_rules = [t for t in body["trials"] if t["kind"] == "event"]
    assert event_rules and all(t["outcome"] == "no_match" and t["detail"] == "kind" for t in event_rules)


def test_the_simulator_agrees_with_real_routing(client):
    sup = login(client, "supervisor01")
    admin = login(client, "admin")
    lng, lat = point_in("ZR07")
    simulated = _simulate(client, admin, category_code="E0101", lng=lng, lat=lat).json()
    from tests.triage.triage_helpers import submit

    case = submit(client, sup, lng, lat, category_code="E0101", description="私搭乱建一间棚子")
    assert case["routing_rule"] == simulated["rule"]
    assert case["suggested_unit"]["id"] == simulated["unit"]["id"]


def test_bad_input_and_who_may_use_it(client):
    admin = login(client, "admin")
    lng, lat = point_in("ZR03")
    r = _simulate(client, admin, category_code="ZZ9999", lng=lng, lat=lat)
    assert r.status_code in (400, 404, 422) and r.json()["error"]["code"].startswith(("category", "taxonomy"))
    r = _simulate(client, admin, category_code="C0305", lng=500, lat=lat)
    assert r.status_code == 400
    r = _simulate(client, admin, category_code="C0305", lng=lng, lat=lat, extra=1)
    assert r.status_code == 400
    citizen = login(client, "citizen01")
    r = _simulate(client, citizen, category_code="C0305", lng=lng, lat=lat)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.role_forbidden"


def test_rule_and_unit_changes_are_audited_with_before_and_after(client):
    admin = login(client, "admin")
    rules = client.get("/api/v1/org/routing-rules", headers=admin).json()
    rule = rules[0]
    body = {k: rule[k] for k in ("name", "target", "priority", "kind", "category_prefix", "area_prefix", "unit_id",
                                 "active", "note")}
    r = client.put(f"/api/v1/org/routing-rules/{rule['id']}", json={**body, "priority": rule["priority"] + 1},
                   headers=admin)
    assert r.status_code == 200, r.text
    entry = client.get("/api/v1/admin/audit", params={"target": f"rule:{rule['id']}"}, headers=admin).json()[0]
    assert entry["details"]["before"]["priority"] == rule["priority"]
    assert entry["details"]["after"]["priority"] == rule["priority"] + 1
    unit = client.get("/api/v1/org/units", headers=admin).json()[0]
    body = {k: unit[k] for k in ("code", "name", "kind", "contact", "phone", "categories", "areas", "active")}
    assert client.put(f"/api/v1/org/units/{unit['id']}", json={**body, "phone": "0738-1234567"},
                      headers=admin).status_code == 200
    entry = client.get("/api/v1/admin/audit", params={"target": f"unit:{unit['id']}"}, headers=admin).json()[0]
    assert entry["details"]["before"]["phone"] == unit["phone"] and entry["details"]["after"]["phone"] == "0738-1234567"
