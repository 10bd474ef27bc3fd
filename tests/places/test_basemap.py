"""Base maps by configuration: each preset's tile layers reach the PWA, the CSP allows exactly their hosts, and a
setting that is not a template or lacks its key stops the app at start."""

from __future__ import annotations

import html
import json
import re

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.places.basemap import basemap
from backend.settings import Settings, SettingsError

KEY = "0123456789abcdef0123456789abcdef"


def _img_src(r) -> list[str]:
    policy = dict(p.strip().split(" ", 1) for p in r.headers["content-security-policy"].split(";") if p.strip())
    return policy["img-src"].split()


def _meta(text: str) -> dict:
    raw = re.search(r'<meta name="ssp-basemap" content="([^"]*)">', text).group(1)
    return json.loads(html.unescape(raw))


@pytest.mark.parametrize(("changes", "preset", "crs", "hosts"), [
    ({}, "demo", "wgs84", []),
    ({"basemap": "tianditu", "tianditu_key": KEY}, "tianditu", "wgs84", [f"https://t{n}.tianditu.gov.cn" for n in range(8)]),
    ({"basemap": "amap"}, "amap", "gcj02", [f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5)]),
    ({"tile_url": "https://tiles.example.cn/{z}/{x}/{y}.png"}, "xyz", "wgs84", ["https://tiles.example.cn"]),
])
def test_each_preset_fills_the_shell_and_allows_exactly_its_tile_hosts(settings, changes, preset, crs, hosts):
    settings = settings.with_(**changes)
    with TestClient(create_app(settings)) as c:
        r = c.get("/")
        api = c.get("/api/v1/places/layers/roads")
    assert _img_src(r) == ["'self'", "data:", "blob:", *hosts]
    meta = _meta(r.text)
    assert (meta["preset"], meta["crs"]) == (preset, crs)
    assert basemap(settings).hosts() == hosts
    if preset == "tianditu":
        assert [("LAYER=vec" in lay["url"], "LAYER=cva" in lay["url"]) for lay in meta["layers"]] == [(True, False),
                                                                                                       (False, True)]
        assert all(f"tk={KEY}" in lay["url"] for lay in meta["layers"])
    if preset == "demo":
        assert meta["layers"] == []
    assert "img-src" not in api.headers["content-security-policy"]  # the API keeps its locked policy


@pytest.mark.parametrize(("env", "match"), [
    ({"SUISHOUPAI_BASEMAP": "google"}, "BASEMAP"),
    ({"SUISHOUPAI_BASEMAP": "tianditu"}, "TIANDITU_KEY"),
    ({"SUISHOUPAI_BASEMAP": "tianditu", "SUISHOUPAI_TIANDITU_KEY": "not-a-key"}, "TIANDITU_KEY"),
    ({"SUISHOUPAI_BASEMAP": "xyz"}, "TILE_URL"),
    ({"SUISHOUPAI_TILE_URL": "https://tiles.example.cn/{z}/{x}.png"}, "not an XYZ tile template"),
    ({"SUISHOUPAI_TILE_URL": "https://tiles.example.cn/{z}/{x}/{y}.png; script-src *"}, "not an XYZ tile template"),
    ({"SUISHOUPAI_TILE_URL": "https://user:pw@tiles.example.cn/{z}/{x}/{y}.png"}, "not an XYZ tile template"),
    ({"SUISHOUPAI_TILE_URL": "https://tiles.example.cn/{z}/{x}/{y}.png?k={key}"}, "not an XYZ tile template"),
])
def test_bad_base_map_settings_stop_the_app(env, match):
    with pytest.raises(SettingsError, match=match):
        Settings.from_env(env)
