"""Personal information (PIPL): what a reporter sees of their case, the data download, and deleting an account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.demo.seed import DEMO_PASSWORD
from backend.redaction.detect import FixedAnalyser
from tests.cases.flows import DEMO_PHOTO, Flow
from tests.helpers import CITY, get_case, login, redact_queued, report, wait_for
from tests.live.conftest import open_client, token

STAFF = [u for u in json.loads((CITY / "users.json").read_text(encoding="utf-8"))["users"] if u["role"] != "citizen"]
# Fields of the staff record that must never reach a reporter: classifier and routing output, grids, people's ids,
# other cases, the supervision light and evaluation counters.
INTERNAL = {
    "suggestions", "confidence", "classifier_version", "routing_rule", "suggested_unit", "unit_grid",
    "responsibility_grid", "community", "street", "district", "component_id", "assigned_supervisor_id", "reporter_id",
    "actor_id", "actor_name", "duplicate_of", "likely_duplicate_of", "light", "time_left_seconds", "stage_due_at",
    "rework_count", "return_count", "reopen_count", "urgent", "warnings", "data", "priority",
}


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a JSON document, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def assert_nothing_internal(doc: Any, text: str, other: dict[str, Any], own: int) -> None:
    """No internal field at any depth, no staff person, and nothing of the other case."""
    keys = {k for k, _ in walk(doc)}
    assert not keys & INTERNAL, keys & INTERNAL
    assert not [k for k in keys if "duplicate" in k or "original" in k or "candidate" in k]
    for user in STAFF:
        assert user["username"] not in text and user["display_name"] not in text, user
    assert other["tracking_no"] not in text
    assert {v for k, v in walk(doc) if k == "case_id"} <= {own}
    assert other["id"] not in [item["id"] for item in doc.get("items", [doc])]
    assert "likely_duplicate" not in text and "unrouted" not in text


def upload(client: Any, h: dict[str, str]) -> dict[str, Any]:
    r = client.post("/api/v1/photos", files={"file": ("p.jpg", DEMO_PHOTO.read_bytes(), "image/jpeg")},
                    data={"kind": "report"}, headers=h)
    assert r.status_code == 201, r.text
    return dict(r.json())


def device(client: Any) -> dict[str, str]:
    r = client.post("/api/v1/auth/device")
    assert r.status_code == 201, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def test_reporter_sees_roles_and_organisations_never_staff_internals_or_the_other_case(client):
    f = Flow(client)
    other = f.report("citizen02")
    case = f.report()
    cid = case["id"]
    staff_view = f.get(cid)
    # The internals exist (so the assertions below could fail): a likely duplicate, classifier and routing output.
    assert staff_view["likely_duplicate_of"] == other["id"] and staff_view["suggestions"], staff_view
    sanitation = f.me("staff_ld_sanitation")["unit_id"]
    f.act("operator01", cid, "request_verify")
    f.act("supervisor01", cid, "verify", result="confirmed", photo="verify", note="现场核实：肖洋芳")
    f.act("operator01", cid, "reclassify", category_code="C0123")
    f.act("shiftlead01", cid, "file")
    f.act("dispatcher01", cid, "dispatch", unit_id=sanitation)
    f.act("staff_ld_sanitation", cid, "accept")
    f.act("staff_ld_sanitation", cid, "report_back", note="班组内部备注：已处理", photo="after")
    f.act("supervisor01", cid, "check", result="pass", photo="check")
    f.act("shiftlead01", cid, "close")
    f.act("citizen01", cid, "rate", satisfied=True, comment="处理得很快")

    r = client.get(f"/api/v1/cases/{cid}", headers=f.h("citizen01"))
    assert r.status_code == 200, r.text
    mine = r.json()
    assert mine["view"] == "reporter" and mine["state"] == "closed"
    assert_nothing_internal(mine, r.text, other, cid)
    who = {e["actor_zh"] for e in mine["timeline"]}
    assert {"受理员 · 城市管理指挥中心", "监督员 · 城市管理指挥中心", "责任单位 · 娄底市环境卫生事务中心",
            "派遣员 · 城市管理指挥中心", "市民", "系统"} <= who, who
    assert mine["unit_name"] == "娄底市环境卫生事务中心"
    # Staff's own notes and working photos stay internal; the reporter's words and the result photos are theirs.
    assert "已处理" not in r.text and "现场核实" not in r.text
    assert "处理得很快" in r.text and case["description"] in r.text
    assert sorted(p["kind"] for p in mine["photos"]) == ["after"]
    # Nor by id: staff's working photos, and the record (EXIF position, time) of a photo a unit took.
    by_kind = {p["kind"]: p["id"] for p in f.get(cid)["photos"]}
    assert client.get(f"/api/v1/photos/{by_kind['after']}/display", headers=f.h("citizen01")).status_code == 404
    redact_queued(client, FixedAnalyser())  # the unit's after-photo reaches the citizen only redacted
    for kind, variant, status in (("verify", "display", 403), ("check", "thumb", 403), ("after", "meta", 403),
                                  ("after", "display", 200)):
        path = f"/api/v1/photos/{by_kind[kind]}" + ("" if variant == "meta" else f"/{variant}")
        assert client.get(path, headers=f.h("citizen01")).status_code == status, (kind, variant)
    actions = [e["action"] for e in mine["timeline"]]
    assert "reclassify" not in actions and actions[0] == "report" and actions[-1] == "rate"
    # The same case for staff still names the people (the test above is not blind).
    assert staff_view["timeline"][0]["actor_name"] == "程文磊"
    closed_by = next(e for e in f.get(cid)["timeline"] if e["action"] == "close")["actor_name"]
    assert closed_by == next(u["display_name"] for u in STAFF if u["username"] == "shiftlead01")

    listed = client.get("/api/v1/cases?view=mine", headers=f.h("citizen01"))
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == cid
    assert_nothing_internal(listed.json(), listed.text, other, cid)
    tracked = client.get(f"/api/v1/cases/track/{mine['tracking_no']}", headers=f.h("citizen01"))
    assert tracked.json()["view"] == "reporter"


def test_a_merged_report_says_so_without_naming_the_other_case(client):
    f = Flow(client)
    other = f.report("citizen02")
    cid = f.report()["id"]
    f.act("operator01", cid, "link_duplicate", original_case_id=other["id"])
    r = client.get(f"/api/v1/cases/{cid}", headers=f.h("citizen01"))
    mine = r.json()
    assert mine["state"] == "duplicate" and mine["merged"] is True
    assert mine["timeline"][-1]["note"] == "已与其他群众的相同上报合并"
    assert_nothing_internal(mine, r.text, other, cid)
    # A citizen's new report, before staff have looked at it, shows no category: that is only the classifier's guess.
    fresh = report(client, f.h("citizen01"))
    assert fresh["category_code"] == "" and fresh["category_name"] == ""
    assert get_case(client, f.h("operator01"), fresh["id"])["category_code"]


def test_live_events_to_a_reporter_carry_only_their_own_case(settings):
    with open_client(settings) as client:
        f = Flow(client)
        other = f.report("citizen02")
        case = f.report()

        def watch(username: str, topics: list[str]) -> Any:
            # Logged in first, as the app does: an open test-client session keeps the loop busy (tests/live/conftest.py)
            # and a login made while the server waits for the credential can outlast its 5 s (auth.timeout).
            credential = token(client, username)
            ws = client.websocket_connect("/ws").__enter__()
            client.live_sessions.append(ws)
            ws.send_json({"type": "auth", "token": credential})
            assert ws.receive_json(timeout=5)["type"] == "welcome"
            ws.send_json({"type": "subscribe", "topics": topics})
            assert ws.receive_json(timeout=10)["type"] == "subscribed"
            return ws

        def drain(ws: Any, n: int) -> list[dict[str, Any]]:
            """``n`` events, then nothing more before the pong."""
            got: list[dict[str, Any]] = []
            while len(got) < n:
                if (msg := ws.receive_json(timeout=10))["type"] == "event":
                    got.append(msg)
            ws.send_json({"type": "ping"})
            while (msg := ws.receive_json(timeout=10))["type"] != "pong":
                assert msg["type"] != "event", msg
            return got

        me = f.me("citizen01")["id"]
        reporter = watch("citizen01", [f"reporter:{me}", f"case:{case['id']}"])
        other_reporter = watch("citizen02", [f"case:{other['id']}"])
        operator = watch("operator01", ["command"])
        f.act("operator01", case["id"], "request_verify")
        f.act("operator01", case["id"], "link_duplicate", original_case_id=other["id"])

        staff_events = drain(operator, 2)  # once the centre has both, the hub has dispatched them to everyone
        assert [e["action"] for e in staff_events] == ["request_verify", "link_duplicate"]
        assert f"case:{other['id']}" in staff_events[1]["topics"] and "grid:ZR01" in staff_events[1]["topics"]
        got = drain(reporter, 2)
        assert [e["action"] for e in got] == ["request_verify", "link_duplicate"]
        for event in got:
            assert sorted(event["topics"]) == sorted([f"case:{case['id']}", f"reporter:{me}"])
            assert event["unit_id"] is None and event["light"] is None and event["case_id"] == case["id"]
            assert str(other["id"]) not in event["topics"] and other["tracking_no"] not in json.dumps(event)
        # The other citizen watches the case this one was merged into: they hear nothing of someone else's report.
        assert drain(other_reporter, 0) == []


def test_public_list_holds_no_personal_data(client):
    f = Flow(client)
    case = f.case_in("pending_dispatch")
    r = client.get("/api/v1/public/cases")
    assert r.status_code == 200
    item = next(i for i in r.json()["items"] if i["tracking_no"] == case["tracking_no"])
    assert set(item) == {"tracking_no", "state", "state_zh", "state_en", "category_code", "category_name", "category_name_en", "lng",
                         "lat", "created_at", "closed_at", "thumb_urls"}
    assert case["description"] not in r.text and "程文磊" not in r.text
    assert round(item["lng"], 3) == item["lng"]  # about 100 m, not the reporter's doorstep


def test_download_my_data_holds_my_case_photos_ratings_and_sessions_never_a_token(client):
    f = Flow(client)
    h = f.h("citizen01")
    photo = upload(client, h)
    case = f.case_in("closed")
    f.act("citizen01", case["id"], "rate", satisfied=False, comment="还是有点脏")
    r = client.get("/api/v1/me/data", headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="suishoupai-my-data-')
    assert r.headers["cache-control"] == "no-store"
    data = r.json()
    assert data["profile"]["username"] == "citizen01" and data["profile"]["display_name"] == "程文磊"
    assert [c["tracking_no"] for c in data["reports"]] == [case["tracking_no"]]
    assert data["reports"][0]["view"] == "reporter" and data["reports"][0]["timeline"]
    assert data["ratings"] == [{"case_id": case["id"], "tracking_no": case["tracking_no"],
                                "at": data["ratings"][0]["at"], "satisfied": False, "comment": "还是有点脏"}]
    mine = next(p for p in data["photos"] if p["id"] == photo["id"])
    assert mine["case_id"] is None and mine["exif_lat"] == photo["exif_lat"] and mine["exif_lat"] is not None
    assert mine["urls"]["display"] == f"/api/v1/photos/{photo['id']}/display"
    assert client.get(mine["urls"]["display"], headers=h).status_code == 200
    assert client.get(mine["urls"]["display"]).status_code == 401  # the URLs need the login
    assert data["sessions"] and any(s["current"] for s in data["sessions"])
    secret = h["Authorization"].removeprefix("Bearer ")
    assert secret not in r.text and "token" not in {k for k, _ in walk(data)}
    # Staff may download theirs too: the steps they took on others' reports.
    staff = client.get("/api/v1/me/data", headers=f.h("staff_ld_water")).json()
    assert {(a["tracking_no"], a["action"]) for a in staff["activity"]} >= {(case["tracking_no"], "accept")}
    assert staff["reports"] == [] and staff["profile"]["unit_name"] == "娄底市自来水公司"
    assert client.get("/api/v1/me/data").status_code == 401


def test_an_anonymous_device_deletes_its_account(client, settings):
    h = device(client)
    operator = login(client, "operator01")
    case = report(client, h, description="路灯不亮了，晚上很黑")
    r = client.post("/api/v1/reports", headers=h, files=[("photos", ("a.jpg", DEMO_PHOTO.read_bytes(), "image/jpeg"))],
                    data={"description": "井盖坏了"})
    assert r.status_code == 201, r.text
    attached = r.json()["photos"][0]["id"]
    assert client.get(f"/api/v1/photos/{attached}", headers=operator).json()["exif_lat"] is not None
    loose = upload(client, h)
    for pid in (attached, loose["id"]):  # processed, so that no derivative appears while we compare the files
        wait_for(lambda pid=pid: client.get(f"/api/v1/photos/{pid}", headers=h).json()["status"] == "ready")
    before = {p for p in Path(settings.data_dir, "objects").rglob("*") if p.is_file()}

    refused = client.request("DELETE", "/api/v1/me", headers=h)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "account.confirm_required"
    gone = client.request("DELETE", "/api/v1/me", headers=h, json={"confirm": True})
    assert gone.status_code == 204, gone.text

    assert client.get("/api/v1/me", headers=h).status_code == 401  # the device credential ended
    seen = get_case(client, operator, case["id"])
    assert seen["description"] == "路灯不亮了，晚上很黑"  # the report stays on the record
    assert seen["timeline"][0]["actor_name"] == "已注销用户"
    assert client.get(f"/api/v1/photos/{loose['id']}", headers=login(client, "admin")).status_code == 404
    after = {p for p in Path(settings.data_dir, "objects").rglob("*") if p.is_file()}
    assert before - after and not after - before  # the loose photo's files went, nothing else did
    kept = client.get(f"/api/v1/photos/{attached}", headers=operator).json()
    assert kept["exif_lat"] is None and kept["exif_lng"] is None and kept["exif_time"] is None
    assert client.get(f"/api/v1/photos/{attached}/display", headers=operator).status_code == 200


def test_a_password_account_confirms_with_its_password_and_can_no_longer_log_in(client):
    f = Flow(client)
    h = f.h("citizen01")
    second = login(client, "citizen01")  # another phone
    case = f.report()
    wrong = client.request("DELETE", "/api/v1/me", headers=h, json={"password": "not-my-password"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "account.wrong_password"
    assert client.request("DELETE", "/api/v1/me", headers=h, json={"confirm": True}).status_code == 403
    assert client.request("DELETE", "/api/v1/me", headers=h, json={"password": DEMO_PASSWORD}).status_code == 204
    for old in (h, second):
        assert client.get("/api/v1/me", headers=old).status_code == 401
    r = client.post("/api/v1/auth/login", json={"username": "citizen01", "password": DEMO_PASSWORD})
    assert r.status_code == 401
    seen = f.get(case["id"])
    assert seen["timeline"][0]["actor_name"] == "已注销用户" and seen["state"] == "new"
    users = client.get("/api/v1/users", headers=f.h("admin")).json()
    gone = next(u for u in users if u["id"] == seen["reporter_id"])
    assert gone["username"].startswith("deleted-") and gone["display_name"] == "已注销用户" and not gone["active"]
    audit = client.get("/api/v1/admin/audit", params={"action": "user.deleted"}, headers=f.h("admin")).json()
    assert [(a["outcome"], a["actor_name"]) for a in audit][:2] == [("ok", "citizen01"), ("denied", "citizen01")]


def test_staff_cannot_delete_themselves(client):
    for username in ("operator01", "staff_ld_water", "supervisor01", "admin"):
        h = login(client, username)
        r = client.request("DELETE", "/api/v1/me", headers=h, json={"password": DEMO_PASSWORD})
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "account.staff_cannot_delete" and "管理员" in error["message_zh"]
        assert client.get("/api/v1/me", headers=h).status_code == 200  # nothing happened
