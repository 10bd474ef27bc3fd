"""Open311 GeoReport v2 over the app's own client: formats, filters, errors, and the report pipeline behind a POST."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from backend.cases.tables import Case
from backend.interop.tables import Open311Request
from tests.helpers import get_case, live_events, login, point_in
from tests.interop.conftest import Receiver, new_client

SPEC = json.loads((Path(__file__).resolve().parent / "data" / "fixmystreet_open311_openapi.json").read_text(
    encoding="utf-8"))
PHOTO = Path(__file__).resolve().parents[2] / "media" / "samples" / "demo" / "loudi_manhole_cover.jpg"


def check_schema(body: Any, schema: str, array: bool = True) -> None:
    """Validate against a schema of FixMyStreet's OpenAPI description (its $refs resolve inside the document)."""
    ref = {"$ref": f"#/components/schemas/{schema}"}
    root = {"type": "array", "items": ref} if array else dict(ref)
    jsonschema.Draft7Validator({**root, "components": SPEC["components"]}).validate(body)


def errors(r: Any, status: int, code: str) -> str:
    """The spec's error list, with our stable code in the description; returns the description."""
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body, list) and len(body) == 1 and body[0]["code"] == status, body
    assert f"[{code}]" in body[0]["description"], body
    return str(body[0]["description"])


def xml_requests(text: str) -> list[dict[str, str]]:
    root = ET.fromstring(text)
    assert root.tag == "service_requests"
    return [{child.tag: child.text or "" for child in item} for item in root.findall("request")]


def post(client: Any, key: str, **fields: Any) -> Any:
    lng, lat = point_in("ZR01")
    form = {"api_key": key, "service_code": "C0101", "lat": lat, "long": lng, **fields}
    return client.post("/open311/v2/requests.json", data={k: v for k, v in form.items() if v is not None})


def stored(client: Any) -> tuple[int, int]:
    """Cases and Open311 rows, counted on the app's own loop and engine."""

    async def count() -> tuple[int, int]:
        return await Case.count(), await Open311Request.count()

    return tuple(client.blocking_portal.call(count))  # type: ignore[return-value]


def test_services_and_definitions(client: Any) -> None:
    r = client.get("/open311/v2/services.json")
    assert r.status_code == 200
    services = r.json()
    check_schema(services, "Service")
    assert all(isinstance(s["service_code"], str) for s in services)
    codes = [s["service_code"] for s in services]
    assert len(codes) == len(set(codes)) > 100 and "C0101" in codes
    groups = [s["group"] for s in services]
    # grouped by 大类: each group is one run in the list
    assert len([g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]) == len(set(groups))

    xml = ET.fromstring(client.get("/open311/v2/services.xml").text)
    assert [s.findtext("service_code") for s in xml.findall("service")] == codes

    d = client.get("/open311/v2/services/C0101.json").json()
    check_schema(d, "ServiceDefinition", array=False)
    attrs = {a["code"]: a for a in d["attributes"]}
    assert attrs["condition"]["datatype"] == "singlevaluelist" and len(attrs["condition"]["values"]) >= 2
    assert attrs["hazard"]["datatype"] == "multivaluelist"
    assert "owner" in attrs  # a component's own question; an event has none
    event = client.get("/open311/v2/services/E0401.json").json()
    assert "owner" not in {a["code"] for a in event["attributes"]}

    xd = ET.fromstring(client.get("/open311/v2/services/C0101.xml").text)
    assert [a.findtext("code") for a in xd.find("attributes").findall("attribute")] == list(attrs)

    errors(client.get("/open311/v2/services/X9999.json"), 404, "open311.unknown_service")
    r = client.get("/open311/v2/services/X9999.xml")
    assert r.status_code == 404 and ET.fromstring(r.text).findtext("error/code") == "404"

    # A 小类 the city switched off is no longer offered.
    admin = login(client, "admin")
    assert client.patch("/api/v1/admin/categories/C0305", json={"enabled": False}, headers=admin).status_code == 200
    offered = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert "C0305" in codes and "C0305" not in offered and len(offered) == len(codes) - 1


