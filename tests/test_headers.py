"""Security headers on every kind of response, and the PWA's strict Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.settings import Settings, SettingsError
from tests.helpers import login

ROOT = Path(__file__).resolve().parent.parent
JPEG = (ROOT / "media" / "samples" / "demo" / "loudi_manhole_cover.jpg").read_bytes()
LOCKED = "default-src 'none'; frame-ancestors 'none'; sandbox"


def csp(r: Any) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split(";") if d.strip()}


def assert_common(r: Any) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    permissions = r.headers["permissions-policy"]
    assert "camera=(self)" in permissions and "geolocation=(self)" in permissions and "microphone=()" in permissions
    assert csp(r)["frame-ancestors"] == ["'none'"]
    assert "strict-transport-security" not in r.headers  # the default public URL is not https


def assert_pwa(r: Any) -> dict[str, list[str]]:
    assert_common(r)
    policy = csp(r)
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["style-src"] == ["'self'"]
    text = r.headers["content-security-policy"]
    assert "unsafe-inline" not in text and "unsafe-eval" not in text and "*" not in text
    return policy


def assert_locked(r: Any) -> None:
    assert_common(r)
    assert r.headers["content-security-policy"] == LOCKED
    assert r.headers["referrer-policy"] == "no-referrer"


def importmap_hash() -> str:
    """Computed here independently of the app, from the file on disk."""
    html = (ROOT / "pwa" / "index.html").read_text(encoding="utf-8")
    script = re.search(r'<script type="importmap">(.*?)</script>', html, re.DOTALL)
    assert script
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode() + "'"


def test_pwa_shell_allows_exactly_its_import_map(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    policy = assert_pwa(r)
    assert policy["script-src"] == ["'self'", importmap_hash()]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]  # no tile host configured
    assert policy["connect-src"] == ["'self'", "ws://testserver.local"]
    assert '<meta name="ssp-tile-url" content="">' in r.text
    assert client.get("/index.html").text == r.text
    head = client.head("/")
    assert head.status_code == 200 and head.headers["content-security-policy"] == r.headers["content-security-policy"]


def test_pwa_scripts_styles_and_service_worker(client):
    for path in ("/js/app.js", "/sw.js", "/css/app.css", "/manifest.webmanifest"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert_pwa(r)  # the service worker's own CSP comes from this response


def test_api_json_and_health(client):
    h = login(client, "citizen01")
    for r in (client.get("/api/v1/me", headers=h), client.get("/healthz")):
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert_locked(r)


def test_photo_bytes(client):
    h = login(client, "citizen01")
    photo = client.post("/api/v1/photos", files={"file": ("a.jpg", JPEG, "image/jpeg")}, data={"kind": "report"},
                        headers=h)
    assert photo.status_code == 201, photo.text
    r = client.get(photo.json()["thumb_url"], headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert_common(r)
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "sandbox" in r.headers["content-security-policy"]


def test_errors(client):
    for r in (client.get("/api/v1/cases/1"), client.get("/api/v1/nothing-here"), client.put("/healthz")):
        assert r.status_code in (401, 404, 405) and r.json()["error"]["code"]
        assert_locked(r)
    r = client.get("/no-such-file.js")  # outside /api: the PWA's policy, still every header
    assert r.status_code == 404
    assert_pwa(r)


def test_schema_is_a_page_without_scripts_and_the_json_stays(client):
    r = client.get("/schema")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert_locked(r)
    assert "<script" not in r.text and "https://" not in r.text  # nothing from a CDN
    assert "/api/v1/auth/login" in r.text and "login" in r.text
    spec = client.get("/schema/openapi.json")
    assert spec.status_code == 200 and "/api/v1/reports" in spec.json()["paths"]
    assert_locked(spec)


def test_hsts_only_with_an_https_public_url(settings: Settings):
    with TestClient(create_app(settings.with_(public_url="https://ssp.example.cn/"))) as c:
        for r in (c.get("/"), c.get("/healthz"), c.get("/api/v1/nothing")):
            assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert csp(c.get("/"))["connect-src"] == ["'self'", "wss://ssp.example.cn"]


def test_tile_host_fills_the_shell_and_the_image_sources(settings: Settings):
    tiles = settings.with_(tile_url="https://{s}.tiles.example.cn/{z}/{x}/{y}.png?tk=k&v=1",
                           tile_attribution='© 示例 <Tiles> & "Co"')
    with TestClient(create_app(tiles)) as c:
        r = c.get("/")
    policy = assert_pwa(r)
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://a.tiles.example.cn", "https://b.tiles.example.cn",
                                 "https://c.tiles.example.cn"]
    assert '<meta name="ssp-tile-url" content="https://{s}.tiles.example.cn/{z}/{x}/{y}.png?tk=k&amp;v=1">' in r.text
    assert '<meta name="ssp-tile-attribution" content="© 示例 &lt;Tiles&gt; &amp; &quot;Co&quot;">' in r.text
    assert policy["script-src"] == ["'self'", importmap_hash()]  # filling the meta tags leaves the import map alone


def test_a_hostile_host_header_adds_no_directive(client):
    r = client.get("/", headers={"Host": "evil.example; script-src *"})
    assert csp(r)["connect-src"] == ["'self'"] and csp(r)["script-src"] == ["'self'", importmap_hash()]


@pytest.mark.parametrize("url", ["tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn/tiles.png",
                                 "javascript:alert(1)//{z}/{x}/{y}"])
def test_bad_tile_url_is_refused(url):
    with pytest.raises(SettingsError, match="TILE_URL"):
        Settings.from_env({"SUISHOUPAI_TILE_URL": url})


def test_a_handlers_own_policy_is_kept_and_still_forbids_framing(tmp_path: Path):
    import asyncio

    from backend.headers import SecurityHeaders, Shell

    settings = Settings(data_dir=tmp_path)
    hook = SecurityHeaders(settings, Shell.load(settings, ROOT / "pwa"))
    message: dict[str, Any] = {"type": "http.response.start", "status": 200,
                               "headers": [(b"content-security-policy", b"default-src 'none'; sandbox")]}
    asyncio.run(hook(message, {"type": "http", "path": "/api/v1/photos/1/thumb", "headers": []}))  # type: ignore[arg-type]
    headers = dict(message["headers"])
    assert headers[b"content-security-policy"] == b"default-src 'none'; sandbox; frame-ancestors 'none'"
    assert headers[b"x-content-type-options"] == b"nosniff"
