"""The centre's statistics: overdue board lights, open-case map points, heatmap filters, and role guards."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.helpers import act, login, report


def _dispatched(client: Any) -> dict[str, Any]:
    citizen, op, lead, disp = (login(client, u) for u in ("citizen01", "operator01", "shiftlead01", "dispatcher01"))
    case = report(client, citizen)
    act(client, op, case["id"], "reclassify", category_code="C0101")
    act(client, op, case["id"], "accept_report")
    act(client, lead, case["id"], "file")
    unit_id = client.get("/api/v1/me", headers=login(client, "staff_ld_water")).json()["unit_id"]
    return act(client, disp, case["id"], "dispatch", unit_id=unit_id)


def test_open_cases_lists_an_open_report_for_the_centre(client: Any) -> None:
    citizen, op = login(client, "citizen01"), login(client, "operator01")
    case = report(client, citizen)
    r = client.get("/api/v1/stats/open-cases", headers=op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["tracking_no"] for i in body["items"]] == [case["tracking_no"]]
    assert body["items"][0]["responsibility_grid"] == "ZR01"
    far = client.get("/api/v1/stats/open-cases", params={"bbox": "0,0,1,1"}, headers=op).json()
    assert far["items"] == []


def test_voided_cases_leave_the_map_and_the_heatmap(client: Any) -> None:
    citizen, op = login(client, "citizen01"), login(client, "operator01")
    keep, gone = report(client, citizen), report(client, citizen)
    act(client, op, gone["id"], "void", reason="测试作废")
    items = client.get("/api/v1/stats/open-cases", headers=op).json()["items"]
    assert [i["id"] for i in items] == [keep["id"]]
    heat = client.get("/api/v1/stats/heatmap", headers=op).json()
    assert heat["total"] == 1 and heat["max_weight"] == 1 and len(heat["points"]) == 1


def test_heatmap_filters_by_category_and_dates(client: Any) -> None:
    citizen, op = login(client, "citizen01"), login(client, "operator01")
    case = report(client, citizen)
    act(client, op, case["id"], "reclassify", category_code="C0101")
    assert client.get("/api/v1/stats/heatmap", params={"category": "C01"}, headers=op).json()["total"] == 1
    assert client.get("/api/v1/stats/heatmap", params={"category": "E01"}, headers=op).json()["total"] == 0
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert client.get("/api/v1/stats/heatmap", params={"from": tomorrow}, headers=op).json()["total"] == 0
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert client.get("/api/v1/stats/heatmap", params={"from": yesterday, "to": tomorrow},
                      headers=op).json()["total"] == 1
    bad = client.get("/api/v1/stats/heatmap", params={"from": tomorrow, "to": yesterday}, headers=op)
    assert bad.status_code == 422


def test_overdue_board_counts_a_dispatched_case_green(client: Any) -> None:
    case = _dispatched(client)
    board = client.get("/api/v1/stats/overdue", headers=login(client, "dispatcher01")).json()
    assert board["counts"] == {"green": 1, "yellow": 0, "red": 0}
    assert board["items"] == []  # only yellow and red are listed
    other = client.get("/api/v1/stats/overdue", params={"unit_id": case["unit"]["id"] + 1000},
                       headers=login(client, "dispatcher01")).json()
    assert other["counts"]["green"] == 0


def test_stats_are_for_the_centre_only(client: Any) -> None:
    for user in ("citizen01", "staff_ld_water", "supervisor01"):
        headers = login(client, user)
        for path in ("/api/v1/stats/overdue", "/api/v1/stats/open-cases", "/api/v1/stats/heatmap"):
            assert client.get(path, headers=headers).status_code == 403, (user, path)
    assert client.get("/api/v1/stats/heatmap").status_code == 401


def test_counts_by_dimension_and_day_in_local_time(client: Any) -> None:
    citizen, op = login(client, "citizen01"), login(client, "operator01")
    first = report(client, citizen)
    report(client, citizen)
    act(client, op, first["id"], "reclassify", category_code="C0101")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the city's day, not the machine's
    r = client.get("/api/v1/stats/counts", params={"by": "category", "bucket": "day", "from": today, "to": today},
                   headers=op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2
    by_key = {s["key"]: s for s in body["series"]}
    assert by_key["C0101"]["total"] == 1 and by_key["C0101"]["name"]
    states = client.get("/api/v1/stats/counts", params={"by": "state"}, headers=op).json()
    assert sum(s["total"] for s in states["series"]) == 2 and states["buckets"] == ["all"]
    month = client.get("/api/v1/stats/counts", params={"by": "source", "bucket": "month"}, headers=op).json()
    assert month["series"][0]["key"] == "citizen" and month["series"][0]["points"][-1]["count"] == 2
    assert month["buckets"][-1].endswith("-01")
    week = client.get("/api/v1/stats/counts", params={"by": "district", "bucket": "week"}, headers=op).json()
    monday = date.fromisoformat(week["buckets"][0])
    assert monday.weekday() == 0 and week["total"] == 2
    bad = client.get("/api/v1/stats/counts", params={"by": "planet"}, headers=op)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "stats.bad_dimension"
    long = client.get("/api/v1/stats/counts", params={"bucket": "day", "from": "2024-01-01", "to": today}, headers=op)
    assert long.status_code == 422 and long.json()["error"]["code"] == "stats.range_too_long"
    assert client.get("/api/v1/stats/counts", headers=login(client, "staff_ld_water")).status_code == 403


def test_heat_bins_follow_the_zoom_and_the_box(client: Any) -> None:
    """Two reports ~40 m apart: one bin at a city zoom, two at street level; a box around neither holds nothing."""
    citizen, op = login(client, "citizen01"), login(client, "operator01")
    a = report(client, citizen)
    b = report(client, citizen, lng=a["lng"] + 0.0004, lat=a["lat"])
    city = client.get("/api/v1/stats/heatmap", params={"zoom": 5}, headers=op).json()
    assert city["total"] == 2 and [p[2] for p in city["points"]] == [2]
    assert abs(city["points"][0][0] - (a["lng"] + b["lng"]) / 2) < 1e-6  # at the cases' mean position
    street = client.get("/api/v1/stats/heatmap", params={"zoom": 20}, headers=op).json()
    assert street["total"] == 2 and sorted(p[2] for p in street["points"]) == [1, 1]
    assert street["cell_degrees"] < city["cell_degrees"]
    box = f"{a['lng'] - 0.0001},{a['lat'] - 0.0001},{a['lng'] + 0.0001},{a['lat'] + 0.0001}"
    only_a = client.get("/api/v1/stats/heatmap", params={"zoom": 20, "bbox": box}, headers=op).json()
    assert only_a["total"] == 1 and only_a["points"][0][:2] == [round(a["lng"], 6), round(a["lat"], 6)]
    for bad in ({"zoom": 30}, {"zoom": "near"}):
        r = client.get("/api/v1/stats/heatmap", params=bad, headers=op)
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", r.text
    r = client.get("/api/v1/stats/heatmap", params={"bbox": "a,b"}, headers=op)
    assert r.status_code == 422 and r.json()["error"]["code"] == "request.bad_bbox"


def test_a_dispatch_writes_its_deadline_on_the_timeline(client: Any) -> None:
    case = _dispatched(client)
    entry = [e for e in case["timeline"] if e["action"] == "dispatch"][-1]
    assert case["due_at"] and datetime.fromisoformat(entry["data"]["due_at"]) == datetime.fromisoformat(case["due_at"])
