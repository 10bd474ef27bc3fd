"""A hazard the triage found keeps the case urgent when an operator changes its category (issue 18's safety net must
survive the centre's corrections)."""

from __future__ import annotations

from tests.helpers import act, get_case, login, report


def test_a_gas_leak_stays_urgent_after_an_operator_picks_a_non_urgent_category(client):
    citizen = login(client, "citizen01")
    case = report(client, citizen, description="天然气管道漏气了，整条街都是味道")
    operator = login(client, "operator01")
    seen = get_case(client, operator, case["id"])
    assert seen["urgent"] is True
    assert any(r["kind"] == "hazard" for r in seen["suggestions"][0]["reasons"])
    # 私搭乱建 has an urgent and a non-urgent standard; the operator picks the second: the category changes, the urgency does not.
    after = act(client, operator, case["id"], "reclassify", category_code="E0101", standard_index=1)
    assert after["category_code"] == "E0101" and after["urgent"] is True
    entry = [t for t in after["timeline"] if t["action"] == "reclassify"][-1]
    assert entry["data"]["kept_urgent"] == "hazard"


def test_without_a_hazard_the_operators_standard_decides(client):
    citizen = login(client, "citizen01")
    case = report(client, citizen, description="小区门口有人乱搭了一个棚子")
    operator = login(client, "operator01")
    after = act(client, operator, case["id"], "reclassify", category_code="E0101", standard_index=1)
    assert after["urgent"] is False
    assert "kept_urgent" not in [t for t in after["timeline"] if t["action"] == "reclassify"][-1]["data"]
