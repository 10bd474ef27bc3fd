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
