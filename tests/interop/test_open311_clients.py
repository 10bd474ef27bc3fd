"""Third-party Open311 client libraries from PyPI against a running server: civicbot (reads and a real POST with
attributes) and georeport (the XML side), so the API is checked by code that was not written here."""

from __future__ import annotations

from typing import Any

import requests
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from backend.demo.seed import DEMO_PASSWORD
from tests.helpers import point_in


def _api_key(base: str) -> str:
    token = requests.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD},
                          timeout=10).json()["token"]
    r = requests.post(f"{base}/api/v1/admin/api-clients", json={"name": "district-backoffice"},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


def test_civicbot_lists_defines_posts_and_reads_back(live_server: str) -> None:
    key = _api_key(live_server)
    endpoint = Endpoint(id="suishoupai", name="随手拍", base_url=f"{live_server}/open311/v2", write=True)
    open311 = Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0.0)))

    services = open311.list_services()
    manhole = next(s for s in services if s["service_code"] == "C0101")
    assert manhole["service_name"] == "上水井盖" and manhole["metadata"] is True
    definition = open311.get_service_definition("C0101")
    assert {a["code"] for a in definition["attributes"]} >= {"condition", "hazard"}

    lng, lat = point_in("ZR05")
    sent = open311.create_request(
        "C0101", dry_run=False, confirm="SEND", api_key=key, validate_remote=True, lat=lat, lng=lng,
        description="井盖移位，晚上看不见", attributes={"condition": "0", "hazard": ["traffic", "night"]},
    )
    assert sent.form["attribute[hazard][]"] == ["traffic", "night"]  # the library's own encoding of a multi-value
    [created] = sent.response
    request_id = created["service_request_id"]

    read = open311.get_request(request_id)
    assert read is not None and read["service_request_id"] == request_id and read["status"] == "open"
    assert abs(read["lat"] - lat) < 0.001 and abs(read["long"] - lng) < 0.001
    assert [r["service_request_id"] for r in open311.list_requests(service_request_ids=[request_id])] == [request_id]
    assert open311.get_token(created["token"]) == [{"service_request_id": request_id, "token": created["token"]}]


def test_georeport_reads_the_xml_side(live_server: str) -> None:
    key = _api_key(live_server)
    lng, lat = point_in("ZR06")
    r = requests.post(f"{live_server}/open311/v2/requests.json", timeout=10, data={
        "api_key": key, "service_code": "E0401", "lat": lat, "long": lng, "attribute[hazard][]": "pedestrians"})
    assert r.status_code == 200, r.text
    request_id = r.json()[0]["service_request_id"]

    as_xml = GeoReport(f"{live_server}/open311/v2", output_format="xml")
    as_json = GeoReport(f"{live_server}/open311/v2")
    xml_services: list[dict[str, Any]] = as_xml.get_service_list()
    json_services = as_json.get_service_list()
    assert [s["service_code"] for s in xml_services] == [s["service_code"] for s in json_services]
    assert xml_services[0]["groups"] == {"group": json_services[0]["groups"][0]}
    xml_def = as_xml.get_service_definition("E0401")
    assert [a["code"] for a in xml_def["attributes"]["attribute"]] == [
        a["code"] for a in as_json.get_service_definition("E0401")["attributes"]]
    xml_one = as_xml.get_service_request(request_id)
    json_one = as_json.get_service_request(request_id)
    assert xml_one == {k: str(v) for k, v in json_one.items()}
