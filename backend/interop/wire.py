"""Open311 on the wire: JSON or XML by the path's suffix, W3C datetimes, and the spec's error list.

Errors are ``[{"code": <HTTP status>, "description": "<中文> / <English> [stable.code]"}]`` (XML:
``<errors><error><code/><description/></error></errors>``), whatever raised them: the project's own ``AppError``s and
Litestar's validation errors are translated here, at the boundary.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from litestar import Request, Response
from litestar.exceptions import HTTPException

from backend.errors import AppError, _dependency_down

log = logging.getLogger("suishoupai.open311")

# Child element names of wrapped lists (FixMyStreet's OpenAPI description, "xml" of each array).
ITEM_NAMES = {"groups": "group", "attributes": "attribute", "values": "value"}


class Open311Error(AppError):
    """An error answered in the spec's format; ``status`` is also its ``code`` there."""

    status = 400
    code = "open311.bad_request"


def bad_request(zh: str, en: str, code: str, status: int = 400) -> Open311Error:
    err = Open311Error(zh, en, code=code)
    err.status = status
    return err


def w3c(value: datetime | None, tz: str) -> str | None:
    """``2026-12-04T19:30:00+08:00``: seconds, the city's offset (the spec's W3C format)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).replace(microsecond=0).isoformat()


def response_format(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def split_format(segment: str) -> tuple[str, str]:
    """``C0101.json`` → (``C0101``, ``json``); no or another suffix is a 404 as the spec's URLs have none other."""
    stem, dot, fmt = segment.rpartition(".")
    if not dot or fmt not in ("json", "xml") or not stem:
        raise bad_request("地址应以 .json 或 .xml 结尾", "The URL must end in .json or .xml", "open311.bad_format", 404)
    return stem, fmt


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    if value is None:
        return
    node = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_item(node, ITEM_NAMES.get(name, "item"), item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    else:
        node.text = str(value)


def _xml_item(parent: ET.Element, name: str, item: Any) -> None:
    if isinstance(item, dict):
        node = ET.SubElement(parent, name)
        for k, v in item.items():
            _xml_value(node, k, v)
    else:
        _xml_value(parent, name, item)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """A list becomes ``<root><item>…</item>…</root>``; a dict (``item`` None) becomes ``<root>…</root>``."""
    top = ET.Element(root)
    if item is None:
        for k, v in data.items():
            _xml_value(top, k, v)
    else:
        for entry in data:
            _xml_item(top, item, entry)
    body: bytes = ET.tostring(top, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def render(fmt: str, data: Any, root: str, item: str | None, status: int = 200,
           headers: dict[str, str] | None = None) -> Response[bytes]:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status, media_type="text/xml",
                        headers=headers)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error_list(status: int, zh: str, en: str, code: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": f"{zh} / {en} [{code}]"}]


def error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """The exception handler of the Open311 router, for every error raised under it."""
    fmt = response_format(request.url.path)
    retry_after: int | None = None
    if isinstance(exc, AppError):
        status, zh, en, code, retry_after = exc.status, exc.message_zh, exc.message_en, exc.code, exc.retry_after
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        detail = str(exc.detail or "")
        if status == 404:
            zh, en, code = "没有这个接口", "No such endpoint", "open311.not_found"
        elif status == 405:
            zh, en, code = "不支持此请求方法", "Method not allowed", "open311.method_not_allowed"
        elif status == 413:
            zh, en, code = "请求体过大", "Request body too large", "open311.too_large"
        elif status == 429:  # Litestar's rate-limit middleware: its RateLimit-Reset is the wait
            reset = str((exc.headers or {}).get("RateLimit-Reset", "60"))
            retry_after = int(reset) if reset.isdigit() else 60
            zh, en, code = "请求过于频繁", "Too many requests", "open311.rate_limited"
        else:
            status = 400 if status < 500 else status
            zh, en, code = f"请求参数无效：{detail}", f"Invalid request: {detail}", "open311.invalid"
    else:
        down = _dependency_down(exc)
        if down is None:
            log.exception("open311: unexpected error on %s", request.url.path)
            status, zh, en, code = 500, "服务器内部错误", "Internal server error", "open311.internal"
        else:
            status, zh, en, code, retry_after = down.status, down.message_zh, down.message_en, down.code, \
                down.retry_after or 5
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return render(fmt, _error_list(status, zh, en, code), "errors", "error", status, headers)

