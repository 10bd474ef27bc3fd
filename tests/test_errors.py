"""Framework errors (body parsing, size limits, routing) answer in the one error envelope, in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.settings import Settings
from tests.helpers import login

CJK = re.compile(r"[\u4e00-\u9fff]")
JPEG = (Path(__file__).resolve().parent.parent / "media" / "samples" / "demo" / "loudi_manhole_cover.jpg").read_bytes()


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    assert CJK.search(error["message_zh"]) and error["message_zh"] != error["message_en"], error
    assert not CJK.search(error["message_en"]), error
    return dict(error)


@pytest.fixture
def small(settings: Settings) -> Iterator[TestClient[Any]]:
    """An app whose whole-request limit is 2 MB (1 photo of at most 1 MB, plus 1 MB for the other fields)."""
    with TestClient(create_app(settings.with_(max_upload_mb=1, max_photos=1))) as c:
        yield c


def _multipart(boundary: str, *parts: bytes, close: bool = True) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return body + (b"--" + boundary.encode() + b"--\r\n" if close else b"")


def _post_multipart(client: Any, h: dict[str, str], body: bytes, boundary: str = "XyZ") -> Any:
    return client.post("/api/v1/photos", content=body,
                       headers={**h, "Content-Type": f"multipart/form-data; boundary={boundary}"})


def test_malformed_multipart(client):
    h = login(client, "citizen01")
    assert_error(_post_multipart(client, h, b"this is not multipart at all"), 400, "request.bad_multipart")
    no_boundary = client.post("/api/v1/photos", content=b"x", headers={**h, "Content-Type": "multipart/form-data"})
    assert_error(no_boundary, 400, "request.bad_multipart")


def test_truncated_multipart_body(client):
    h = login(client, "citizen01")
    part = (b'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
            + JPEG[:5000])
    r = _post_multipart(client, h, _multipart("XyZ", part, close=False)[:-2])  # cut off inside the file part
    assert_error(r, 400, "request.bad_multipart")


def test_body_cut_off_by_a_disconnect_is_a_client_error(client):
    """A client that goes away mid-body: a 400 (nobody reads it), not a logged 500."""
    sent: list[dict[str, Any]] = []
    incoming = iter([{"type": "http.request", "body": b'{"username": "cit', "more_body": True},
                     {"type": "http.disconnect"}])

    async def receive() -> Any:
        return next(incoming)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/auth/login", "raw_path": b"/api/v1/auth/login", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", b"200")], "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    client.blocking_portal.call(client.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 400, body
    assert b'"request.incomplete"' in body


def test_too_large_body_is_413(small):
    h = login(small, "citizen01")
    big = small.post("/api/v1/photos", files={"file": ("a.jpg", JPEG + b"\0" * (3 * 1024 * 1024), "image/jpeg")},
                     data={"kind": "report"}, headers=h)
    assert_error(big, 413, "payload.too_large")
    big_json = small.post("/api/v1/reports", content=b'{"description": "' + b"x" * (3 * 1024 * 1024) + b'"}',
                          headers={**h, "Content-Type": "application/json"})
    assert_error(big_json, 413, "payload.too_large")


def test_multipart_parser_limit_is_413_not_400(client):
    """Litestar 2's multipart parser reports its own limits (here: a part header over 4 KB) as a 400."""
    h = login(client, "citizen01")
    part = b'Content-Disposition: form-data; name="kind"\r\nX-Padding: ' + b"a" * 5000 + b"\r\n\r\nreport"
    assert_error(_post_multipart(client, h, _multipart("XyZ", part)), 413, "payload.too_large")


def test_bad_json(client):
    r = client.post("/api/v1/auth/login", content=b'{"username": "citizen01", ', headers={"Content-Type": "application/json"})
    assert_error(r, 400, "request.bad_json")


def test_bad_content_length(client):
    r = client.post("/api/v1/auth/login", content=b"{}", headers={"Content-Type": "application/json",
                                                                    "Content-Length": "two"})
    assert_error(r, 400, "request.bad_content_length")


def test_unsupported_media_type(client):
    h = login(client, "citizen01")
    r = client.post("/api/v1/reports", content=b"lng=112", headers={**h, "Content-Type": "text/plain"})
    assert_error(r, 415, "request.bad_content_type")


def test_wrong_method_names_the_allowed_ones(client):
    r = client.delete("/api/v1/auth/login")
    assert_error(r, 405, "request.method_not_allowed")
    assert "POST" in r.headers["allow"]


def test_unknown_routes(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/no-such-page.html"), 404, "not_found")


def test_validation_error_keeps_its_fields(client):
    error = assert_error(client.post("/api/v1/auth/login", json={"username": 5}), 400, "request.invalid")
    assert error["details"]["fields"], error
