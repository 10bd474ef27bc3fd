"""Real faults answer 503 with Retry-After and a stable code, never 500: a read-only or full disk under the local
store (tmpfs mounts), and a SQLite database locked past its busy timeout."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.settings import Settings
from tests.conftest import IN_CI, base_settings
from tests.helpers import login, point_in

DEMO = Path(__file__).resolve().parent.parent / "media" / "samples" / "demo"


def _mount(where: Path, options: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        if IN_CI:
            pytest.fail(f"cannot mount a tmpfs for the fault test: {done.stderr.decode()}")
        pytest.skip("mounting a tmpfs needs root")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "objects"
    where.mkdir()
    _mount(where, "size=512k")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _report(client: TestClient, headers: dict[str, str], *photos: str) -> object:
    lng, lat = point_in("ZR05")
    files = [("photos", (name, (DEMO / name).read_bytes(), "image/jpeg")) for name in photos]
    return client.post("/api/v1/reports", headers=headers, files=files,
                       data={"lng": str(lng), "lat": str(lat), "description": "路边垃圾没人清理"})


def _unavailable(r: object, code: str) -> None:
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == code and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["message_zh"] and r.json()["error"]["message_en"]


def test_a_read_only_store_answers_503_and_recovers(settings: Settings, disk: Path) -> None:
    with TestClient(create_app(settings.with_(store_path=str(disk)))) as client:
        citizen = login(client, "citizen01")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        _unavailable(_report(client, citizen, "loudi_garbage_pile.jpg"), "store.unavailable")
        listed = client.get("/api/v1/cases", headers=citizen).json()
        assert (listed["items"] if isinstance(listed, dict) else listed) == []
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        assert _report(client, citizen, "loudi_garbage_pile.jpg").status_code == 201


def test_a_full_store_answers_503(settings: Settings, disk: Path) -> None:
    with TestClient(create_app(settings.with_(store_path=str(disk)))) as client:
        citizen = login(client, "citizen02")
        (disk / "ballast").write_bytes(b"\0" * (512 * 1024 - 40 * 1024))  # leave less than one photo free
        _unavailable(_report(client, citizen, "loudi_garbage_pile.jpg", "loudi_vendor_stall.jpg"), "store.unavailable")


def test_a_database_locked_past_its_busy_timeout_answers_503(sqlite_template: Path, tmp_path: Path) -> None:
    """SQLite's one writer held by another connection (PostgreSQL has no such lock)."""
    settings = base_settings(tmp_path)
    shutil.copyfile(sqlite_template, settings.sqlite_path)
    with TestClient(create_app(settings.with_(sqlite_busy_seconds=0.3, run_worker=False))) as client:
        citizen = login(client, "citizen03")
        holder = sqlite3.connect(settings.sqlite_path, timeout=1)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            _unavailable(_report(client, citizen, "loudi_street_light.jpg"), "db.busy")
        finally:
            holder.rollback()
            holder.close()
        assert _report(client, citizen, "loudi_street_light.jpg").status_code == 201
