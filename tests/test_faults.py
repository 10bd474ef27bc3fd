"""Real faults answer 503 with Retry-After and a stable code, never 500: a read-only or full disk under the local
store (tmpfs mounts), a SQLite database locked past its busy timeout, and a PostgreSQL server stopped and started."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
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


class OwnPostgres:
    """A PostgreSQL server of this test's own (initdb in a temp dir, a free port), so it can be stopped and started
    under a running app without disturbing other tests' server."""

    def __init__(self, where: Path) -> None:
        from tests.live.conftest import free_port

        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            if IN_CI:
                pytest.fail("CI needs PostgreSQL installed")
            pytest.skip("needs PostgreSQL's server binaries")
        self.bin = bins[-1].parent
        self.data = where / "pg"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:  # PostgreSQL refuses to run as root: its directory belongs to the postgres user
            shutil.chown(where, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/city"

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "city")

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data.parent / "pg.log"), "-w", "-o",
                  f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[OwnPostgres, Settings]]:
    """Its own server, with the seeded demo city copied in from the shared test template."""
    from tests.conftest import PG_URL, TEMPLATE_DB, _pg_url

    if not PG_URL:
        if IN_CI:
            pytest.fail("CI needs SUISHOUPAI_TEST_POSTGRES_URL")
        pytest.skip("needs SUISHOUPAI_TEST_POSTGRES_URL (scripts/services.sh starts one)")
    where = Path(tempfile.mkdtemp(prefix="ssp-pg-"))  # pytest's temp root is private to root: not under it
    server = OwnPostgres(where)
    server.init()
    try:
        dump = subprocess.run([str(server.bin / "pg_dump"), "--no-owner", _pg_url(TEMPLATE_DB)], check=True,
                              capture_output=True, timeout=120).stdout
        subprocess.run([str(server.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", server.url], input=dump, check=True,
                       capture_output=True, timeout=120)
        yield server, base_settings(tmp_path, database_url=server.url)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(where, ignore_errors=True)


def test_postgresql_stopped_and_started_mid_run_answers_503_then_recovers(postgres_template: str,
                                                                          own_postgres: tuple[OwnPostgres, Settings]):
    server, settings = own_postgres
    with TestClient(create_app(settings)) as client:
        citizen = login(client, "citizen04")
        assert _report(client, citizen, "loudi_street_light.jpg").status_code == 201

        server.stop()  # immediate: connections cut as by a crash
        for _ in range(3):
            _unavailable(client.get("/api/v1/me", headers=citizen), "db.unavailable")
        _unavailable(_report(client, citizen, "loudi_street_light.jpg"), "db.unavailable")
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["error"]["details"]["checks"]["database"]["status"] == "error"
        assert client.get("/health/live").status_code == 200

        server.start()
        deadline = time.monotonic() + 20
        while (r := client.get("/api/v1/me", headers=citizen)).status_code != 200:
            assert r.status_code == 503, r.text  # never a 500 while the pool reconnects
            assert time.monotonic() < deadline, "the app did not reconnect"
            time.sleep(0.2)
        assert _report(client, citizen, "loudi_street_light.jpg").status_code == 201
        assert client.get("/health/ready").status_code == 200
        mine = client.get("/api/v1/cases", headers=citizen).json()
        assert len(mine["items"] if isinstance(mine, dict) else mine) == 2  # the refused report left nothing
