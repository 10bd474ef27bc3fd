"""The organisation API: boundaries as GeoJSON, bbox limits, units for staff, component import for admins."""

from __future__ import annotations

from tests.helpers import login, point_in
from tests.triage.triage_helpers import submit


def test_boundaries_and_unit_grids_by_bbox(client):
    districts = client.get("/api/v1/org/districts").json()
    assert districts["type"] == "FeatureCollection" and len(districts["features"]) == 3
    assert len(client.get("/api/v1/org/streets").json()["features"]) == 10
    grids = client.get("/api/v1/org/responsibility-grids").json()["features"]
    assert {g["properties"]["code"] for g in grids} >= {"ZR01", "ZR39"}
    lng, lat = point_in("ZR01")
    box = f"{lng - 0.002},{lat - 0.002},{lng + 0.002},{lat + 0.002}"
    cells = client.get("/api/v1/org/unit-grids", params={"bbox": box}).json()["features"]
    assert 4 <= len(cells) <= 40 and all(len(c["properties"]["code"]) == 15 for c in cells)
    r = client.get("/api/v1/org/unit-grids", params={"bbox": "111.9,27.6,112.1,27.8"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "org.bbox_too_large"
    assert client.get("/api/v1/org/unit-grids", params={"bbox": "a,b"}).json()["error"]["code"] == "org.bad_bbox"


def test_units_are_for_staff_and_components_import_routes_new_reports(client):
    citizen, admin, sup = login(client, "citizen01"), login(client, "admin"), login(client, "supervisor01")
    assert client.get("/api/v1/org/units", headers=citizen).status_code == 403
    lng, lat = point_in("ZR20")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
               "properties": {"id": "T-C0111-0001", "category": "C0111", "owner": "ld_gas", "maintainer": "ld_gas"}}
    body = {"type": "FeatureCollection", "features": [feature]}
    assert client.post("/api/v1/org/components/import", json=body, headers=sup).status_code == 403
    r = client.post("/api/v1/org/components/import", json=body, headers=admin)
    assert r.status_code == 200 and r.json() == {"added": 1, "updated": 0}, r.text
    assert client.post("/api/v1/org/components/import", json=body, headers=admin).json() == {"added": 0, "updated": 1}
    # The same checks as the organisation data import (one path): a point outside every unit grid is refused too.
    outside = {**feature, "geometry": {"type": "Point", "coordinates": [100.0, 30.0]}}
    r = client.post("/api/v1/org/components/import", json={"type": "FeatureCollection", "features": [outside]},
                    headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "component.bad_data"
    assert r.json()["error"]["details"]["problems"][0]["field"] == "geometry"
    bad = {**feature, "properties": {**feature["properties"], "owner": "nobody"}}
    r = client.post("/api/v1/org/components/import", json={"type": "FeatureCollection", "features": [bad]},
                    headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "component.bad_data"
    found = client.get("/api/v1/org/components", params={"bbox": f"{lng - 0.001},{lat - 0.001},{lng + 0.001},{lat + 0.001}"},
                       headers=sup).json()["features"]
    assert "T-C0111-0001" in [f["properties"]["id"] for f in found]
    case = submit(client, sup, lng, lat, category_code="C0111", description="燃气井盖破损")
    assert case["suggested_unit"]["code"] == "ld_gas" and case["routing_rule"].endswith("部件→权属单位")
