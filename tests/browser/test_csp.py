"""No screen of the PWA trips its strict Content-Security-Policy: every role's main screens, maps drawing tiles from the
configured tile host (another origin), a photo preview and the service worker."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import GEOTAGGED_JPEG, LOUDI, PASSWORD, PHONE, Api, shot, wait_controlled
from tests.browser.desk_fixtures import DESK

pytestmark = pytest.mark.browser

# Registered before any page script runs; a violation anywhere in the document's life is kept.
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));"""

SCREENS = [  # user, viewport, screens after the login (each role's home first)
    ("citizen01", PHONE, ["#/report", "#/mine", "#/case/{case}"]),
    ("supervisor01", PHONE, ["#/tasks", "#/quick"]),
    ("staff_ld_water", DESK, ["#/unit"]),
    ("shiftlead01", DESK, ["#/centre", "#/centre/board", "#/centre/map", "#/centre/case/{case}"]),
    ("admin", DESK, ["#/centre"]),
]


def _tile() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (256, 256), (236, 240, 232))
    ImageDraw.Draw(img).rectangle((0, 0, 255, 255), outline=(190, 200, 185), width=2)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def tile_server() -> Iterator[str]:
    """A tile host on another origin (another port), answering every tile with one plain PNG."""
    png = _tile()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def tiles_env(tile_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SUISHOUPAI_TILE_URL", tile_server + "/{z}/{x}/{y}.png")
    monkeypatch.setenv("SUISHOUPAI_TILE_ATTRIBUTION", "测试底图")
    return tile_server


@pytest.fixture
def live_server(tiles_env: str, live_server: str) -> str:
    """conftest's server, started after tiles_env so it reads the tile settings."""
    return live_server


def _open(browser: Any, base: str, username: str, viewport: dict[str, int]) -> tuple[Any, list[str]]:
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", geolocation=LOUDI, permissions=["geolocation"])
    ctx.set_default_timeout(15_000)
    ctx.add_init_script(WATCH)
    problems: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    # Chromium also reports CSP refusals, and unknown Permissions-Policy features, on the console.
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if "Content Security Policy" in m.text or "Permissions-Policy" in m.text else None)
    page.goto(f"{base}/#/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_function("() => !location.hash.startsWith('#/login')")
    return page, problems


def _settle(page: Any) -> None:
    expect(page.locator("#main")).not_to_be_empty()
    page.wait_for_timeout(600)  # lists, maps and live subscriptions load after the first paint
    maps = page.locator(".leaflet-container")
    if maps.count():
        expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()


def test_every_role_main_screens_without_a_csp_violation(browser: Any, live_server: str, tiles_env: str) -> None:
    case = Api.login(live_server, "citizen01").report(111.9960, 27.7290, "路灯不亮，晚上很黑")["id"]
    seen_tiles = 0
    for username, viewport, screens in SCREENS:
        page, problems = _open(browser, live_server, username, viewport)
        for n, screen in enumerate(screens):
            page.goto(f"{live_server}/{screen.format(case=case)}")
            _settle(page)
            seen_tiles += page.locator(f".leaflet-tile-loaded[src^='{tiles_env}/']").count()
            shot(page, f"csp-{username}-{n}")
        if username == "citizen01":
            wait_controlled(page)  # the service worker runs under its own response's CSP
            page.goto(f"{live_server}/#/report")
            page.set_input_files("#photo-gallery", str(GEOTAGGED_JPEG))
            expect(page.locator(".shot img[src^='blob:']")).to_have_count(1)
            page.wait_for_timeout(300)
        violations = page.evaluate("window.__csp")
        assert violations == [] and problems == [], (username, violations, problems)
        page.context.close()
    assert seen_tiles > 0  # the tile host allowed by img-src really served the maps


def test_a_tile_host_outside_the_policy_is_refused(browser: Any, live_server: str) -> None:
    """The watcher does see a violation: the same page, with a tile layer from a host the policy does not name."""
    page, _ = _open(browser, live_server, "citizen01", PHONE)
    _settle(page)
    page.evaluate("""() => { const img = new Image(); img.src = 'http://127.0.0.2:9/0/0/0.png';
                             document.body.append(img); }""")
    page.wait_for_function("() => window.__csp.length > 0")
    assert "img-src" in page.evaluate("window.__csp")[0]
    page.context.close()