def test_post_goes_through_the_report_pipeline_and_reads_back(client: Any) -> None:
    key = new_client(client)["api_key"]
    with live_events(client) as next_event:
        r = post(client, key, description="人行道上的井盖没了", **{"attribute[condition]": "0",
                                                                "attribute[hazard][]": ["pedestrians", "night"]})
        assert r.status_code == 200, r.text
        [created] = r.json()
        check_schema([created], "RequestResponse")
        request_id = created["service_request_id"]
        assert isinstance(request_id, str) and request_id.startswith("SSP")
        # the same case any citizen report makes: timeline, triage job, live event
        next_event(lambda e: e["tracking_no"] == request_id and e["action"] == "triage")
    staff = login(client, "operator01")
    case_id = client.get(f"/api/v1/cases/track/{request_id}", headers=staff).json()["id"]
    case = get_case(client, staff, case_id)
    assert case["description"] == "人行道上的井盖没了" and case["state"] == "new"
    assert case["source"] == "open311"  # the channel it came in by, not the service account's role
    assert case["category_code"].startswith("C01")  # the hint was checked by triage, a manhole cover it stays

    one = client.get(f"/open311/v2/requests/{request_id}.json")
    assert one.status_code == 200
    check_schema(one.json(), "Request")
    [req] = one.json()
    assert req["service_request_id"] == request_id and req["status"] == "open"
    assert req["service_code"] == case["category_code"] and isinstance(req["service_code"], str)
    assert "description" not in req and "address" not in req  # public data only
    assert req["requested_datetime"].endswith("+08:00") and "." not in req["requested_datetime"]
    xml = xml_requests(client.get(f"/open311/v2/requests/{request_id}.xml").text)
    assert xml == [{k: str(v) for k, v in req.items()}]

    token = client.get(f"/open311/v2/tokens/{created['token']}.json").json()
    assert token == [{"service_request_id": request_id, "token": created["token"]}]

    updates = client.get("/open311/v2/servicerequestupdates.json").json()
    check_schema(updates, "Update")
    mine = [u for u in updates if u["service_request_id"] == request_id]
    assert [u["description"].split(" / ")[1] for u in mine] == ["Report received", "Triaged"]


def test_idempotent_post(client: Any) -> None:
    key = new_client(client)["api_key"]
    lng, lat = point_in("ZR02")
    form = {"api_key": key, "service_code": "E0401", "lat": lat, "long": lng, "description": "占道经营"}
    first = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "hotline-000001"})
    again = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "hotline-000001"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert stored(client) == (1, 1)


def test_list_filters_and_defaults(client: Any) -> None:
    key = new_client(client)["api_key"]
    lng, lat = point_in("ZR03")
    with live_events(client) as next_event:
        a = post(client, key).json()[0]["service_request_id"]
        b = post(client, key, service_code="E0401", lat=lat, long=lng, description="门口占道摆摊").json()[0][
            "service_request_id"]
        for rid in (a, b):
            next_event(lambda e, rid=rid: e["tracking_no"] == rid and e["action"] == "triage")
    staff = login(client, "operator01")
    # void one: it is closed for Open311
    cid = client.get(f"/api/v1/cases/track/{b}", headers=staff).json()["id"]
    r = client.post(f"/api/v1/cases/{cid}/actions/void", json={"reason": "测试作废"}, headers=staff)
    assert r.status_code == 200, r.text
    code_b = client.get(f"/open311/v2/requests/{b}.json").json()[0]["service_code"]

    def ids(query: str) -> set[str]:
        r = client.get("/open311/v2/requests.json" + query)
        assert r.status_code == 200, r.text
        check_schema(r.json(), "Request")
        return {x["service_request_id"] for x in r.json()}

    assert ids("") == {a, b}
    assert ids("?status=open") == {a} and ids("?status=closed") == {b} and ids("?status=open,closed") == {a, b}
    assert ids(f"?service_code={code_b}") == {b}
    assert ids(f"?service_request_id={a},{b}&status=open") == {a, b}  # the ids override every other filter
    assert ids("?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z") == set()
    assert ids("?start_date=2020-01-01") == set()  # 90 days from the start only
    assert ids("?end_date=2100-01-01T00:00:00+08:00") == set()  # the 90 days before the end only
    json_all = client.get("/open311/v2/requests.json").json()
    assert xml_requests(client.get("/open311/v2/requests.xml").text) == [
        {k: str(v) for k, v in r.items()} for r in json_all]

    errors(client.get("/open311/v2/requests.json?start_date=yesterday"), 400, "open311.bad_date")
    errors(client.get("/open311/v2/requests.json?start_date=2026-01-01T10:00:00"), 400, "open311.bad_date")
    errors(client.get("/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-06-01"), 400,
           "open311.span_too_long")
    errors(client.get("/open311/v2/requests.json?status=pending"), 400, "open311.bad_status")
    errors(client.get("/open311/v2/requests.json?service_code=Z0000"), 400, "open311.unknown_service")
    errors(client.get("/open311/v2/requests/SSP19990101000001.json"), 404, "open311.request_not_found")
    errors(client.get("/open311/v2/tokens/nope.json"), 404, "open311.token_not_found")


