"""The gazetteer: every named place of the city (areas, roads, landmarks, grids, components) for search, and the index
that turns a point into an ``Address`` in a few tens of microseconds.

Reverse geocoding is one ``GridIndex.locate`` (the unit grid gives community, street and district) and two nearest
queries on STRtrees in local metres (named roads as lines, landmarks as points). Search compares a normalised query
with each place's keys (name, pinyin, initials, code; see keys.py): equal, prefix, contained, then rapidfuzz's ratio
for typos; a Chinese query is also compared by its pinyin, so a homophone typo (常青 for 长青) still finds the place.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from rapidfuzz import fuzz, process
from shapely.geometry import shape

from backend.errors import InvalidInput
from backend.geo import GridIndex, OutsideArea, UnitGrid, check_coordinates
from backend.places import keys as k
from backend.places.address import Address

# Further than this from every unit grid a point is not in this city (as triage decides for reports).
OUTSIDE_CITY_M = 3000.0
NEAR_ROAD_M = 300.0  # named roads are ~400 m apart in the demo city: every point has one within ~200 m
NEAR_LANDMARK_M = 200.0
MAX_QUERY = 40
MAX_LIMIT = 20
# Results of equal score: larger and better-known places first.
KINDS = ("district", "street", "community", "road", "landmark", "responsibility_grid", "component", "unit_grid")
_RANK = {kind: n for n, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Place:
    kind: str  # one of KINDS
    code: str
    name: str
    lng: float  # where to put the pin: a point on the place (a road's middle)
    lat: float
    context: str = ""  # the areas it lies in, e.g. 娄星区 乐坪街道
    bbox: tuple[float, float, float, float] | None = None  # w, s, e, n for areas and roads


@dataclass(frozen=True)
class Hit:
    place: Place
    score: float  # 0–100


class OutsideCity(InvalidInput):
    code = "places.outside_city"


def _query_error(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(zh, en, code=code, details=details)


def read_features(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return list(json.load(f)["features"])


def _area_place(kind: str, code: str, name: str, geometry: Any, context: str) -> Place:
    geom = geometry if isinstance(geometry, shapely.Geometry) else shape(geometry)
    p = geom.point_on_surface()
    return Place(kind, code, name, round(p.x, 6), round(p.y, 6), context, tuple(round(v, 6) for v in geom.bounds))


class Places:
    """Built once per process from the org tables (``load_places``) or a city folder (``from_folder``)."""

    def __init__(self, grids: GridIndex, names: Mapping[str, str], places: Iterable[Place],
                 roads: Iterable[tuple[str, Any]], landmarks: Iterable[tuple[str, float, float]]) -> None:
        self._grids = grids
        self._names = dict(names)  # district, street and community code → name
        proj = grids.projection
        road_list = list(roads)
        self._road_names = [name for name, _ in road_list]
        self._road_tree = shapely.STRtree([proj.geometry(shape(g) if isinstance(g, dict) else g) for _, g in road_list])
        marks = list(landmarks)
        self._landmark_names = [name for name, _, _ in marks]
        self._landmark_tree = shapely.STRtree([shapely.Point(proj.xy(lng, lat)) for _, lng, lat in marks])
        self._proj = proj
        self._places: list[Place] = []
        self._keys: list[tuple[str, ...]] = []  # name keys: compared exactly and, for typos, fuzzily
        self._codes: list[str] = []  # codes: compared exactly or by prefix only
        self._unit_grids: list[Place] = []  # searched by code prefix only (sorted on first use)
        self._unit_grids_sorted = True
        self._flat: list[tuple[str, int]] | None = None  # the fuzzy pass's choices, built on the first search
        self._choices: list[str] = []
        for place in places:
            self.add(place)

    def add(self, place: Place) -> None:
        if place.kind == "unit_grid":
            self._unit_grids.append(place)
            self._unit_grids_sorted = False
            return
        self._places.append(place)
        self._keys.append(k.name_keys(place.name))
        self._codes.append(k.normalise(place.code))
        self._flat = None  # a new place: the fuzzy pass's choices are rebuilt on the next search

    def __len__(self) -> int:
        return len(self._places) + len(self._unit_grids)

    # -- reverse geocoding -------------------------------------------------------------------------------

    def describe(self, lat: float, lng: float) -> Address:
        """The address of a WGS-84 point. Raises ``InvalidInput``: ``geo.bad_coordinates`` for a point that is not on
        Earth, ``places.outside_city`` for one more than OUTSIDE_CITY_M from every unit grid."""
        check_coordinates(lng, lat)
        found = self._grids.locate(lng, lat)
        outside = 0.0
        if isinstance(found, OutsideArea):
            if found.distance_m > OUTSIDE_CITY_M:
                raise OutsideCity(f"该位置不在本市服务范围内（距最近网格 {found.distance_m / 1000:.1f} 公里）",
                                  f"This point is outside the city's service area ({found.distance_m / 1000:.1f} km "
                                  "from the nearest grid)", details={"distance_m": round(found.distance_m, 1)})
            outside, loc = found.distance_m, found.nearest
        else:
            loc = found
        point = shapely.Point(self._proj.xy(lng, lat))
        road, road_m = self._nearest(self._road_tree, self._road_names, point, NEAR_ROAD_M)
        landmark, landmark_m = self._nearest(self._landmark_tree, self._landmark_names, point, NEAR_LANDMARK_M)
        names = self._names
        return Address(lng, lat, loc.district, names.get(loc.district, ""), loc.street, names.get(loc.street, ""),
                       loc.community, names.get(loc.community, ""), loc.unit_grid, loc.responsibility_grid,
                       road, road_m, landmark, landmark_m, round(outside, 1))

    @staticmethod
    def _nearest(tree: shapely.STRtree, names: list[str], point: Any, within: float) -> tuple[str, float | None]:
        if not names:
            return "", None
        idx, dist = tree.query_nearest(point, max_distance=within, return_distance=True)
        if len(idx) == 0:
            return "", None
        best = min(zip(dist.tolist(), idx.tolist()))  # ties: the first in data order
        return names[best[1]], round(best[0], 1)

    # -- search ------------------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 8) -> list[Hit]:
        """Places matching ``query`` (Chinese, pinyin, initials or a code; typos tolerated), best first.
        Raises ``InvalidInput`` (``places.empty_query``, ``places.query_too_long``, ``places.bad_query``,
        ``places.bad_limit``)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise _query_error("places.bad_limit", f"结果数须在 1 到 {MAX_LIMIT} 之间",
                               f"limit must be between 1 and {MAX_LIMIT}", limit=limit)
        raw = query.strip()
        if not raw:
            raise _query_error("places.empty_query", "请输入要查找的地名", "Type a place name to search for")
        if len(raw) > MAX_QUERY:
            raise _query_error("places.query_too_long", f"地名最多 {MAX_QUERY} 个字",
                               f"A place name has at most {MAX_QUERY} characters", length=len(raw))
        q = k.normalise(raw)
        if not k.meaningful(q) or any(ord(c) < 32 for c in raw):
            raise _query_error("places.bad_query", "请用汉字、拼音或编号查找地名",
                               "Search with Chinese characters, pinyin or a code")
        forms = [q, k.pinyin(q)] if k.has_cjk(q) else [q]
        scores: dict[int, float] = {}
        for i, place_keys in enumerate(self._keys):
            best = 0.0
            code = self._codes[i]
            if code == q or (len(q) >= 2 and code.startswith(q)):
                best = 100.0 if code == q else 90.0 + 8.0 * len(q) / len(code)
            for key in place_keys:
                for form in forms:
                    if key == form:
                        s = 100.0
                    elif key.startswith(form):
                        s = 90.0 + 8.0 * len(form) / len(key)
                    elif len(form) >= 2 and form in key:
                        s = 80.0
                    else:
                        continue
                    best = max(best, s if form is q else s - 5)  # a match by sound ranks below one by characters
            if best:
                scores[i] = best
        if len(q) >= 3 and not q.isdigit():  # typos: a fuzzy ratio, always below an exact, prefix or contained match
            flat = self._flat
            if flat is None:
                flat = self._flat = [(key, i) for i, ks in enumerate(self._keys) for key in ks]
                self._choices = [key for key, _ in flat]
            choices = self._choices
            for form in forms:
                for _, ratio, j in process.extract(form, choices, scorer=fuzz.ratio, score_cutoff=75, limit=50):
                    i = flat[j][1]
                    scores[i] = max(scores.get(i, 0.0), ratio * 0.78)
        hits = [Hit(self._places[i], round(s, 1)) for i, s in scores.items()]
        if q.isdigit() and len(q) >= 9:
            if not self._unit_grids_sorted:
                self._unit_grids.sort(key=lambda p: p.code)
                self._unit_grids_sorted = True
            start = bisect.bisect_left(self._unit_grids, q, key=lambda p: p.code)
            for place in self._unit_grids[start : start + limit]:
                if not place.code.startswith(q):
                    break
                hits.append(Hit(place, 100.0 if place.code == q else 90.0))
        hits.sort(key=lambda h: (-h.score, _RANK[h.place.kind], len(h.place.name), h.place.code))
        return hits[:limit]

    # -- building ----------------------------------------------------------------------------------------

    @classmethod
    def build(cls, districts: list[dict[str, Any]], streets: list[dict[str, Any]], communities: list[dict[str, Any]],
              unit_grids: list[dict[str, Any]], responsibility_grids: list[dict[str, Any]],
              components: list[dict[str, Any]], roads: list[dict[str, Any]], landmarks: list[dict[str, Any]],
              grids: GridIndex | None = None) -> Places:
        """From plain records: areas and grids ``{code, name?, geometry, …}``; components ``{code, name, lng, lat}``;
        roads and landmarks as GeoJSON features (roads.geojson, landmarks.geojson in a city folder). ``grids``: an
        index of these same unit grids when the caller has one (triage does), else one is built."""
        names = {r["code"]: r["name"] for r in (*districts, *streets, *communities)}
        geoms = shapely.from_geojson([json.dumps(g["geometry"]) for g in unit_grids])
        if grids is None:
            grids = GridIndex.build(UnitGrid(g["code"], geom, responsibility_grid=g.get("responsibility_grid") or "")
                                    for g, geom in zip(unit_grids, geoms))

        def chain(code: str) -> str:
            """The names of the district, street and community that ``code`` is or lies in."""
            return " ".join(names[code[:n]] for n in (6, 9, 12) if n <= len(code) and code[:n] in names)

        parent_len = {"district": 0, "street": 6, "community": 9}
        places = [_area_place(kind, r["code"], r["name"], r["geometry"], chain(r["code"][: parent_len[kind]]))
                  for kind, rows in (("district", districts), ("street", streets), ("community", communities))
                  for r in rows]
        points, bounds = shapely.get_coordinates(shapely.point_on_surface(geoms)), shapely.bounds(geoms).round(6)
        places += [Place("unit_grid", g["code"], f"单元网格 {g['code']}", round(float(x), 6), round(float(y), 6),
                         chain(g["code"][:12]), tuple(b)) for g, (x, y), b in zip(unit_grids, points, bounds.tolist())]
        road_lines = []
        for f in roads:
            geom, props = shape(f["geometry"]), f["properties"]
            mid = geom.interpolate(0.5, normalized=True)
            places.append(Place("road", props["code"], props["name"], round(mid.x, 6), round(mid.y, 6), "",
                                tuple(round(v, 6) for v in geom.bounds)))
            road_lines.append((props["name"], geom))
        marks = [(f["properties"], *f["geometry"]["coordinates"]) for f in landmarks]
        index = cls(grids, names, places, road_lines, [(p["name"], lng, lat) for p, lng, lat in marks])
        for props, lng, lat in marks:
            index.add(Place("landmark", props["code"], props["name"], lng, lat, index.describe(lat, lng).text))
        for r in responsibility_grids:
            index.add(_area_place("responsibility_grid", r["code"], r["name"], r["geometry"], chain(r.get("street", ""))))
        for c in components:
            where = index.describe(c["lat"], c["lng"])
            index.add(Place("component", c["code"], c["name"], c["lng"], c["lat"], where.text))
        return index

    @classmethod
    def from_folder(cls, folder: Path) -> Places:
        """From a city's data files (the demo city's format: backend/demo/data/loudi/README.md)."""

        def rows(name: str) -> list[dict[str, Any]]:
            return [{**f["properties"], "geometry": f["geometry"]} for f in read_features(folder / name)]

        components = [{"code": f["properties"]["id"], "name": f["properties"]["name"],
                       "lng": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
                      for f in read_features(folder / "components.geojson")]
        return cls.build(rows("districts.geojson"), rows("streets.geojson"), rows("communities.geojson"),
                         rows("unit_grids.geojson"), rows("responsibility_grids.geojson"), components,
                         read_features(folder / "roads.geojson"), read_features(folder / "landmarks.geojson"))
