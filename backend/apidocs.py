"""``/schema``: the API reference as a plain HTML page, with no script and nothing from a CDN.

Litestar's bundled viewers (Redoc, Swagger UI, Elements, RapiDoc) load their scripts and fonts from public CDNs, which
city networks cannot reach, and run inline scripts, which the locked-down CSP of every non-PWA page refuses. This
page lists every operation and links the machine-readable schema (``/schema/openapi.json``) for tools such as
schemathesis or an offline Swagger editor.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin

_METHODS = ("get", "post", "put", "patch", "delete")


class OperationIndexPlugin(OpenAPIRenderPlugin):
    """Every operation grouped by tag: method, path, summary and operationId."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        groups: dict[str, list[str]] = {}
        for path, item in openapi_schema.get("paths", {}).items():
            for method in _METHODS:
                if op := item.get(method):
                    row = (f"<tr><td>{method.upper()}</td><td><code>{escape(path)}</code></td>"
                           f"<td>{escape(op.get('summary', ''))}</td><td>{escape(op.get('operationId', ''))}</td></tr>")
                    groups.setdefault((op.get("tags") or ["other"])[0], []).append(row)
        head = "<tr><th>方法 Method</th><th>路径 Path</th><th>说明 Summary</th><th>operationId</th></tr>"
        tables = "".join(f"<h2>{escape(tag)}</h2><table>{head}{''.join(rows)}</table>" for tag, rows in groups.items())
        title = escape(f"{info.get('title', '')} {info.get('version', '')}")
        json_url = escape(self.get_openapi_json_route(request))
        page = (
            f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f"<h1>{title}</h1><p>{escape(info.get('description', ''))}</p>"
            f'<p><a href="{json_url}">OpenAPI JSON</a> — 认证 Authentication: '
            "<code>Authorization: Bearer &lt;token&gt;</code></p>"
            f"{tables}</body></html>"
        )
        return page.encode()


def render_plugins() -> list[OpenAPIRenderPlugin]:
    return [OperationIndexPlugin(), JsonRenderPlugin()]
