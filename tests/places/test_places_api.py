"""The places API on the seeded demo city (SQLite and PostgreSQL): search, reverse geocoding, bad input as stable
codes in both languages, and the demo base map's layers."""

from __future__ import annotations

import pytest

from backend import places
from tests.helpers import point_in


def test_search_by_chinese_pinyin_and_initials(client):
    for q in ("乐坪街道", "leping", "lpjd"):
        body = client.get("/api/v1/places/search", params={"q": q}).json()
        top = body["results"][0]
        assert (top["kind"], top["name"], top["code"]) == ("street", "乐坪街道", "431302001")
        assert top["context"] == "娄星区" and len(top["bbox"]) == 4
    comp = client.get("/api/v1/places/search", params={"q": "LD-C0105-0001", "limit": 1}).json()["results"]
    assert [c["kind"] for c in comp] == ["component"]


def test_reverse_names_the_place_of_a_point_from_the_database(client):
    lng, lat = point_in("ZR01")
    r = client.get("/api/v1/places/reverse", params={"lat": lat, "lng": lng})
    assert r.status_code == 200
    a = r.json()
    assert a["responsibility_grid"] == "ZR01" and a["district"] == "娄星区" and a["street"] == "乐坪街道"
    assert a["text"].startswith("娄星区 乐坪街道 ") and a["community"] in a["text"] and a["outside_m"] == 0
    assert a["road"] and a["road"] in a["text"]
    # describe() answers the same once the gazetteer is loaded in this process
    assert places.describe(lat, lng).text == a["text"]


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"q": ""}, 422, "places.empty_query"),
    ({"q": "'; --"}, 422, "places.bad_query"),
    ({"q": "路" * 41}, 422, "places.query_too_long"),
    ({"q": "乐坪", "limit": 0}, 400, None),
    ({"q": "乐坪", "limit": 500}, 400, None),
])
def test_bad_searches_answer_4xx_with_a_stable_code(client, params, status, code):
    r = client.get("/api/v1/places/search", params=params)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["message_zh"] and err["message_en"] and err["code"]
    if code:
        assert err["code"] == code


@pytest.mark.parametrize(("lat", "lng", "code"), [
    ("91", "112", "geo.bad_coordinates"), ("27.7", "-181", "geo.bad_coordinates"),
    ("48.8566", "2.3522", "places.outside_city"), ("abc", "112", None), ("nan", "112", "geo.bad_coordinates"),
])
def test_bad_points_answer_4xx_with_a_stable_code(client, lat, lng, code):
    r = client.get("/api/v1/places/reverse", params={"lat": lat, "lng": lng})
    assert 400 <= r.status_code < 500
    err = r.json()["error"]
    assert err["message_zh"] and err["message_en"]
    if code:
        assert err["code"] == code


def test_base_map_layers_are_geojson_with_names(client):
    roads = client.get("/api/v1/places/layers/roads")
    assert roads.status_code == 200 and roads.headers["content-type"].startswith("application/geo+json")
    features = roads.json()["features"]
    assert len(features) >= 30 and all(f["properties"]["name"] for f in features)
    assert {f["geometry"]["type"] for f in features} == {"LineString"}
    marks = client.get("/api/v1/places/layers/landmarks").json()["features"]
    assert {f["properties"]["kind"] for f in marks} >= {"park", "school"}
