"""Case and evaluation exports: formats, filters, the row limit, who may export what, audit, and nothing left behind
by an export that stops half-way."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.settings import Settings
from tests.helpers import act, login, report

API = "/api/v1/exports"


def _cases(client: Any) -> list[dict[str, Any]]:
    citizen, op = login(client, "citizen01"), login(client, "operator01")
    made = [report(client, citizen, description="=HYPERLINK(\"x\") 井盖坏了"), report(client, citizen),
            report(client, citizen)]
    act(client, op, made[0]["id"], "void", reason="测试作废")
    return made


def _sheet_text(body: bytes) -> str:
    """Every cell's text in an .xlsx (inline or shared strings), to look for values without a spreadsheet library."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml"))


def test_csv_has_a_bom_chinese_headers_the_list_filters_and_no_live_formulas(client: Any) -> None:
    made = _cases(client)
    op = login(client, "operator01")
    r = client.get(f"{API}/cases/csv", headers=op)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["案件编号", "状态", "来源"]
    assert sorted(row[0] for row in rows[1:]) == sorted(c["tracking_no"] for c in made)
    description = next(row[-1] for row in rows[1:] if row[0] == made[0]["tracking_no"])
    assert description.startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    only = client.get(f"{API}/cases/csv", params={"state": "voided"}, headers=op).content.decode("utf-8-sig")
    assert [row[0] for row in list(csv.reader(io.StringIO(only)))[1:]] == [made[0]["tracking_no"]]
    audit = client.get("/api/v1/admin/audit", params={"action": "data.exported"}, headers=login(client, "admin"))
    entries = [e for e in audit.json() if e["target"] == "cases.csv"]
    assert {e["details"]["rows"] for e in entries} == {3, 1}


def test_xlsx_and_geojson_hold_the_same_cases(client: Any) -> None:
    made = _cases(client)
    op = login(client, "dispatcher01")
    x = client.get(f"{API}/cases/xlsx", headers=op)
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = _sheet_text(x.content)
    assert all(c["tracking_no"] in text for c in made) and "案件编号" in text
    g = client.get(f"{API}/cases/geojson", headers=op)
    body = json.loads(g.content)
    assert body["type"] == "FeatureCollection"
    assert sorted(f["properties"]["tracking_no"] for f in body["features"]) == sorted(c["tracking_no"] for c in made)
    assert all(len(f["geometry"]["coordinates"]) == 2 for f in body["features"])
    bad = client.get(f"{API}/cases/pdf", headers=op)
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "export.bad_format"
    assert client.get(f"{API}/cases/csv", params={"state": "nonsense"}, headers=op).status_code == 422


@pytest.fixture
def small_limit_client(settings: Settings) -> Iterator[Any]:
    from litestar.testing import TestClient

    from backend.app import create_app

    with TestClient(create_app(settings.with_(export_max_rows=2))) as c:
        yield c


def test_an_export_beyond_the_row_limit_is_refused(small_limit_client: Any) -> None:
    client = small_limit_client
    _cases(client)
    r = client.get(f"{API}/cases/csv", headers=login(client, "operator01"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "export.too_many_rows" and error["details"] == {"rows": 3, "limit": 2}
    assert error["message_zh"] and error["message_en"]
    assert client.get(f"{API}/cases/csv", params={"state": "voided"},
                      headers=login(client, "operator01")).status_code == 200


def test_a_unit_exports_only_its_own_cases(client: Any) -> None:
    _cases(client)
    staff = login(client, "staff_ld_water")
    r = client.get(f"{API}/cases/csv", headers=staff)
    assert r.status_code == 200 and len(r.content.decode("utf-8-sig").strip().splitlines()) == 1  # header only
    other = client.get(f"{API}/cases/csv", params={"unit_id": 999}, headers=staff)
    assert other.status_code == 403 and other.json()["error"]["code"] == "evaluation.other_unit"
    for user in ("citizen01", "supervisor01"):
        assert client.get(f"{API}/cases/csv", headers=login(client, user)).status_code == 403


def test_the_evaluation_table_exports_to_xlsx(client: Any) -> None:
    r = client.get(f"{API}/evaluation.xlsx", params={"subjects": "unit,area,dispatcher", "from": "2026-03-01",
                                                     "to": "2026-03-31"}, headers=login(client, "admin"))
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        book = z.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', book) == ["责任单位 Units", "区域 Areas", "派遣员 Dispatchers"]
    assert "自来水" in _sheet_text(r.content)  # every unit is listed, the water company among them
    bad = client.get(f"{API}/evaluation.xlsx", params={"subjects": "planets"}, headers=login(client, "admin"))
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "evaluation.bad_subject"
    staff = login(client, "staff_ld_water")
    assert client.get(f"{API}/evaluation.xlsx", params={"subjects": "area"}, headers=staff).status_code == 403


# Ctrl-C after the first row, in a process of its own as an operator's would be: KeyboardInterrupt tearing down an
# event loop in the test worker, beside the test app's own loop in another thread, once crashed the worker (SIGSEGV).
_INTERRUPTED = """
import argparse, asyncio, sys
from backend.exports import cli, service
from backend.settings import Settings

service.BATCH = 1
real = service.batches

async def failing(f, tz):
    sent = 0
    async for rows in real(f, tz):
        if sent == 1:
            raise KeyboardInterrupt
        sent += 1
        yield rows

service.batches = failing
args = argparse.Namespace(what="cases", format=sys.argv[1], out=sys.argv[2], state="", category=None, unit_id=None,
                          area=None, light=None, date_from=None, date_to=None, max_rows=None)
try:
    asyncio.run(cli._export(Settings.from_env(), args))
except KeyboardInterrupt:
    sys.exit(3)
"""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_stopped_half_way_leaves_nothing_behind(client: Any, settings: Settings, tmp_path: Path,
                                                           fmt: str) -> None:
    _cases(client)
    out = tmp_path / f"cases.{fmt}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    env["SUISHOUPAI_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["SUISHOUPAI_DATABASE_URL"] = settings.database_url
    done = subprocess.run([sys.executable, "-c", _INTERRUPTED, fmt, str(out)], check=False, env=env,
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 3, done.stderr  # interrupted after the first row, as arranged
    assert list(tmp_path.glob("cases.*")) == []  # neither the file nor its .part
    assert list((Path(settings.data_dir) / "tmp").glob("*")) == []  # nor the XLSX's temporary file


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in its own process, as an operator runs it, on this test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    env["SUISHOUPAI_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["SUISHOUPAI_DATABASE_URL"] = settings.database_url
    return subprocess.run([sys.executable, "-m", "backend.cli", "export", *args], check=False, env=env,
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])


def test_the_command_line_export_writes_the_file_and_audits_it(client: Any, settings: Settings,
                                                               tmp_path: Path) -> None:
    made = _cases(client)
    out = tmp_path / "all.geojson"
    done = _cli(settings, "cases", "--format", "geojson", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr  # the progress bar reached the end
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"]["tracking_no"] for f in features) == sorted(c["tracking_no"] for c in made)
    over = _cli(settings, "cases", "--out", str(tmp_path / "x.csv"), "--max-rows", "2")
    assert over.returncode == 1 and "export limit" in over.stderr
    assert not (tmp_path / "x.csv").exists()
    audit = client.get("/api/v1/admin/audit", params={"action": "data.exported"}, headers=login(client, "admin"))
    assert [(e["actor_name"], e["target"]) for e in audit.json()] == [("cli", "cases.geojson")]