def test_unpublished_citizen_reports_stay_private(client: Any) -> None:
    citizen = login(client, "citizen01")
    lng, lat = point_in("ZR01")
    r = client.post("/api/v1/reports", json={"lng": lng, "lat": lat, "description": "我家门口的井盖坏了 13800000000"},
                    headers=citizen)
    assert r.status_code == 201
    assert client.get(f"/open311/v2/requests/{r.json()['tracking_no']}.json").status_code == 404
    assert client.get("/open311/v2/requests.json").json() == []


@pytest.mark.parametrize("case", [
    ({"service_code": "X9999"}, 400, "open311.unknown_service"),
    ({"service_code": None}, 400, "open311.service_code_required"),
    ({"lat": None, "long": None}, 400, "open311.location_required"),
    ({"lat": None, "long": None, "address_string": "火星大道九十九号"}, 400, "open311.address_not_found"),
    ({"lat": None, "long": None, "address_id": "A-17"}, 400, "open311.address_not_supported"),
    ({"lat": "27.7", "long": None}, 400, "open311.bad_location"),
    ({"lat": "north"}, 400, "open311.bad_location"),
    ({"lat": 39.9, "long": 116.4}, 400, "location.outside_city"),
    ({"attribute[colour]": "red"}, 400, "open311.bad_attribute"),
    ({"attribute[condition]": "9"}, 400, "open311.bad_attribute"),
    ({"attribute[hazard][]": ["fire"]}, 400, "open311.bad_attribute"),
    ({"media_url": "https://example.com/a.jpg"}, 400, "open311.media_host_refused"),
    ({"api_key": "o311_wrong"}, 403, "open311.bad_api_key"),
    ({"api_key": None}, 403, "open311.bad_api_key"),
    ({"nickname": "x"}, 400, "open311.unknown_parameter"),
])
def test_bad_posts_store_nothing(client: Any, case: tuple[dict[str, Any], int, str]) -> None:
    fields, status, code = case
    key = new_client(client)["api_key"]
    r = post(client, key, **{"api_key": key, **fields})
    description = errors(r, status, code)
    assert " / " in description  # Chinese, then English
    assert stored(client) == (0, 0)


