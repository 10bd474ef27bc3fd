"""Base maps by configuration: which tile layers the PWA draws (none for the demo city's own vector map), in which
coordinate system they are drawn, and the exact tile hosts the Content-Security-Policy must allow."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from urllib.parse import urlparse

from backend.settings import Settings

TIANDITU = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}" \
           "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
TIANDITU_SUBDOMAINS = "01234567"
AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_SUBDOMAINS = "1234"


@dataclass(frozen=True)
class TileLayer:
    url: str  # a Leaflet XYZ template
    subdomains: str = "abc"
    attribution: str = ""
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    preset: str  # demo | tianditu | amap | xyz
    crs: str = "wgs84"  # the tiles' coordinates: wgs84 (天地图's CGCS2000 counts as WGS-84 here) or gcj02 (高德)
    layers: list[TileLayer] = field(default_factory=list)  # drawn in order; the demo preset has none

    def hosts(self) -> list[str]:
        """Every origin the tiles come from, each subdomain spelled out (a CSP source takes no placeholders)."""
        out: list[str] = []
        for layer in self.layers:
            origin = urlparse(layer.url)
            base = f"{origin.scheme}://{origin.netloc}"
            spelled = [base.replace("{s}", s) for s in layer.subdomains] if "{s}" in base else [base]
            out += [h for h in spelled if h not in out]
        return out

    def meta(self) -> str:
        """The JSON the PWA reads from ``<meta name="ssp-basemap">``."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def basemap(settings: Settings) -> Basemap:
    preset = settings.basemap or ("xyz" if settings.tile_url else "demo")
    if preset == "tianditu":
        attribution = "© 天地图 国家地理信息公共服务平台"
        return Basemap("tianditu", "wgs84", [
            TileLayer(TIANDITU.replace("{layer}", layer).replace("{key}", settings.tianditu_key), TIANDITU_SUBDOMAINS,
                      attribution if layer == "vec" else "", 18)
            for layer in ("vec", "cva")])
    if preset == "amap":
        return Basemap("amap", "gcj02", [TileLayer(AMAP, AMAP_SUBDOMAINS, settings.tile_attribution or "© 高德地图", 18)])
    if preset == "xyz":
        return Basemap("xyz", "wgs84", [TileLayer(settings.tile_url, "abc", settings.tile_attribution, 19)])
    return Basemap("demo")
