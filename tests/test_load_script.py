"""scripts/load.py works: a short run against a server it starts loses nothing; its no-op endpoint is off by default."""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from backend.settings import Settings

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "load.py"


def _load_module() -> Any:
    spec = importlib.util.spec_from_file_location("load_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _noop_form() -> dict[str, Any]:
    return {"data": {"lng": "112.0", "lat": "27.7"}, "files": {"photos": ("p.jpg", b"\xff\xd8" + b"x" * 1000, "image/jpeg")}}


def test_noop_upload_is_absent_by_default(client: Any) -> None:
    response = client.post("/api/v1/bench/noop-upload", **_noop_form())
    assert response.status_code == 404
    assert "/api/v1/bench/noop-upload" not in client.get("/schema/openapi.json").text


def test_noop_upload_reads_the_body_when_enabled(settings: Settings) -> None:
    from litestar.testing import TestClient

    from backend.app import create_app

    with TestClient(create_app(settings.with_(bench_endpoints=True))) as client:
        response = client.post("/api/v1/bench/noop-upload", **_noop_form())
    assert response.status_code == 201
    assert response.json() == {"fields": 2, "photo_bytes": 1002}


def test_a_short_load_run_loses_nothing(sqlite_template: Path, tmp_path: Path) -> None:
    import asyncio

    load = _load_module()
    shutil.copyfile(sqlite_template, tmp_path / "suishoupai.sqlite")
    with load.EmbeddedServer(data_dir=tmp_path) as server:
        result = asyncio.run(load.run_load(server.url, phones=4, subscribers=23, duration=4, baseline=1, drain=30))
    assert result.errors == {}, result.summary()
    assert len(result.accepted) >= 4 and result.baseline.accepted >= 1
    # Every accepted report reached its unit's socket(s) once, and exists exactly once in the database.
    assert result.undelivered == [] and set(result.latency_s) == set(result.accepted.values())
    assert all(result.deliveries[c] == n >= 1 for c, n in result.expected_deliveries.items())
    with sqlite3.connect(tmp_path / "suishoupai.sqlite") as db:
        rows = db.execute('SELECT idempotency_key, id, state FROM "case"').fetchall()
    by_key: dict[str, list[int]] = {}
    for key, case_id, state in rows:
        by_key.setdefault(key, []).append(case_id)
        assert state == "dispatched"
    assert by_key == {key: [case_id] for key, case_id in result.accepted.items()}
