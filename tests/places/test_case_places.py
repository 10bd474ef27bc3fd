"""Place names stored with the case (issue 16): written when the case is made, shown to the reporter and to staff,
searchable by name and, in the gazetteer, by tracking number for staff; older cases named by the backfill; the
gazetteer shared by every app the process builds."""

from __future__ import annotations

import asyncio

from litestar.testing import TestClient

from backend.app import create_app
from backend.cases.tables import Case
from backend.cli import _with_db, places_backfill
from backend.places import service
from tests.helpers import get_case, login, point_in, report


def test_a_new_case_stores_its_place_and_everyone_sees_it(client):
    citizen = login(client, "citizen01")
    case = report(client, citizen, grid="ZR01", address="我家楼下")
    assert case["view"] == "reporter"
    assert case["place_text"].startswith("娄星区 乐坪街道 ") and " · 近" in case["place_text"]
    assert case["address"] == "我家楼下"  # what they wrote stays as they wrote it
    staff = client.get(f"/api/v1/cases/{case['id']}", headers=login(client, "operator01")).json()
    assert staff["place_text"] == case["place_text"]
    place = staff["place"]
    assert (place["district"], place["street"]) == ("娄星区", "乐坪街道")
    assert place["unit_grid"] and place["community"] in staff["place_text"] and place["road"] in staff["place_text"]
    assert place["outside_m"] == 0
    # The same name the places API gives for the point.
    lng, lat = point_in("ZR01")
    assert client.get("/api/v1/places/reverse", params={"lat": lat, "lng": lng}).json()["text"] == staff["place_text"]


def test_staff_find_cases_by_place_name_and_tracking_number(client):
    citizen, operator = login(client, "citizen01"), login(client, "operator01")
    here = report(client, citizen, grid="ZR01")
    there = report(client, citizen, grid="ZR20")
    here = get_case(client, operator, here["id"])  # the place's parts are for staff (a reporter gets its name)
    road = here["place"]["road"]

    def listed(q: str) -> set[int]:
        r = client.get("/api/v1/cases", params={"view": "all", "q": q}, headers=operator)
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    street = here["place"]["street"]
    assert here["id"] in listed(street) and (there["id"] in listed(street)) == (street in there["place_text"])
    assert here["id"] in listed(road)
    assert listed(here["tracking_no"]) == {here["id"]}
    assert listed("无此地名路") == set()
    assert listed("%") == {here["id"], there["id"]}  # a wildcard alone is no filter, not an error
    bad = client.get("/api/v1/cases", params={"view": "all", "q": "乐坪\x00"}, headers=operator)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "case.bad_query")

    # The gazetteer's search box finds a case by its number, for staff who may see it; not for a citizen.
    hits = client.get("/api/v1/places/search", params={"q": here["tracking_no"]}, headers=operator).json()["results"]
    assert hits[0]["kind"] == "case" and hits[0]["code"] == here["tracking_no"]
    assert hits[0]["context"] == here["place_text"] and abs(hits[0]["lat"] - here["lat"]) < 1e-9
    for headers in (citizen, {}):
        hits = client.get("/api/v1/places/search", params={"q": here["tracking_no"]}, headers=headers).json()
        assert all(h["kind"] != "case" for h in hits["results"])


def test_the_backfill_names_cases_made_before_names_were_stored(settings):
    with TestClient(create_app(settings)) as client:
        case = report(client, login(client, "citizen01"), grid="ZR01")
        case = get_case(client, login(client, "operator01"), case["id"])
    assert case["place_text"]

    async def forget(_engine: object) -> None:
        await Case.update({Case.place_text: "", Case.place: {}}).where(Case.id == case["id"])

    asyncio.run(_with_db(settings, forget))
    assert asyncio.run(places_backfill(settings)) == 1
    assert asyncio.run(places_backfill(settings)) == 0  # nothing left to name
    with TestClient(create_app(settings)) as client:
        again = client.get(f"/api/v1/cases/{case['id']}", headers=login(client, "operator01")).json()
    assert again["place_text"] == case["place_text"] and again["place"] == case["place"]
    assert again["version"] == case["version"]  # a stored field, not a change anyone is told about


def test_every_app_in_the_process_shares_one_gazetteer_until_the_city_changes(settings):
    async def twice(_engine: object) -> tuple[object, object, str]:
        first = await service.shared_places(settings)
        second = await service.shared_places(settings)
        await Case.raw("UPDATE component SET name = {} WHERE id = (SELECT min(id) FROM component)", "改名的部件")
        return first, second, await service.city_signature(settings)

    before = asyncio.run(_with_db(settings, lambda _engine: service.city_signature(settings)))
    first, second, after = asyncio.run(_with_db(settings, twice))
    assert first is not None and first is second
    assert after != before  # a renamed component is a different city: the next check builds again
