"""The authorization matrix: every role × every action × their own or someone else's case.

The expectations are written out here from DOMAIN.md §1–2, independently of backend/cases/lifecycle.py, so a wrong
rule in the state machine fails this test instead of being copied into it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.flows import Flow

# Who tries: (username, what the case is to them). The case is citizen01's, in grid ZR01 (supervisor01's),
# dispatched to the water company.
ACTORS = [
    ("citizen01", "reporter"),
    ("citizen02", "other citizen"),
    ("supervisor01", "grid supervisor"),
    ("supervisor02", "other supervisor"),
    ("operator01", "operator"),
    ("shiftlead01", "shift lead"),
    ("dispatcher01", "dispatcher"),
    ("staff_ld_water", "own unit"),
    ("staff_ld_power", "other unit"),
    ("admin", "admin"),
]
# Who may not even see the case: they get 403 case.not_yours for every action. The water company sees it only
# once it has been dispatched to them.
BLIND = {"citizen02", "supervisor02", "staff_ld_power"}
BEFORE_DISPATCH = {"new", "verifying", "pending_filing", "pending_dispatch", "duplicate_candidate"}

# action: (state to start from, body, who may do it)
MATRIX: dict[str, tuple[str, dict[str, Any], set[str]]] = {
    "request_verify": ("new", {}, {"operator01", "shiftlead01"}),
    "assign_supervisor": ("verifying", {"supervisor": "supervisor01"}, {"operator01", "shiftlead01", "dispatcher01"}),
    "verify": ("verifying", {"result": "confirmed", "photo": "verify"}, {"supervisor01"}),
    "accept_report": ("new", {}, {"operator01", "shiftlead01"}),
    "reclassify": ("new", {"category_code": "C0103"}, {"operator01", "shiftlead01", "dispatcher01"}),
    "file": ("pending_filing", {}, {"shiftlead01"}),
    "void": ("new", {"reason": "不属于城管范围"}, {"operator01", "shiftlead01"}),
    "link_duplicate": ("new", {"original": True}, {"operator01", "shiftlead01"}),
    "dismiss_duplicate": ("duplicate_candidate", {}, {"operator01", "shiftlead01"}),
    "dispatch": ("pending_dispatch", {"unit": "water"}, {"dispatcher01"}),
    "accept": ("dispatched", {}, {"staff_ld_water"}),
    "request_return": ("handling", {"reason": "非本单位"}, {"staff_ld_water"}),
    "approve_return": ("return_requested", {}, {"dispatcher01"}),
    "reject_return": ("return_requested", {"reason": "请处置"}, {"dispatcher01"}),
    "request_extension": ("handling", {"reason": "等配件", "extension_hours": 4}, {"staff_ld_water"}),
    "approve_extension": ("extension_requested", {}, {"dispatcher01"}),
    "reject_extension": ("extension_requested", {"reason": "不同意"}, {"dispatcher01"}),
    "request_suspension": ("handling", {"reason": "需工程处理"}, {"staff_ld_water"}),
    "approve_suspension": ("suspension_requested", {}, {"dispatcher01"}),
    "reject_suspension": ("suspension_requested", {"reason": "不同意"}, {"dispatcher01"}),
    "resume": ("suspended", {}, {"dispatcher01"}),
    "report_back": ("handling", {"note": "已处理", "photo": "after"}, {"staff_ld_water"}),
    "check": ("checking", {"result": "pass", "photo": "check"}, {"supervisor01"}),
    "close": ("pending_close", {}, {"shiftlead01"}),
    "rate": ("closed", {"satisfied": True}, {"citizen01"}),
    "reopen": ("closed", {"reason": "又坏了"}, {"citizen01"}),
}


def _body(f: Flow, username: str, spec: dict[str, Any], original: int | None) -> dict[str, Any]:
    body = dict(spec)
    if "supervisor" in body:
        body["supervisor_id"] = f.me(body.pop("supervisor"))["id"]
    if body.pop("original", False):
        body["original_case_id"] = original
    return f.body(username, body)


def test_every_role_every_action_own_and_other_case(client):
    f = Flow(client)
    original = f.case_in("pending_dispatch")["id"]
    outcomes: list[tuple[str, str, int, str]] = []
    for action, (state, spec, allowed) in MATRIX.items():
        case = f.case_in(state)
        case_id, version = case["id"], case["version"]
        # Refusals first: they must leave the case as it was, so the allowed actors can then act on it.
        for username, _label in ACTORS:
            if username in allowed:
                continue
            r = client.post(f"/api/v1/cases/{case_id}/actions/{action}", json=_body(f, username, spec, original)
                            if "photo" not in spec else {k: v for k, v in spec.items() if k != "photo"},
                            headers=f.h(username))
            code = r.json()["error"]["code"] if r.status_code >= 400 else ""
            outcomes.append((action, username, r.status_code, code))
        assert f.get(case_id)["version"] == version, f"a refused {action} changed the case"
        for i, username in enumerate(sorted(allowed)):
            target = case_id if i == 0 else f.case_in(state)["id"]
            r = client.post(f"/api/v1/cases/{target}/actions/{action}", json=_body(f, username, spec, original),
                            headers=f.h(username))
            outcomes.append((action, username, r.status_code, ""))
    wrong = []
    for action, username, status, code in outcomes:
        allowed = MATRIX[action][2]
        if username in allowed:
            expected = (200, "")
        elif username in BLIND or (username == "staff_ld_water" and MATRIX[action][0] in BEFORE_DISPATCH):
            expected = (403, "case.not_yours")
        else:
            expected = (403, "case.action_forbidden")
        if (status, code) != expected:
            wrong.append((action, username, status, code, expected))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("username", ["citizen02", "supervisor02", "staff_ld_power"])
def test_others_cannot_read_the_case(client, username):
    f = Flow(client)
    case = f.case_in("handling")
    for path in (f"/api/v1/cases/{case['id']}", f"/api/v1/cases/{case['id']}/actions"):
        r = client.get(path, headers=f.h(username))
        assert r.status_code == 403 and r.json()["error"]["code"] == "case.not_yours"
    photo = case["photos"][0]["id"] if case["photos"] else None
    if photo:
        assert client.get(f"/api/v1/photos/{photo}/display", headers=f.h(username)).status_code == 403


def test_actions_endpoint_lists_exactly_what_the_caller_may_do(client):
    f = Flow(client)
    case = f.case_in("handling")
    got = {u: sorted(a["action"] for a in client.get(f"/api/v1/cases/{case['id']}/actions",
                                                         headers=f.h(u)).json())
           for u in ("staff_ld_water", "dispatcher01", "citizen01", "operator01")}
    assert got["staff_ld_water"] == ["report_back", "request_extension", "request_return", "request_suspension"]
    assert got["dispatcher01"] == []
    assert got["citizen01"] == []
    assert got["operator01"] == []
