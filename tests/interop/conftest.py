"""Fixtures for the interop tests: an admin, an API client's key, and a local HTTP receiver."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import login


def new_client(client: Any, name: str = "hotline12345", **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/admin/api-clients", json={"name": name, **extra}, headers=login(client, "admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


@dataclass
class Receiver:
    """A loopback HTTP server whose answers a test scripts: a list of (status, delay seconds), then 200s."""

    url: str = ""
    script: list[tuple[int, float]] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # GET path -> (content type, body)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived")
                self.arrived.wait(left)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            kind, body = box.routes.get(self.path, ("text/plain", b"missing"))
            self.send_response(200 if self.path in box.routes else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with box.lock:
                status, delay = box.script.pop(0) if box.script else (200, 0.0)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up (a timeout): it counts as not delivered
            with box.arrived:
                box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                box.arrived.notify_all()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


def body_of(received: tuple[dict[str, str], bytes]) -> dict[str, Any]:
    return dict(json.loads(received[1]))
