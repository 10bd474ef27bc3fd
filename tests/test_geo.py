"""Point → unit grid lookup, outside-area suggestions and component snapping."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPoint, box

from backend.errors import InvalidInput
from backend.geo import (
    Component,
    ComponentIndex,
    GridIndex,
    Location,
    OutsideArea,
    UnitGrid,
    components_from_csv,
    components_from_geojson,
    haversine_m,
    unit_grids_from_geojson,
)

LNG0, LAT0, DX, DY = 112.0, 27.73, 0.001, 0.0009  # cells of about 99 m x 100 m in Loudi


def cell(i: int, j: int) -> shapely.Polygon:
    return box(LNG0 + i * DX, LAT0 + j * DY, LNG0 + (i + 1) * DX, LAT0 + (j + 1) * DY)


def lattice(n: int = 3, skip: tuple[int, int] | None = None) -> list[UnitGrid]:
    """n x n cells; cell (i, j) gets serial i*10+j. Listed in reverse so the index cannot rely on input order."""
    grids = [
        UnitGrid(f"431302001002{i * 10 + j:03d}", cell(i, j), responsibility_grid=f"ZR{i + 1:02d}")
        for i in range(n) for j in range(n) if (i, j) != skip
    ]
    return grids[::-1]


def test_interior_point_resolves_whole_hierarchy() -> None:
    index = GridIndex.build(lattice())
    found = index.locate(LNG0 + 1.5 * DX, LAT0 + 2.5 * DY)
    assert found == Location("431302001002012", "431302001002", "431302001", "431302", "ZR02")
    assert index.in_service_area(LNG0 + 1.5 * DX, LAT0 + 2.5 * DY)


def test_shared_edges_and_vertices_pick_the_smallest_code() -> None:
    index = GridIndex.build(lattice())
    # vertical edge between cells (0,1) and (1,1), horizontal edge between (1,0) and (1,1), and a 4-cell vertex
    assert index.locate(LNG0 + DX, LAT0 + 1.5 * DY).unit_grid == "431302001002001"  # type: ignore[union-attr]
    assert index.locate(LNG0 + 1.5 * DX, LAT0 + DY).unit_grid == "431302001002010"  # type: ignore[union-attr]
    assert index.locate(LNG0 + 2 * DX, LAT0 + 2 * DY).unit_grid == "431302001002011"  # type: ignore[union-attr]
    # the outer boundary still belongs to the service area
    assert index.locate(LNG0, LAT0).unit_grid == "431302001002000"  # type: ignore[union-attr]


def test_point_outside_suggests_the_nearest_grid_with_distance() -> None:
    index = GridIndex.build(lattice())
    lng, lat = LNG0 + 3 * DX + 0.001, LAT0 + 1.5 * DY  # about 99 m east of the east edge, level with cell (2,1)
    found = index.locate(lng, lat)
    assert isinstance(found, OutsideArea)
    assert found.nearest_unit_grid == "431302001002021" and found.nearest.street == "431302001"
    assert found.distance_m == pytest.approx(haversine_m(LNG0 + 3 * DX, lat, lng, lat), rel=1e-3)
    assert not index.in_service_area(lng, lat)


def test_a_hole_in_the_grid_is_outside() -> None:
    index = GridIndex.build(lattice(skip=(1, 1)))
    found = index.locate(LNG0 + 1.5 * DX, LAT0 + 1.2 * DY)
    assert isinstance(found, OutsideArea)
    assert found.nearest_unit_grid == "431302001002010"  # the cell below is 0.2 cells away, closest
    assert found.distance_m == pytest.approx(0.2 * DY * 111_195, rel=1e-2)


def test_tuples_with_geojson_and_bad_data() -> None:
    geojson = {"type": "Polygon", "coordinates": [[[112, 27.73], [112.001, 27.73], [112.001, 27.731], [112, 27.73]]]}
    index = GridIndex.build([("431302001002001", geojson, "431302001002", "431302001", "431302", "ZR01")])
    assert index.location("431302001002001").responsibility_grid == "ZR01"
    with pytest.raises(InvalidInput) as dup:
        GridIndex.build(lattice() + lattice())
    assert dup.value.code == "geo.bad_data"
    bowtie = shapely.Polygon([(112, 27.73), (112.001, 27.731), (112.001, 27.73), (112, 27.731)])
    with pytest.raises(InvalidInput):
        GridIndex.build([UnitGrid("431302001002001", bowtie)])


@pytest.mark.parametrize(("lng", "lat"), [(float("nan"), 27.7), (200.0, 27.7), (112.0, -91.0), (float("inf"), 0.0)])
def test_invalid_coordinates_are_refused(lng: float, lat: float) -> None:
    with pytest.raises(InvalidInput) as err:
        GridIndex.build(lattice()).locate(lng, lat)
    assert err.value.code == "geo.bad_coordinates"


def test_irregular_grids_match_a_naive_scan_including_vertices() -> None:
    rng = random.Random(7)
    area = box(LNG0, LAT0, LNG0 + 0.03, LAT0 + 0.03)
    seeds = MultiPoint([(rng.uniform(LNG0, LNG0 + 0.03), rng.uniform(LAT0, LAT0 + 0.03)) for _ in range(400)])
    cells = [c.intersection(area) for c in shapely.voronoi_polygons(seeds, extend_to=area).geoms]
    codes = [f"431302001003{n:03d}" for n in rng.sample(range(1000), len(cells))]
    index = GridIndex.build(UnitGrid(code, c) for code, c in zip(codes, cells))
    vertices = [xy for c in cells[:60] for xy in c.exterior.coords]
    points = vertices + [(rng.uniform(LNG0 - 0.002, LNG0 + 0.032), rng.uniform(LAT0 - 0.002, LAT0 + 0.032))
                         for _ in range(2000)]
    code_array, cell_array = np.array(codes), np.array(cells, dtype=object)
    for lng, lat in points:
        covering = sorted(code_array[shapely.covers(cell_array, shapely.Point(lng, lat))])
        found = index.locate(lng, lat)
        if covering:
            assert isinstance(found, Location) and found.unit_grid == covering[0]
        else:
            assert isinstance(found, OutsideArea) and found.distance_m > 0


def components() -> list[Component]:
    east = 1 / (111_195 * np.cos(np.radians(LAT0)))  # degrees of longitude per metre
    return [
        Component("C-001", "C0101", LNG0 + 10 * east, LAT0, owner="ld_water", maintainer="ld_water"),
        Component("C-002", "C0102", LNG0 + 5 * east, LAT0, owner="ld_drainage", maintainer="ld_drainage"),
        Component("C-003", "C0101", LNG0 + 30 * east, LAT0, owner="ld_water"),
        Component("C-000", "C0101", LNG0 - 10 * east, LAT0, owner="ld_water"),
    ]


def test_component_snapping_respects_radius_and_codes() -> None:
    index = ComponentIndex.build(components())
    any_code = index.nearest(LNG0, LAT0, radius_m=20)
    assert any_code is not None and any_code[0].id == "C-002" and any_code[1] == pytest.approx(5, abs=0.05)
    water = index.nearest(LNG0, LAT0, radius_m=20, compatible_codes={"C0101"})
    assert water is not None and water[0].id == "C-000"  # C-000 and C-001 tie at 10 m: smallest id wins
    assert water[0].owner == "ld_water"
    assert index.nearest(LNG0, LAT0, radius_m=4) is None
    assert index.nearest(LNG0 + 0.0003, LAT0, radius_m=20, compatible_codes={"C0101"}) is not None
    assert index.nearest(LNG0, LAT0, radius_m=50, compatible_codes={"C0105"}) is None
    assert ComponentIndex.build([]).nearest(LNG0, LAT0, 20) is None


def test_components_load_from_csv_and_geojson() -> None:
    csv_text = "id,category,lng,lat,owner,maintainer\nC-9,C0137,112.01,27.73,ld_municipal,ld_municipal\n"
    assert components_from_csv(csv_text) == [Component("C-9", "C0137", 112.01, 27.73, "ld_municipal", "ld_municipal")]
    fc = {"features": [{"geometry": {"type": "Point", "coordinates": [112.01, 27.73]},
                        "properties": {"id": "C-9", "category": "C0137", "owner": "ld_municipal"}}]}
    assert components_from_geojson(fc)[0].owner == "ld_municipal"
    with pytest.raises(InvalidInput):
        components_from_csv("id,category,lng,lat\nC-9,C0137,east,27.73\n")


DEMO = Path(__file__).resolve().parents[1] / "backend" / "demo" / "data" / "loudi"


@pytest.mark.skipif(not (DEMO / "unit_grids.geojson").exists(), reason="demo city not generated")
def test_demo_city_is_consistent() -> None:
    grids = unit_grids_from_geojson(json.loads((DEMO / "unit_grids.geojson").read_text(encoding="utf-8")))
    index = GridIndex.build(grids)
    assert len(index) >= 3000
    assert len({g.responsibility_grid for g in grids}) == 39
    assert {g.district for g in grids} == {"431302", "431371", "431372"}
    area_km2 = sum(index.projection.geometry(shapely.from_geojson(json.dumps(g.geometry))).area for g in grids) / 1e6
    assert 45 < area_km2 < 55
    found = index.locate(112.0, 27.73)  # central Loudi
    assert isinstance(found, Location)
    units = {u["code"] for u in json.loads((DEMO / "units.json").read_text(encoding="utf-8"))["units"]}
    comps = components_from_geojson(json.loads((DEMO / "components.geojson").read_text(encoding="utf-8")))
    assert len(comps) >= 200
    assert all(index.in_service_area(c.lng, c.lat) and {c.owner, c.maintainer} <= units for c in comps)
