"""Organisation data files: every bad row reported (line, field, reason in both languages) and nothing half-imported;
exports read back unchanged; an import from another process takes effect without a restart; bulk user import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import login, point_in

ROOT = Path(__file__).resolve().parents[2]
UNITS_HEADER = "code,name,kind,contact,phone,categories,areas,active\n"


def _import(client: Any, admin: dict[str, str], dataset: str, body: bytes | str, name: str = "", dry: bool = False):
    data = body.encode() if isinstance(body, str) else body
    return client.post(f"/api/v1/org/transfer/{dataset}", params={"filename": name, "dry_run": dry}, content=data,
                       headers=admin)


def _problems(r: Any) -> list[tuple[int, str]]:
    assert r.status_code == 422, r.text
    problems = r.json()["error"]["details"]["problems"]
    assert all(p["reason_zh"] and p["reason_en"] for p in problems)
    return sorted({(p["line"], p["field"]) for p in problems})


def _square(lng: float, lat: float, d: float = 0.001) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d],
                                                [lng, lat]]]}


def _collection(*features: tuple[dict[str, Any], dict[str, Any] | None]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for p, g in features]})


def test_bad_rows_are_reported_by_line_and_field_and_nothing_is_kept(client):
    admin = login(client, "admin")
    units = (UNITS_HEADER + "t_new,新单位,water,,,C0101,431302,true\n"  # fine on its own: must not be kept either
             "t_new,重复,water,,,C0101,431302,true\n"
             "t_bad,未知类别,water,,,C0101 X9999,431302,true\n"
             "t_area,未知区域,water,,,C0101,999999,maybe\n")
    r = _import(client, admin, "units", units, "units.csv")
    assert _problems(r) == [(3, "code"), (4, "categories"), (5, "active"), (5, "areas")]
    assert r.json()["error"]["code"] == "org.import_refused"
    assert "t_new" not in {u["code"] for u in client.get("/api/v1/org/units", headers=admin).json()}

    lng, lat = point_in("ZR01")
    components = ("id,category,name,lng,lat,owner,maintainer,status\n"
                  f"T-1,C0101,井盖,{lng},{lat},ld_water,ld_water,normal\n"
                  "T-2,C0101,井盖,100.0,30.0,ld_water,,normal\n"  # outside every grid
                  f"T-3,E0101,事件,{lng},{lat},,,normal\n"  # an event is not a component
                  f"T-4,C0101,井盖,{lng},{lat},nobody,,normal\n"
                  f"T-5,C0101,井盖,east,{lat},,,normal\n")
    assert _problems(_import(client, admin, "components", components, "components.csv")) == [
        (3, "geometry"), (4, "category"), (5, "owner"), (6, "lng")]

    rules = ("priority,name,kind,category_prefix,area_prefix,target,unit,active,note\n"
             "10,双峰全给水务,any,,431372,unit,ld_water,true,\n"
             "20,被遮住的,event,E01,431372,street_office,,true,\n"  # rule 10 always fires first
             "30,没有的类别,component,Z9,,owner,,true,\n"
             "40,事件找权属,event,,,owner,,true,\n"
             "50,没有的区域,any,,888,street_office,,true,\n"
             "60,停用的可以,event,Z9,,unit,,false,\n")
    assert _problems(_import(client, admin, "routing_rules", rules, "routing_rules.csv")) == [
        (3, "priority"), (4, "category_prefix"), (5, "target"), (6, "area_prefix")]
    assert len(client.get("/api/v1/org/routing-rules", headers=admin).json()) == 5  # the demo rules, untouched


def test_overlapping_and_broken_grids_and_bad_files_are_refused(client):
    admin = login(client, "admin")
    lng, lat = point_in("ZR01")
    bowtie = {"type": "Polygon", "coordinates": [[[112, 27], [112.001, 27.001], [112.001, 27], [112, 27.001],
                                                   [112, 27]]]}
    grids = _collection(
        ({"code": "431302001001991", "responsibility_grid": "ZR01"}, _square(lng - 0.0005, lat - 0.0005)),  # overlaps
        ({"code": "431302001001992"}, _square(111.0, 26.0)),
        ({"code": "431302001001993"}, _square(111.0005, 26.0005)),  # overlaps 992, in the same file
        ({"code": "431302001001994"}, bowtie),
        ({"code": "431302001001995"}, {"type": "Point", "coordinates": [111.5, 26.5]}),
        ({"code": "4313020010019"}, _square(111.2, 26.2)),
        ({"code": "431399001001001"}, _square(111.3, 26.3)),  # no such community
    )
    assert _problems(_import(client, admin, "unit_grids", grids, "unit_grids.geojson")) == [
        (1, "geometry"), (3, "geometry"), (4, "geometry"), (5, "geometry"), (6, "code"), (7, "community")]
    # Geometry needs GeoJSON; CSV must be UTF-8 (the line of the first bad byte is given); a broken XLSX is named.
    r = _import(client, admin, "unit_grids", "code\n431302001001996\n", "unit_grids.csv")
    assert _problems(r) == [(0, "")]
    gbk = (UNITS_HEADER + "t_gbk,清河,water,,,,,true\n").encode("gbk")
    r = _import(client, admin, "units", gbk, "units.csv")
    assert _problems(r) == [(2, "")] and "UTF-8" in r.json()["error"]["details"]["problems"][0]["reason_en"]
    assert _problems(_import(client, admin, "units", b"PK\x03\x04broken", "units.xlsx")) == [(0, "")]
    r = _import(client, admin, "nonsense", "x")
    assert r.status_code == 422 and r.json()["error"]["code"] == "org.unknown_dataset"
    assert _import(client, login(client, "dispatcher01"), "units", UNITS_HEADER).status_code == 403


def test_export_reads_back_unchanged_and_an_import_elsewhere_counts_at_once(client, settings):
    admin = login(client, "admin")
    for dataset, fmt in (("units", "xlsx"), ("routing_rules", "csv"), ("components", "geojson")):
        exported = client.get(f"/api/v1/org/transfer/{dataset}", params={"format": fmt}, headers=admin)
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        r = _import(client, admin, dataset, exported.content, f"{dataset}.{fmt}", dry=True)
        outcome = r.json()["outcomes"][0]
        assert r.status_code == 200 and not r.json()["problems"] and outcome["updated"] == 0, r.text
        assert outcome["added"] == (5 if dataset == "routing_rules" else 0)  # rules are replaced as a set
    # An edited unit: applied, with who and what in the audit log.
    units = client.get("/api/v1/org/transfer/units", params={"format": "csv"}, headers=admin).content.decode("utf-8-sig")
    edited = units.replace("0738-80000001", "0738-89999999")
    r = _import(client, admin, "units", edited, "units.csv")
    assert r.status_code == 200 and r.json()["applied"] and r.json()["outcomes"][0]["updated"] == 1, r.text
    entry = client.get("/api/v1/admin/audit", params={"action": "org.imported"}, headers=admin).json()[0]
    assert entry["actor_name"] == "admin"
    assert entry["details"]["datasets"]["units"]["updated_codes"] == [{"code": "ld_water", "fields": ["phone"]}]

    # A unit grid loaded by another process (the command line) while this app runs: located without a restart.
    where = {"category_code": "C0101", "lng": 111.0005, "lat": 26.0005}
    before = client.post("/api/v1/admin/routing/simulate", json=where, headers=admin).json()
    assert before["place"]["unit_grid"] != "431302001001990"
    citizen = login(client, "citizen01")
    report = {"lng": where["lng"], "lat": where["lat"], "description": "井盖坏了"}
    refused = client.post("/api/v1/reports", json=report, headers=citizen)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "location.outside_city", refused.text
    path = settings.data_dir / "unit_grids.geojson"
    path.write_text(_collection(({"code": "431302001001990", "responsibility_grid": "ZR01"}, _square(111.0, 26.0))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    env |= {"SUISHOUPAI_DATA_DIR": str(settings.data_dir), "SUISHOUPAI_DATABASE_URL": settings.database_url}
    done = subprocess.run([sys.executable, "-m", "backend.cli", "org-import", str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    # A report there is taken at once (intake looks again before refusing a point), before anything else refreshed.
    taken = client.post("/api/v1/reports", json=report, headers=citizen)
    assert taken.status_code == 201, taken.text
    after = client.post("/api/v1/admin/routing/simulate", json=where, headers=admin).json()
    assert after["place"]["unit_grid"] == "431302001001990"


def test_bulk_user_import_preview_errors_and_forced_password_change(client):
    admin = login(client, "admin")
    bad = ("username,display_name,role,unit,grids,phone\n"
           "t_staff,值班员,unit_staff,nobody,,\n"  # unknown unit
           "operator01,重名,operator,,,\n"  # already taken
           "t_sup,监督员,supervisor,,ZR01 NOPE,\n"
           "t_x,某人,mayor,,,\n")
    r = client.post("/api/v1/users/import", params={"filename": "users.csv"}, content=bad.encode(), headers=admin)
    assert _problems(r) == [(2, "unit"), (3, "username"), (4, "grids"), (5, "role")]
    assert r.json()["error"]["code"] == "user.import_refused"
    good = "username,display_name,role,unit,grids,phone\nt_staff,值班员,unit_staff,ld_water,,\nt_sup,监督员,supervisor,,ZR39,\n"
    preview = client.post("/api/v1/users/import", params={"dry_run": True}, content=good.encode(), headers=admin).json()
    assert preview["rows"] == 2 and not preview["applied"] and not preview["created"] and not preview["problems"]
    assert not any(u["username"] == "t_staff" for u in client.get("/api/v1/users", headers=admin).json())
    r = client.post("/api/v1/users/import", content=good.encode(), headers=admin)
    assert r.status_code == 200 and r.json()["applied"], r.text
    created = {u["username"]: u["initial_password"] for u in r.json()["created"]}
    login_r = client.post("/api/v1/auth/login", json={"username": "t_sup", "password": created["t_sup"]})
    assert login_r.status_code == 200 and login_r.json()["must_change_password"]
    assert login_r.json()["user"]["grids"] == ["ZR39"]
    audit = client.get("/api/v1/admin/audit", params={"action": "users.imported"}, headers=admin).json()
    assert audit[0]["details"]["usernames"] == ["t_staff", "t_sup"]
    assert not any(p in json.dumps(audit) for p in created.values())
