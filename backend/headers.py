"""Security headers on every response, and the PWA shell (index.html) whose strict CSP allows exactly its inline code.

Two Content-Security-Policies:

- the PWA's (the shell, its scripts and styles, and the service worker, whose CSP comes from its own response): scripts
  and styles from this origin only, plus the hash of the inline import map (Chromium takes no external import maps);
  images also from ``data:``/``blob:`` (photo previews, Leaflet) and exactly the configured base map's tile hosts
  (backend/places/basemap.py); no inline code, no eval.
- everything else (API JSON, photo bytes, stored objects, ``/schema``, errors): ``default-src 'none'; sandbox``, so
  even a hostile upload opened as a page runs nothing, loads nothing and gets an opaque origin.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from litestar import Response, route
from litestar.datastructures import MutableScopeHeaders
from litestar.handlers import HTTPRouteHandler
from litestar.types import Message, Scope

from backend.places.basemap import basemap
from backend.settings import Settings

# The same paths the service worker never touches (pwa/sw.js): they are not the PWA.
_NOT_PWA = re.compile(r"^/(api|schema|healthz|ws)(/|$)")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_HOST = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")
_TILE_META = ("ssp-tile-url", "ssp-tile-attribution", "ssp-basemap")

LOCKED_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
PERMISSIONS_POLICY = ("camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), serial=(), hid=(), "
                      "midi=(), display-capture=()")
HSTS = "max-age=31536000; includeSubDomains"
# The PWA sends its origin (never a path or query) to the tile host: tile keys such as 天地图's browser keys are bound
# to the site's domain through the Referer. Everything else sends nothing: a stored object's URL carries a signature.
PWA_REFERRER = "strict-origin-when-cross-origin"
LOCKED_REFERRER = "no-referrer"


def csp_hash(script: str) -> str:
    """The CSP source that allows one inline script with exactly this text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@dataclass(frozen=True)
class Shell:
    """index.html with the map settings filled into its meta tags, and the CSP hashes of its inline scripts."""

    html: bytes
    script_hashes: tuple[str, ...]

    @classmethod
    def load(cls, settings: Settings, pwa_dir: Path) -> Shell:
        text = (pwa_dir / "index.html").read_text(encoding="utf-8")  # universal newlines, as a browser's parser reads
        values = (settings.tile_url, settings.tile_attribution, basemap(settings).meta())
        for name, value in zip(_TILE_META, values, strict=True):
            empty = f'<meta name="{name}" content="">'
            if empty not in text:  # fail at start, not with a silently missing map
                raise RuntimeError(f"pwa/index.html has no {empty} to fill")
            text = text.replace(empty, f'<meta name="{name}" content="{html.escape(value)}">')
        return cls(text.encode(), tuple(csp_hash(s) for s in _INLINE_SCRIPT.findall(text)))

    def handler(self) -> HTTPRouteHandler:
        """``GET``/``HEAD`` of ``/`` and ``/index.html``: the filled-in shell (the static files router serves the rest)."""
        body = self.html

        @route(["/", "/index.html"], http_method=["GET", "HEAD"], name="pwa-shell", include_in_schema=False,
               sync_to_thread=False)
        def shell() -> Response[bytes]:
            return Response(body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

        return shell


class SecurityHeaders:
    """A ``before_send`` hook: Litestar runs it for every HTTP response, routing 404s and 405s included, which never
    reach a route's middleware. Headers a handler set itself are kept (a CSP gains ``frame-ancestors`` if it lacks
    it)."""

    def __init__(self, settings: Settings, shell: Shell) -> None:
        public = urlparse(settings.public_url)
        self._ws_origin = ""
        if public.scheme in {"http", "https"} and public.netloc:
            self._ws_origin = f"{'wss' if public.scheme == 'https' else 'ws'}://{public.netloc}"
        self._pwa_directives = {
            "default-src": "'self'",
            "script-src": " ".join(["'self'", *shell.script_hashes]),
            "style-src": "'self'",
            "img-src": " ".join(["'self'", "data:", "blob:", *basemap(settings).hosts()]),
            "connect-src": "'self'",
            "worker-src": "'self'",
            "manifest-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'none'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
        self._common = [
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Permissions-Policy", PERMISSIONS_POLICY),
        ]
        if public.scheme == "https":
            self._common.append(("Strict-Transport-Security", HSTS))

    def pwa_csp(self, scope: Scope) -> str:
        """The PWA's policy. Its websocket origin is the public URL's, else the one this request came to: 'self'
        covers ws(s) only in browsers that implement CSP level 3 fully."""
        ws = self._ws_origin
        if not ws:
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if _HOST.match(host):  # the Host header is the client's to choose: never let it add CSP directives
                ws = f"{'wss' if scope.get('scheme') == 'https' else 'ws'}://{host}"
        directives = dict(self._pwa_directives)
        if ws:
            directives["connect-src"] += " " + ws
        return "; ".join(f"{name} {sources}" for name, sources in directives.items())

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        message.setdefault("headers", [])
        headers = MutableScopeHeaders.from_message(message)
        pwa = not _NOT_PWA.match(scope["path"])
        own = [
            ("Content-Security-Policy", self.pwa_csp(scope) if pwa else LOCKED_CSP),
            ("Referrer-Policy", PWA_REFERRER if pwa else LOCKED_REFERRER),
        ]
        for name, value in (*self._common, *own):
            if headers.get(name) is None:
                headers.add(name, value)
        policy = headers.get("Content-Security-Policy") or ""
        if "frame-ancestors" not in policy:  # a handler's own policy: no page of this site is ever framed
            headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