def test_disabled_client_and_rate_limit(client: Any) -> None:
    made = new_client(client, rate_per_minute=2)
    assert post(client, made["api_key"]).status_code == 200
    assert post(client, made["api_key"]).status_code == 200
    r = post(client, made["api_key"])
    errors(r, 429, "open311.rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    admin = login(client, "admin")
    listed = client.get("/api/v1/admin/api-clients", headers=admin).json()
    assert [c["name"] for c in listed] == ["hotline12345"] and listed[0].get("api_key") is None
    r = client.patch(f"/api/v1/admin/api-clients/{made['id']}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    errors(post(client, made["api_key"]), 403, "open311.bad_api_key")
    for action in ("interop.client_created", "interop.client_changed"):
        audit = client.get("/api/v1/admin/audit", params={"action": action}, headers=admin).json()
        assert [(a["target"], a["actor_name"]) for a in audit] == [(f"api_client:{made['id']}", "admin")]
    posted = client.get("/api/v1/admin/audit", params={"action": "interop.open311_request"}, headers=admin).json()
    assert [a["actor_name"] for a in posted] == ["hotline12345", "hotline12345"]  # the client's own trail
    # not for other roles
    r = client.post("/api/v1/admin/api-clients", json={"name": "x1"}, headers=login(client, "dispatcher01"))
    assert r.status_code == 403


def test_media_url_from_an_allowed_host(settings: Any, receiver: Receiver) -> None:
    from litestar.testing import TestClient

    from backend.app import create_app

    receiver.routes["/photo.jpg"] = ("image/jpeg", PHOTO.read_bytes())
    receiver.routes["/page.html"] = ("text/html", b"<html>hi</html>")
    receiver.routes["/fake.jpg"] = ("image/jpeg", b"<html>not a jpeg</html>")
    host = receiver.url.removeprefix("http://")
    with TestClient(create_app(settings.with_(open311_media_hosts=host))) as client:
        key = new_client(client)["api_key"]
        errors(post(client, key, media_url=receiver.url + "/page.html"), 400, "open311.media_not_image")
        r = post(client, key, media_url=receiver.url + "/fake.jpg")
        assert r.status_code in (400, 415) and "[photo." in r.json()[0]["description"]
        assert stored(client) == (0, 0)
        r = post(client, key, media_url=receiver.url + "/photo.jpg")
        assert r.status_code == 200, r.text
        staff = login(client, "operator01")
        case = client.get(f"/api/v1/cases/track/{r.json()[0]['service_request_id']}", headers=staff).json()
        assert len(case["photos"]) == 1


def test_listed_in_the_openapi_schema(client: Any) -> None:
    # a handler serving .json and .xml needs one operation id per path, or the whole schema answers 500
    r = client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"/open311/v2/services.json", "/open311/v2/services.xml", "/api/v1/admin/webhooks"} <= set(paths)


def test_public_reads_are_limited_per_address(settings: Any) -> None:
    from litestar.testing import TestClient

    from backend.app import create_app

    with TestClient(create_app(settings.with_(open311_rate_per_ip=3))) as client:
        for _ in range(3):
            assert client.get("/open311/v2/services.json").status_code == 200
        r = client.get("/open311/v2/services.xml")
        assert r.status_code == 429 and r.headers.get("retry-after")
        assert ET.fromstring(r.text).findtext("error/code") == "429"
        assert client.get("/api/v1/public/cases").status_code == 200  # other parts of the API are not affected


def test_credentials_in_the_url_are_refused(client: Any) -> None:
    key = new_client(client)["api_key"]
    r = client.get(f"/open311/v2/requests.json?api_key={key}")
    errors(r, 400, "auth.credential_in_url")


def test_an_address_alone_is_placed_through_the_gazetteer(client: Any) -> None:
    """A hotline knows the street address, not the coordinates: address_string alone is looked up by name."""
    key = new_client(client)["api_key"]
    staff = login(client, "operator01")
    place = client.get("/api/v1/places/search", params={"q": "乐坪街道", "limit": 1}, headers=staff).json()["results"][0]
    r = post(client, key, lat=None, long=None, address_string="乐坪街道")
    assert r.status_code in (200, 201), r.text
    tracking = r.json()[0]["service_request_id"]
    case = client.get(f"/api/v1/cases/track/{tracking}", headers=staff).json()
    case = get_case(client, staff, case["id"])
    assert (round(case["lat"], 6), round(case["lng"], 6)) == (round(place["lat"], 6), round(place["lng"], 6))
    assert case["address"] == "乐坪街道" and case["source"] == "open311"
