"""Cases walk every path of the closed loop through the API (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from tests.cases.flows import Flow


def _states(case: dict) -> list[tuple[str, str]]:
    # Background entries (rerouting after a category change, deadline warnings) interleave by timing: left out.
    return [(t["action"], t["to_state"]) for t in case["timeline"] if t["action"] not in ("reroute", "escalate")]


def test_full_loop_verify_file_dispatch_handle_check_close_rate(client):
    f = Flow(client)
    case = f.report()
    assert case["state"] == "new" and case["tracking_no"].startswith("SSP")
    cid = case["id"]
    assert f.act("operator01", cid, "request_verify")["assigned_supervisor_id"] == f.me("supervisor01")["id"]
    # the supervisor of the grid sees the task
    tasks = client.get("/api/v1/cases?view=tasks", headers=f.h("supervisor01")).json()
    assert cid in [c["id"] for c in tasks["items"]]
    f.act("supervisor01", cid, "verify", result="confirmed", photo="verify")
    f.act("operator01", cid, "reclassify", category_code="C0101")
    filed = f.act("shiftlead01", cid, "file")
    assert filed["state"] == "pending_dispatch" and filed["filed_at"]
    dispatched = f.act("dispatcher01", cid, "dispatch", unit="water")
    assert dispatched["unit"]["id"] == f.units["water"]
    assert dispatched["due_at"] and dispatched["light"] == "green"
    inbox = client.get("/api/v1/cases?view=inbox", headers=f.h("staff_ld_water")).json()
    assert cid in [c["id"] for c in inbox["items"]]
    f.act("staff_ld_water", cid, "accept")
    back = f.act("staff_ld_water", cid, "report_back", note="已更换新井盖", photo="after")
    assert back["state"] == "checking"
    f.act("supervisor01", cid, "check", result="pass", photo="check")
    closed = f.act("shiftlead01", cid, "close")
    assert closed["state"] == "closed" and closed["closed_at"]
    rated = f.act("citizen01", cid, "rate", satisfied=True, comment="很快")
    assert rated["rating"] == 1
    full = f.get(cid)
    assert _states(full) == [
        ("report", "new"), ("triage", "new"), ("request_verify", "verifying"), ("verify", "pending_filing"),
        ("reclassify", "pending_filing"), ("file", "pending_dispatch"), ("dispatch", "dispatched"),
        ("accept", "handling"), ("report_back", "checking"), ("check", "pending_close"), ("close", "closed"),
        ("rate", "closed"),
    ]
    kinds = sorted(p["kind"] for p in full["photos"])
    assert kinds == ["after", "check", "verify"]
    # rating twice is refused with what is possible now
    r = client.post(f"/api/v1/cases/{cid}/actions/rate", json={"satisfied": False}, headers=f.h("citizen01"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "case.already_rated"


def test_return_then_redispatch_to_the_right_unit(client):
    f = Flow(client)
    cid = f.case_in("pending_dispatch")["id"]
    f.act("dispatcher01", cid, "dispatch", unit="power")
    f.act("staff_ld_power", cid, "request_return", reason="这是自来水井盖，不归供电公司")
    returned = f.act("dispatcher01", cid, "approve_return")
    assert returned["state"] == "pending_dispatch" and returned["unit"] is None and returned["return_count"] == 1
    # the unit that returned it no longer sees it
    r = client.get(f"/api/v1/cases/{cid}", headers=f.h("staff_ld_power"))
    assert r.status_code == 403
    again = f.act("dispatcher01", cid, "dispatch", unit="water")
    assert again["unit"]["id"] == f.units["water"]
    assert f.act("staff_ld_water", cid, "accept")["state"] == "handling"


def test_rejected_return_keeps_the_case_with_the_unit(client):
    f = Flow(client)
    cid = f.case_in("return_requested")["id"]
    case = f.act("dispatcher01", cid, "reject_return", reason="井盖权属为自来水公司，请处置")
    assert case["state"] == "handling" and case["unit"]["id"] == f.units["water"]


def test_extension_moves_the_deadline(client):
    f = Flow(client)
    case = f.case_in("extension_requested")
    before = datetime.fromisoformat(case["due_at"])
    granted = f.act("dispatcher01", case["id"], "approve_extension")
    assert granted["state"] == "handling"
    assert datetime.fromisoformat(granted["due_at"]) > before
    entry = granted["timeline"][-1]
    assert entry["action"] == "approve_extension" and entry["data"]["extension_hours"] == 8


def test_rejected_extension_keeps_the_deadline(client):
    f = Flow(client)
    case = f.case_in("extension_requested")
    kept = f.act("dispatcher01", case["id"], "reject_extension", reason="时限内可以完成")
    assert kept["state"] == "handling" and kept["due_at"] == case["due_at"]


def test_suspension_pauses_the_clock_and_resume_moves_the_deadline(client):
    f = Flow(client)
    case = f.case_in("suspended")
    first = f.get(case["id"])["time_left_seconds"]
    second = f.get(case["id"])["time_left_seconds"]
    assert first == second  # the clock stands still while suspended
    resumed = f.act("dispatcher01", case["id"], "resume")
    assert resumed["state"] == "handling"
    assert datetime.fromisoformat(resumed["due_at"]) >= datetime.fromisoformat(case["due_at"])


def test_failed_check_sends_rework_to_the_same_unit_then_closes(client):
    f = Flow(client)
    cid = f.case_in("checking")["id"]
    failed = f.act("supervisor01", cid, "check", result="fail", photo="check", note="井盖仍松动")
    assert failed["state"] == "dispatched" and failed["rework_count"] == 1
    assert failed["unit"]["id"] == f.units["water"]
    f.act("staff_ld_water", cid, "accept")
    f.act("staff_ld_water", cid, "report_back", note="重新加固", photo="after")
    f.act("supervisor01", cid, "check", result="pass", photo="check")
    assert f.act("shiftlead01", cid, "close")["state"] == "closed"


def test_citizen_reopens_within_the_allowed_days(client):
    f = Flow(client)
    cid = f.case_in("closed")["id"]
    f.act("citizen01", cid, "rate", satisfied=False, comment="还是坏的")
    reopened = f.act("citizen01", cid, "reopen", reason="井盖又松了")
    assert reopened["state"] == "pending_dispatch" and reopened["rating"] is None
    assert f.get(cid)["reopen_count"] == 1  # an evaluation counter: staff's view only
    # another citizen may not reopen someone else's case
    r = client.post(f"/api/v1/cases/{cid}/actions/reopen", json={"reason": "x"}, headers=f.h("citizen02"))
    assert r.status_code == 403


def test_reopen_after_the_window_is_refused(settings):
    with TestClient(create_app(settings.with_(reopen_days=0))) as client:
        f = Flow(client)
        cid = f.case_in("closed")["id"]
        r = client.post(f"/api/v1/cases/{cid}/actions/reopen", json={"reason": "x"}, headers=f.h("citizen01"))
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "case.reopen_expired"
        assert "reopen" not in r.json()["error"]["details"]["allowed"]


def test_void_and_link_duplicate(client):
    f = Flow(client)
    original = f.case_in("pending_dispatch")["id"]
    dup = f.report()["id"]
    linked = f.act("operator01", dup, "link_duplicate", original_case_id=original)
    assert linked["state"] == "duplicate" and linked["duplicate_of"] == original
    junk = f.report()["id"]
    r = client.post(f"/api/v1/cases/{junk}/actions/void", json={}, headers=f.h("operator01"))
    assert r.status_code == 422 and r.json()["error"]["details"]["missing"] == ["reason"]
    assert f.act("operator01", junk, "void", reason="重复测试数据")["state"] == "voided"


def test_illegal_transition_answers_409_with_the_actions_allowed_now(client):
    f = Flow(client)
    cid = f.report()["id"]
    r = client.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"unit_id": f.units["water"]},
                    headers=f.h("dispatcher01"))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "case.illegal_transition" and err["message_zh"] and err["message_en"]
    assert err["details"]["state"] == "new"
    assert "reclassify" in err["details"]["allowed"]


def test_replayed_transition_with_the_same_key_is_answered_once(client):
    f = Flow(client)
    cid = f.case_in("dispatched")["id"]
    h = {**f.h("staff_ld_water"), "Idempotency-Key": "accept-once-1"}
    first = client.post(f"/api/v1/cases/{cid}/actions/accept", json={}, headers=h)
    second = client.post(f"/api/v1/cases/{cid}/actions/accept", json={}, headers=h)
    assert first.status_code == second.status_code == 200
    assert first.json()["version"] == second.json()["version"]
    assert [t["action"] for t in f.get(cid)["timeline"]].count("accept") == 1
    # without a key the retry is an out-of-order transition
    r = client.post(f"/api/v1/cases/{cid}/actions/accept", json={}, headers=f.h("staff_ld_water"))
    assert r.status_code == 409


def test_report_retry_with_the_same_key_creates_one_case(client):
    f = Flow(client)
    h = {**f.h("citizen01"), "Idempotency-Key": "report-retry-1"}
    body = {"lng": 112.0, "lat": 27.73, "description": "路灯不亮"}
    first = client.post("/api/v1/reports", json=body, headers=h)
    second = client.post("/api/v1/reports", json=body, headers=h)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/reports", json={**body, "description": "别的"}, headers=h)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency.key_reused"
    mine = client.get("/api/v1/cases?view=mine", headers=f.h("citizen01")).json()
    assert mine["total"] == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"lng": 112.0, "lat": 27.73, "description": "x" * 2001}, "request.invalid"),
        ({"lng": 112.0, "lat": 91}, "request.invalid"),
        ({"lng": "east", "lat": 27.73}, "request.invalid"),
        ({"lng": 112.0, "lat": 27.73, "surprise": 1}, "request.invalid"),
        ({"lng": 116.4, "lat": 39.9}, "location.outside_city"),
        ({"lng": 112.0, "lat": 27.73, "category_code": "9999"}, "taxonomy.unknown_code"),
        ({"lng": 112.0, "lat": 27.73, "menu": "spaceship"}, "taxonomy.unknown_menu"),
        ({"lng": 112.0, "lat": 27.73, "photo_ids": [999999]}, "photo.not_found"),
    ],
)
def test_bad_reports_get_a_clear_4xx_and_write_nothing(client, body, code):
    f = Flow(client)
    r = client.post("/api/v1/reports", json=body, headers=f.h("supervisor01"))
    assert 400 <= r.status_code < 500, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"]
    assert client.get("/api/v1/cases?view=mine", headers=f.h("supervisor01")).json()["total"] == 0


def test_role_views_are_guarded(client):
    f = Flow(client)
    assert client.get("/api/v1/cases?view=all", headers=f.h("citizen01")).status_code == 403
    assert client.get("/api/v1/cases?view=inbox", headers=f.h("dispatcher01")).status_code == 403
    assert client.get("/api/v1/cases?view=nonsense", headers=f.h("operator01")).status_code == 422
    assert client.get("/api/v1/cases").status_code == 401
    r = client.get("/api/v1/cases", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.invalid"


def test_likely_duplicate_is_confirmed_or_dismissed(client):
    f = Flow(client)
    kept = f.duplicate_candidate()
    dismissed = f.act("operator01", kept["id"], "dismiss_duplicate")
    assert dismissed["likely_duplicate_of"] is None and "likely_duplicate" not in dismissed["flags"]
    assert dismissed["state"] == "new"
    r = client.post(f"/api/v1/cases/{kept['id']}/actions/dismiss_duplicate", json={}, headers=f.h("operator01"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "case.no_duplicate_candidate"
    linked = f.duplicate_candidate()
    done = f.act("operator01", linked["id"], "link_duplicate", original_case_id=linked["likely_duplicate_of"])
    assert done["state"] == "duplicate"
