"""Where a point falls (unit grid → community → street → district) and which surveyed component it is next to.

``GridIndex.locate`` answers from a uniform bucket grid laid over the service area: a bucket that lies wholly inside
one unit grid answers without any geometry test; the others test their few candidate polygons with
``shapely.intersects_xy`` (for a point, intersecting a polygon is the same as being covered by it, boundary included).
Candidates are kept in code order, so a point on a shared edge or vertex always resolves to the smallest code.
Distances use a local equirectangular projection, accurate to well under 0.1% across a city.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from backend.errors import InvalidInput

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG = math.pi / 180 * EARTH_RADIUS_M


def check_coordinates(lng: float, lat: float) -> None:
    """Raise ``InvalidInput`` (code ``geo.bad_coordinates``) unless ``lng``/``lat`` are finite WGS-84 degrees."""
    if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90):
        raise InvalidInput(
            f"坐标无效：经度 {lng}，纬度 {lat}", f"Invalid coordinates: lng {lng}, lat {lat}",
            code="geo.bad_coordinates", details={"lng": lng, "lat": lat},
        )


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular metres around (lng0, lat0): x east, y north."""

    lng0: float
    lat0: float

    def xy(self, lng: float, lat: float) -> tuple[float, float]:
        return (lng - self.lng0) * _M_PER_DEG * math.cos(math.radians(self.lat0)), (lat - self.lat0) * _M_PER_DEG

    def geometry(self, geom: Any) -> Any:
        """Project a geometry or an array of geometries."""
        kx, ky = _M_PER_DEG * math.cos(math.radians(self.lat0)), _M_PER_DEG
        return shapely.transform(geom, lambda c: (c - (self.lng0, self.lat0)) * (kx, ky))

    def distance_m(self, lng1: float, lat1: float, lng2: float, lat2: float) -> float:
        (x1, y1), (x2, y2) = self.xy(lng1, lat1), self.xy(lng2, lat2)
        return math.hypot(x2 - x1, y2 - y1)


@dataclass(frozen=True)
class Location:
    unit_grid: str
    community: str
    street: str
    district: str
    responsibility_grid: str


@dataclass(frozen=True)
class OutsideArea:
    """The point lies outside every unit grid; ``nearest`` is where it would be if moved ``distance_m`` metres."""

    nearest_unit_grid: str
    distance_m: float
    nearest: Location


@dataclass(frozen=True)
class UnitGrid:
    code: str
    geometry: Any  # a shapely polygon or a GeoJSON geometry mapping
    community: str = ""  # empty: the 12-digit prefix of ``code``
    street: str = ""  # empty: the 9-digit prefix
    district: str = ""  # empty: the 6-digit prefix
    responsibility_grid: str = ""


