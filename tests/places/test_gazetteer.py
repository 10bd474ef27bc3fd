"""The gazetteer on the demo city's files: search by Chinese, pinyin, initials, code and with typos; reverse geocoding
names the district, street and community the unit grid index finds, and the nearest named road and landmark."""

from __future__ import annotations

import json
import math

import pytest

from backend.errors import InvalidInput
from backend.geo import haversine_m
from backend.org.loader import DEMO_CITY
from backend.places import Address, Place, Places, keys


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.from_folder(DEMO_CITY)


def _names(places: Places, q: str, n: int = 3) -> list[str]:
    return [h.place.name for h in places.search(q)[:n]]


@pytest.mark.parametrize("q", ["长青街道", "长青", "changqing", "ChangQing", "cqjd", "常青街道", "changqign", "ｃｑｊｄ"])
def test_a_street_is_found_by_chinese_pinyin_initials_homophone_and_typo(places, q):
    assert places.search(q)[0].place.name == "长青街道"


def test_roads_landmarks_grids_and_components_are_found(places):
    assert _names(places, "春晖")[0] == "春晖大道"
    assert _names(places, "chunhuidadao")[0] == "春晖大道"
    assert _names(places, "lbxx")[0] == "涟滨小学"
    top = places.search("ZR07")[0].place
    assert (top.kind, top.name) == ("responsibility_grid", "责任网格07")
    comp = places.search("LD-C0101-0001")[0].place
    assert (comp.kind, comp.name) == ("component", "上水井盖") and comp.context.startswith("娄底经济技术开发区")
    grid = places.search("431302001001001")[0].place
    assert grid.kind == "unit_grid" and grid.context == "娄星区 乐坪街道 和园社区"
    prefix = places.search("431302001001", limit=5)
    assert [h.place.code for h in prefix if h.place.kind == "unit_grid"] == [f"431302001001{i:03d}" for i in range(1, 5)]


def test_a_district_outranks_the_places_named_after_it(places):
    kinds = [h.place.kind for h in places.search("万宝", limit=4)]
    assert kinds[:2] == ["district", "street"] and "landmark" in kinds


def test_every_result_carries_a_point_inside_its_place(places):
    for h in places.search("社区", limit=20):
        a = places.describe(h.place.lat, h.place.lng)
        assert a.community == h.place.name and a.outside_m == 0


@pytest.mark.parametrize(("q", "code"), [("", "places.empty_query"), ("   ", "places.empty_query"),
                                         ("%%%!!", "places.bad_query"), ("a\x00b", "places.bad_query"),
                                         ("长" * 41, "places.query_too_long")])
def test_bad_queries_are_refused_with_a_stable_code(places, q, code):
    with pytest.raises(InvalidInput) as err:
        places.search(q)
    assert err.value.code == code and err.value.message_zh and err.value.message_en


def test_no_match_is_an_empty_list_not_an_error(places):
    assert places.search("xyzzyqwv") == []


def test_reverse_geocoding_names_the_area_and_the_nearest_named_road(places):
    roads = json.loads((DEMO_CITY / "roads.geojson").read_text(encoding="utf-8"))["features"]
    chunhui = next(f for f in roads if f["properties"]["name"] == "春晖大道")
    (lng, lat0), (_, lat1) = chunhui["geometry"]["coordinates"]
    lat = (lat0 + lat1) / 2
    a = places.describe(lat, lng + 0.0002)  # ~20 m east of the road
    assert isinstance(a, Address)
    assert a.road == "春晖大道" and 15 < a.road_m < 25
    assert a.text == f"{a.district} {a.street} {a.community} · 近春晖大道" + (f"、{a.landmark}" if a.landmark else "")
    assert a.district == "娄星区" and a.unit_grid.startswith(a.community_code) and a.responsibility_grid.startswith("ZR")


def test_a_landmark_close_by_is_named(places):
    marks = json.loads((DEMO_CITY / "landmarks.geojson").read_text(encoding="utf-8"))["features"]
    park = next(f for f in marks if f["properties"]["name"] == "乐坪公园")
    lng, lat = park["geometry"]["coordinates"]
    a = places.describe(lat + 0.0005, lng)  # ~55 m north
    assert a.landmark == "乐坪公园" and math.isclose(a.landmark_m, haversine_m(lng, lat, lng, lat + 0.0005), abs_tol=1)
    assert a.community_code == park["properties"]["community"] or a.outside_m == 0
    assert "乐坪公园" in a.text


def test_just_outside_the_city_says_how_far_and_far_away_is_refused(places):
    a = places.describe(27.73, 111.955)  # a few hundred metres west of the outline
    assert a.outside_m > 0 and a.text.endswith(f"服务区外 {round(a.outside_m)} 米")
    with pytest.raises(InvalidInput) as far:
        places.describe(48.8566, 2.3522)
    assert far.value.code == "places.outside_city" and far.value.details["distance_m"] > 3000
    for lat, lng in ((91, 112), (27.7, 181), (float("nan"), 112)):
        with pytest.raises(InvalidInput) as bad:
            places.describe(lat, lng)
        assert bad.value.code == "geo.bad_coordinates"


def test_a_place_added_after_a_fuzzy_search_is_found_with_a_typo_too():
    index = Places.from_folder(DEMO_CITY)
    assert index.search("changqign")  # builds the fuzzy pass's choices
    index.add(Place("landmark", "LM-TEST", "翠微湖公园", 112.0, 27.7))
    assert "翠微湖公园" in [h.place.name for h in index.search("cuiweihi")]  # a typo of cuiweihu


def test_initials_keep_every_character_of_a_run_that_is_not_chinese():
    assert keys.initials("长青街道") == "cqjd"
    assert keys.initials("A1路") == "a1l"  # not "al": each letter and digit stands for itself
