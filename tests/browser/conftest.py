"""Browser test fixtures: a live server on a copy of the seeded SQLite template, headless Chromium, API helpers.

Chromium runs headless with background networking off (see PITFALLS.md). Browser tests skip only when
/usr/bin/chromium is missing outside CI; under CI=true a missing browser is an error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SERVER_ENV, base_settings

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
# Seconds for a request that hashes a password (argon2, 64 MiB): a loaded CI machine took longer than httpx's 5 s.
SLOW = 30
# A point in central Loudi (inside the demo city's grids).
LOUDI = {"latitude": 27.7290, "longitude": 111.9960, "accuracy": 12}
GEOTAGGED_JPEG = ROOT / "media" / "samples" / "demo" / "loudi_manhole_cover.jpg"
PASSWORD = "ssp-demo-2026"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(sqlite_template: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The whole app (API, websocket, PWA) on a free loopback port, on its own copy of the seeded database. A test
    marked ``@pytest.mark.server_env(SUISHOUPAI_X="…")`` gets those settings too (e.g. redaction workers)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, base_settings(data).sqlite_path)
    port = _free_port()
    marker = request.node.get_closest_marker("server_env")
    env = {**os.environ, "SUISHOUPAI_DATA_DIR": str(data), "SUISHOUPAI_LOG_LEVEL": "WARNING", **SERVER_ENV,
           **(marker.kwargs if marker else {})}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # generous: on a busy 2-core machine with parallel workers a start can take 30 s
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(sqlite_template: Path) -> Iterator[Any]:
    # Playwright's sync API keeps an event loop running in this thread while it is open, which breaks every later
    # asyncio.run() in the session: so it lives for one module only, and the database template is built first.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized browser context that grants geolocation (central Loudi) and records page errors."""
    ctx = browser.new_context(viewport=PHONE, geolocation=LOUDI, permissions=["geolocation"], locale="zh-CN")
    ctx.errors = []  # type: ignore[attr-defined]
    ctx.on("weberror", lambda e: ctx.errors.append(str(e.error)))  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


def shot(page: Any, name: str) -> None:
    """Save a 390×844 screenshot of the current screen as a test artifact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let toasts and map tiles settle
    page.screenshot(path=str(SHOTS / f"{name}.png"))


class Api:
    """A tiny API client for arranging and checking state from the test."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    @classmethod
    def login(cls, base: str, username: str) -> Api:
        r = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                       timeout=SLOW)
        r.raise_for_status()
        return cls(base, r.json()["token"])

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        r = httpx.get(f"{self.base}/api/v1/{path}", params=params, headers=self._headers(), timeout=10)
        r.raise_for_status()
        return r.json()

    def act(self, case_id: int, action: str, **body: Any) -> Any:
        r = httpx.post(f"{self.base}/api/v1/cases/{case_id}/actions/{action}", json=body, headers=self._headers(),
                       timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def photo(self, kind: str, path: Path = GEOTAGGED_JPEG) -> int:
        r = httpx.post(f"{self.base}/api/v1/photos", headers={**self._headers(), "Idempotency-Key": uuid.uuid4().hex},
                       data={"kind": kind}, files={"file": (path.name, path.read_bytes(), "image/jpeg")}, timeout=20)
        assert r.status_code in (200, 201), r.text
        return int(r.json()["id"])

    def report(self, lng: float, lat: float, description: str) -> Any:
        r = httpx.post(f"{self.base}/api/v1/reports", headers={**self._headers(), "Idempotency-Key": uuid.uuid4().hex},
                       data={"lng": str(lng), "lat": str(lat), "description": description},
                       files={"photos": (GEOTAGGED_JPEG.name, GEOTAGGED_JPEG.read_bytes(), "image/jpeg")}, timeout=20)
        assert r.status_code == 201, r.text
        return r.json()


def page_session(page: Any) -> dict[str, Any]:
    """The session the PWA stored in IndexedDB (token and user)."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('suishoupai');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const get = open.result.transaction('kv').objectStore('kv').get('session');
            get.onsuccess = () => resolve(get.result);
        };
    })""")


def wait_controlled(page: Any) -> None:
    """Wait until the service worker is active and controls this page."""
    page.evaluate("() => navigator.serviceWorker.ready")
    if not page.evaluate("() => Boolean(navigator.serviceWorker.controller)"):
        page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)", timeout=10000)