def _bad_data(zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(zh, en, code="geo.bad_data", details=details)


class GridIndex:
    """Point-in-unit-grid lookup over thousands of polygons in a few microseconds."""

    def __init__(self, locations: list[Location], geoms: np.ndarray, buckets_per_grid: int = 3) -> None:
        self._locations = locations
        self._by_code = {loc.unit_grid: i for i, loc in enumerate(locations)}
        self._geoms = geoms
        shapely.prepare(geoms)
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        self.projection = LocalProjection((minx + maxx) / 2, (miny + maxy) / 2)
        self._metric_tree = shapely.STRtree(self.projection.geometry(geoms))
        # Buckets a third of a typical grid wide, offset so that they do not line up with a regular lattice.
        b = shapely.bounds(geoms)
        size = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))) / buckets_per_grid
        size = max(size, math.sqrt((maxx - minx) * (maxy - miny) / 2_000_000), 1e-7)
        self._size, self._ox, self._oy = size, minx - 0.37 * size, miny - 0.37 * size
        self._nx, self._ny = int((maxx - self._ox) // size) + 1, int((maxy - self._oy) // size) + 1
        ix, iy = np.meshgrid(np.arange(self._nx), np.arange(self._ny))
        x0, y0 = self._ox + ix.ravel() * size, self._oy + iy.ravel() * size
        pad = size * 1e-6  # a point rounded into a neighbouring bucket still meets its polygons
        boxes = shapely.box(x0 - pad, y0 - pad, x0 + size + pad, y0 + size + pad)
        bucket, poly = shapely.STRtree(geoms).query(boxes, predicate="intersects")
        order = np.lexsort((poly, bucket))
        bucket, poly = bucket[order], poly[order]
        starts = np.searchsorted(bucket, np.arange(len(boxes) + 1))
        counts = np.diff(starts)
        single = np.flatnonzero(counts == 1)
        pure = single[shapely.covers(geoms[poly[starts[single]]], boxes[single])]
        self._fast: list[int] = [-1] * len(boxes)
        for bk in pure.tolist():
            self._fast[bk] = int(poly[starts[bk]])
        self._candidates: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(boxes)
        for bk in np.flatnonzero(counts > 0).tolist():
            if self._fast[bk] < 0:
                idx = poly[starts[bk] : starts[bk + 1]]
                self._candidates[bk] = (idx, geoms[idx])

    @classmethod
    def build(cls, unit_grids: Iterable[UnitGrid | tuple[Any, ...]], buckets_per_grid: int = 3) -> GridIndex:
        """Index ``UnitGrid`` records or ``(code, polygon | GeoJSON, community, street, district, responsibility_grid)``
        tuples. Raises ``InvalidInput`` (code ``geo.bad_data``) on duplicate codes or empty or invalid polygons."""
        records = sorted((g if isinstance(g, UnitGrid) else UnitGrid(*g) for g in unit_grids), key=lambda g: g.code)
        if not records:
            raise _bad_data("没有单元网格", "No unit grids to index")
        geoms, locations = [], []
        for i, g in enumerate(records):
            if i and records[i - 1].code == g.code:
                raise _bad_data(f"单元网格编码重复：{g.code}", f"Duplicate unit grid code {g.code}", code=g.code)
            geom = g.geometry if isinstance(g.geometry, BaseGeometry) else shape(g.geometry)
            if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
                raise _bad_data(f"单元网格 {g.code} 的多边形无效", f"Unit grid {g.code} has an invalid polygon", code=g.code)
            geoms.append(geom)
            locations.append(Location(g.code, g.community or g.code[:12], g.street or g.code[:9],
                                      g.district or g.code[:6], g.responsibility_grid))
        return cls(locations, np.array(geoms, dtype=object), buckets_per_grid)

    def __len__(self) -> int:
        return len(self._locations)

    def location(self, code: str) -> Location:
        """The unit grid with this code; ``KeyError`` when unknown."""
        return self._locations[self._by_code[code]]

    def _find(self, lng: float, lat: float) -> int:
        ix, iy = int((lng - self._ox) // self._size), int((lat - self._oy) // self._size)
        if not (0 <= ix < self._nx and 0 <= iy < self._ny):
            return -1
        bk = iy * self._nx + ix
        hit = self._fast[bk]
        if hit >= 0:
            return hit
        candidates = self._candidates[bk]
        if candidates is not None:
            hits = shapely.intersects_xy(candidates[1], lng, lat)
            if hits.any():
                return int(candidates[0][hits.argmax()])  # candidates are in code order: smallest code wins
        return -1

    def locate(self, lng: float, lat: float) -> Location | OutsideArea:
        """The unit grid covering the point (smallest code on shared edges), or the nearest one when none does."""
        check_coordinates(lng, lat)
        hit = self._find(lng, lat)
        if hit >= 0:
            return self._locations[hit]
        idx, dist = self._metric_tree.query_nearest(Point(self.projection.xy(lng, lat)), return_distance=True)
        best = min(zip(dist.tolist(), idx.tolist()))  # ties: smallest distance, then smallest code
        return OutsideArea(self._locations[best[1]].unit_grid, best[0], self._locations[best[1]])

    def in_service_area(self, lng: float, lat: float) -> bool:
        check_coordinates(lng, lat)
        return self._find(lng, lat) >= 0


@dataclass(frozen=True)
class Component:
    """A surveyed city asset (部件): ``category`` is its 小类 code, owner and maintainer are unit codes."""

    id: str
    category: str
    lng: float
    lat: float
    owner: str = ""
    maintainer: str = ""


class ComponentIndex:
    """Nearest surveyed component of a compatible 小类 within a radius, in metres."""

    def __init__(self, components: Iterable[Component], projection: LocalProjection | None = None) -> None:
        self._items = sorted(components, key=lambda c: c.id)
        if projection is None:
            lngs, lats = [c.lng for c in self._items] or [0.0], [c.lat for c in self._items] or [0.0]
            projection = LocalProjection((min(lngs) + max(lngs)) / 2, (min(lats) + max(lats)) / 2)
        self.projection = projection
        self._xy = np.array([projection.xy(c.lng, c.lat) for c in self._items], dtype=float).reshape(-1, 2)
        self._tree = shapely.STRtree(shapely.points(self._xy))

    @classmethod
    def build(cls, components: Iterable[Component], projection: LocalProjection | None = None) -> ComponentIndex:
        return cls(components, projection)

    def __len__(self) -> int:
        return len(self._items)

    def nearest(
        self, lng: float, lat: float, radius_m: float, compatible_codes: Collection[str] | None = None
    ) -> tuple[Component, float] | None:
        """The closest component within ``radius_m`` whose category is in ``compatible_codes`` (``None``: any),
        with its distance in metres; ties go to the smallest id. ``None`` when there is none."""
        check_coordinates(lng, lat)
        x, y = self.projection.xy(lng, lat)
        idx = self._tree.query(Point(x, y), predicate="dwithin", distance=radius_m)
        if compatible_codes is not None:
            idx = np.array([i for i in idx.tolist() if self._items[i].category in compatible_codes], dtype=int)
        if len(idx) == 0:
            return None
        dist = np.hypot(self._xy[idx, 0] - x, self._xy[idx, 1] - y)
        best = min(zip(dist.tolist(), idx.tolist()))
        return self._items[best[1]], best[0]


def unit_grids_from_geojson(collection: Mapping[str, Any]) -> list[UnitGrid]:
    """Read a FeatureCollection whose properties hold ``code`` and optionally ``community``, ``street``,
    ``district`` and ``responsibility_grid`` (see backend/demo/data/README.md)."""
    grids = []
    for n, feature in enumerate(collection.get("features", [])):
        props = feature.get("properties") or {}
        code = str(props.get("code", ""))
        if len(code) != 15 or not code.isdigit():
            raise _bad_data(f"第 {n} 个要素的单元网格编码无效", f"Feature {n}: unit grid code must be 15 digits", feature=n)
        grids.append(UnitGrid(code, feature.get("geometry"), str(props.get("community", "")),
                              str(props.get("street", "")), str(props.get("district", "")),
                              str(props.get("responsibility_grid", ""))))
    return grids


def _component(n: int, row: Mapping[str, Any], lng: Any, lat: Any) -> Component:
    try:
        comp = Component(str(row["id"]), str(row["category"]), float(lng), float(lat),
                         str(row.get("owner") or ""), str(row.get("maintainer") or ""))
        check_coordinates(comp.lng, comp.lat)
    except (KeyError, TypeError, ValueError, InvalidInput):
        raise _bad_data(f"第 {n} 条部件记录无效", f"Component record {n} is invalid", record=n) from None
    return comp


def components_from_geojson(collection: Mapping[str, Any]) -> list[Component]:
    """Point features with properties ``id``, ``category``, ``owner``, ``maintainer``."""
    out = []
    for n, feature in enumerate(collection.get("features", [])):
        coords = (feature.get("geometry") or {}).get("coordinates") or [None, None]
        out.append(_component(n, feature.get("properties") or {}, coords[0], coords[1]))
    return out


def components_from_csv(text: str) -> list[Component]:
    """CSV with a header row ``id,category,lng,lat,owner,maintainer``."""
    return [_component(n, row, row.get("lng"), row.get("lat")) for n, row in enumerate(csv.DictReader(io.StringIO(text)))]


# ---------------------------------------------------------------- GCJ-02 (the offset datum of Chinese web maps)

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lng: float, lat: float) -> bool:
    """The rough bounding box the GCJ-02 formula is applied in (the published convention, not the border)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """Return ``(lng, lat)`` in GCJ-02 for Chinese basemaps (AMap, Tencent); points outside China are unchanged."""
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _delta_lat(lng - 105.0, lat - 35.0)
    dlng = _delta_lng(lng - 105.0, lat - 35.0)
    radlat = math.radians(lat)
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat
