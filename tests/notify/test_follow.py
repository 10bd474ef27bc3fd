"""只报一次 and following: open public reports nearby to join, a report followed on another device with its code, and
followers told of status changes by Web Push like the reporter."""

from __future__ import annotations

from typing import Any

from backend.cases.tables import CaseFollow
from tests.cases.flows import Flow
from tests.interop.conftest import Receiver
from tests.notify.conftest import Device
from tests.notify.test_push import opened_by, subscribe

FOLLOWS = "/api/v1/citizen/follows"


def test_follow_on_another_device_needs_number_and_code_and_says_not_which_was_wrong(client: Any) -> None:
    f = Flow(client)
    case = f.report(description="井盖没了，在小区门口")
    cid, tracking = case["id"], case["tracking_no"]
    words = client.get(f"/api/v1/citizen/cases/{cid}/status", headers=f.h("citizen01")).json()
    code = words["follow_code"]
    assert len(code) == 6 and words["following"] == "" and words["states"]["checking"] == ["处理中", "In progress"]
    other = f.h("citizen02")  # the same person's second phone, as far as the server can tell
    wrong_code = client.post(FOLLOWS, json={"tracking_no": tracking, "code": "AAAAAA" if code != "AAAAAA" else "BBBBBB"},
                             headers=other)
    wrong_number = client.post(FOLLOWS, json={"tracking_no": "SSP19990101000001", "code": code}, headers=other)
    assert wrong_code.status_code == wrong_number.status_code == 404
    assert wrong_code.json()["error"] == wrong_number.json()["error"]
    assert wrong_code.json()["error"]["code"] == "follow.no_match" and wrong_code.json()["error"]["message_en"]
    chinese = client.post(FOLLOWS, json={"tracking_no": tracking, "code": "关注码关注码"}, headers=other)
    assert chinese.status_code == 404 and chinese.json()["error"] == wrong_code.json()["error"]  # not a 500 (fuzz found)
    assert client.get(f"/api/v1/cases/{cid}", headers=other).status_code == 403

    typed = f"{code[:3].lower()} {code[3:]}"  # as read off a screen
    assert client.post(FOLLOWS, json={"tracking_no": tracking.lower(), "code": typed}, headers=other).json() == {
        "case_id": cid}
    seen = client.get(f"/api/v1/cases/{cid}", headers=other).json()
    assert seen["description"] == "井盖没了，在小区门口" and seen["actions"] == []
    assert [c["id"] for c in client.get("/api/v1/cases?view=mine", headers=other).json()["items"]] == [cid]
    theirs = client.get(f"/api/v1/citizen/cases/{cid}/status", headers=other).json()
    assert theirs["following"] == "device" and theirs["follow_code"] == ""  # the code is shown to the reporter only

    # Deleting the account (PIPL) removes what they followed too.
    assert client.request("DELETE", "/api/v1/me", json={"password": "ssp-demo-2026"}, headers=other).status_code == 204
    assert client.blocking_portal.call(CaseFollow.count) == 0


def test_nearby_open_reports_of_the_same_kind_can_be_joined_but_not_private_ones(client: Any) -> None:
    f = Flow(client)
    filed = f.case_in("dispatched")  # C0101 上水井盖, the manhole icon
    fresh = f.report()  # still 已提交: not public
    near = {"lng": filed["lng"] + 0.0005, "lat": filed["lat"]}
    stranger = f.h("citizen02")
    page = client.get("/api/v1/citizen/nearby", params={**near, "menu": "manhole"}, headers=stranger).json()
    [item] = [i for i in page["items"] if i["tracking_no"] == filed["tracking_no"]]
    assert fresh["tracking_no"] not in {i["tracking_no"] for i in page["items"]}
    assert (item["status_zh"], item["category_en"], item["followers"], item["mine"]) == ("处理中", "Manhole cover", 0,
                                                                                       False)
    assert 30 <= item["distance_m"] <= 70
    other_kind = client.get("/api/v1/citizen/nearby", params={**near, "menu": "noise"}, headers=stranger).json()
    assert filed["tracking_no"] not in {i["tracking_no"] for i in other_kind["items"]}

    refused = client.post(FOLLOWS, json={"tracking_no": fresh["tracking_no"]}, headers=stranger)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "follow.not_public"
    assert client.post(FOLLOWS, json={"tracking_no": filed["tracking_no"]}, headers=stranger).status_code == 200
    seen = client.get(f"/api/v1/cases/{filed['id']}", headers=stranger).json()
    assert seen["description"] == "" and seen["address"] == ""  # what the reporter wrote stays theirs
    assert all(p["thumb_url"].startswith("/api/v1/public/") for p in seen["photos"])
    again = client.get("/api/v1/citizen/nearby", params={**near, "menu": "manhole"}, headers=stranger).json()
    assert [(i["followers"], i["mine"]) for i in again["items"] if i["tracking_no"] == filed["tracking_no"]] == [
        (1, True)]
    # Staff see how many people follow it, on the case and in their lists; a follower's own view has no such count.
    operator = f.h("operator01")
    assert client.get(f"/api/v1/cases/{filed['id']}", headers=operator).json()["followers"] == 1
    listed = client.get("/api/v1/cases", params={"view": "all", "q": filed["tracking_no"]}, headers=operator).json()
    assert [(c["id"], c["followers"]) for c in listed["items"]] == [(filed["id"], 1)]
    assert "followers" not in seen
    assert client.delete(f"{FOLLOWS}/{filed['id']}", headers=stranger).status_code == 204
    assert client.get(f"/api/v1/cases/{filed['id']}", headers=operator).json()["followers"] == 0
    assert client.get(f"/api/v1/cases/{filed['id']}", headers=stranger).status_code == 403


def test_a_follower_sees_a_photo_being_processed_until_its_redaction_is_done(client: Any) -> None:
    from backend.redaction.tables import Redaction

    f = Flow(client)
    case = f.case_in("checking")  # the water company's after-photo, not redacted: tests run no redaction worker
    stranger = f.h("citizen02")
    assert client.post(FOLLOWS, json={"tracking_no": case["tracking_no"]}, headers=stranger).status_code == 200

    def photos() -> list[tuple[str, str | None, str | None]]:
        seen = client.get(f"/api/v1/cases/{case['id']}", headers=stranger).json()
        return [(p["kind"], p["thumb_url"], p["display_url"]) for p in seen["photos"]]

    [after] = [p["id"] for p in case["photos"] if p["kind"] == "after"]
    assert photos() == [("after", None, None)]  # there, without an address: the page says "being processed"
    set_status = Redaction.update({Redaction.status: "failed", Redaction.error: "redaction.failed"}).where(
        Redaction.photo == after)
    client.blocking_portal.call(set_status.run)
    assert photos() == [("after", None, None)]  # a failed redaction never makes it public
    assert client.get(f"/api/v1/public/photos/{after}/thumb", headers=stranger).status_code == 404
    done = Redaction.update({Redaction.status: "done", Redaction.display_key: "x/display.jpg",
                             Redaction.thumb_key: "x/thumb.jpg"}).where(Redaction.photo == after)
    client.blocking_portal.call(done.run)
    assert photos() == [("after", f"/api/v1/public/photos/{after}/thumb", f"/api/v1/public/photos/{after}/display")]


def test_a_city_may_let_followers_make_a_case_priority_for_staff(client: Any) -> None:
    f = Flow(client)
    followed, other = f.case_in("dispatched"), f.case_in("dispatched")  # the newer one comes first by default
    for citizen in ("citizen02", "citizen03"):
        assert client.post(FOLLOWS, json={"tracking_no": followed["tracking_no"]}, headers=f.h(citizen)).status_code == 200
    unit, admin = f.h("staff_ld_water"), f.h("admin")

    def inbox() -> list[tuple[int, int, bool]]:
        items = client.get("/api/v1/cases", params={"view": "inbox"}, headers=unit).json()["items"]
        return [(c["id"], c["followers"], c["priority"]) for c in items if c["id"] in (followed["id"], other["id"])]

    # Off by default: the count is shown, the order is the list's own.
    assert inbox() == [(other["id"], 0, False), (followed["id"], 2, False)]
    for bad in (-1, 1001, 2.5, True):
        r = client.put("/api/v1/admin/settings", json={"values": {"follower_priority": bad}}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == "settings.bad_value", r.text
    assert client.put("/api/v1/admin/settings", json={"values": {"follower_priority": 2}},
                      headers=f.h("operator01")).status_code == 403
    assert client.put("/api/v1/admin/settings", json={"values": {"follower_priority": 2}}, headers=admin).status_code == 200
    audit = client.get("/api/v1/admin/audit", params={"action": "settings.changed"}, headers=admin).json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert entries[0]["details"] == {"before": {"follower_priority": 0}, "after": {"follower_priority": 2}}

    # Two followers reach the city's 2: 重点 on the case and first in the unit's inbox.
    assert inbox() == [(followed["id"], 2, True), (other["id"], 0, False)]
    assert client.get(f"/api/v1/cases/{followed['id']}", headers=unit).json()["priority"] is True
    assert "priority" not in client.get(f"/api/v1/cases/{followed['id']}", headers=f.h("citizen02")).json()
    assert client.delete(f"{FOLLOWS}/{followed['id']}", headers=f.h("citizen03")).status_code == 204
    assert inbox() == [(other["id"], 0, False), (followed["id"], 1, False)]  # one short again


def test_a_follower_is_pushed_the_status_change_too(pushing: Any, receiver: Receiver) -> None:
    f = Flow(pushing)
    case = f.case_in("pending_dispatch")
    follower = Device.new()
    subscribe(pushing, f, "citizen02", follower, receiver.url + "/follower")
    assert pushing.post(FOLLOWS, json={"tracking_no": case["tracking_no"]}, headers=f.h("citizen02")).status_code == 200
    f.act("dispatcher01", case["id"], "dispatch", unit="water")  # 已受理 → 处理中
    got = receiver.wait_for(1)
    _, message = opened_by({"follower": follower}, got[0][1])
    assert message["title"] == f"您关注的上报 {case['tracking_no']}：处理中"
    assert message["url"] == f"/#/case/{case['id']}"
