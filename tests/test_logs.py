"""No secret reaches a log: the whole flow against the real server, then every log line searched for every token."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from backend.demo.seed import DEMO_PASSWORD
from tests.conftest import SERVER_ENV
from tests.helpers import point_in

ROOT = Path(__file__).resolve().parent.parent
JPEG = ROOT / "media" / "samples" / "demo" / "loudi_garbage_pile.jpg"


@pytest.fixture
def logged_server(settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``suishoupai serve`` as deployed (uvicorn, access log on, INFO), its output kept in a file."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_") or k.startswith("SUISHOUPAI_TEST_")}
    env.update(SERVER_ENV, SUISHOUPAI_DATA_DIR=str(settings.data_dir), SUISHOUPAI_SECRET_KEY=settings.secret_key,
               SUISHOUPAI_LOG_LEVEL="DEBUG", SUISHOUPAI_DATABASE_URL=settings.database_url)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--no-migrate"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start: " + log.read_text()) from None
                time.sleep(0.2)
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_no_token_password_or_signature_is_ever_logged(logged_server):
    base, log = logged_server
    http = httpx.Client(base_url=base, timeout=30)
    secrets: list[str] = [DEMO_PASSWORD]

    def login(username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        r = http.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        secrets.append(r.json()["token"])
        return {"Authorization": "Bearer " + r.json()["token"]}

    device = http.post("/api/v1/auth/device").json()["token"]
    secrets.append(device)
    citizen = {"Authorization": "Bearer " + device}
    operator, dispatcher = login("operator01"), login("dispatcher01")
    http.post("/api/v1/auth/login", json={"username": "operator01", "password": "Wrong-Guess-123"})
    secrets.append("Wrong-Guess-123")

    # Live events: the credential goes in the first message, never in the URL.
    ws_url = base.replace("http", "ws") + "/ws"
    with connect(ws_url) as sock:
        sock.send(json.dumps({"type": "auth", "token": operator["Authorization"].split()[1]}))
        assert json.loads(sock.recv(timeout=10))["type"] == "welcome"
        sock.send(json.dumps({"type": "subscribe", "topics": ["command"]}))
        lng, lat = point_in("ZR03")
        with JPEG.open("rb") as f:
            r = http.post("/api/v1/reports", headers=citizen, files={"photos": ("p.jpg", f, "image/jpeg")},
                          data={"lng": str(lng), "lat": str(lat), "description": "垃圾堆在路边好几天了"})
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        seen = []
        deadline = time.monotonic() + 15
        while case_id not in seen and time.monotonic() < deadline:
            message = json.loads(sock.recv(timeout=15))
            if message.get("type") == "event":
                seen.append(message.get("case_id") or message.get("data", {}).get("case_id"))
        assert case_id in seen  # the socket really was authenticated and live
    # A credential in a URL is refused, and the refused request line is logged without it.
    for path in ("/api/v1/me", "/api/v1/public/cases"):
        assert http.get(path, params={"token": operator["Authorization"].split()[1]}).status_code == 400
    with connect(ws_url + "?token=" + dispatcher["Authorization"].split()[1]) as sock:
        assert json.loads(sock.recv(timeout=5))["code"] == "ws.token_in_url"
        with pytest.raises(ConnectionClosed) as closed:
            sock.recv(timeout=5)
        assert closed.value.rcvd.code == 4400
    # Photos: the original is streamed to staff; a presigned upload URL carries a signature.
    photo = http.get(f"/api/v1/cases/{case_id}", headers=operator).json()
    assert photo["id"] == case_id
    r = http.post("/api/v1/photos/presign", headers=citizen,
                  json={"content_type": "image/jpeg", "size": JPEG.stat().st_size})
    assert r.status_code == 201, r.text
    upload = r.json()
    if upload["method"] == "PUT":
        put = http.put(upload["upload_url"], content=JPEG.read_bytes(), headers=upload["headers"])
        assert put.status_code in (200, 201, 204), put.text
        secrets.extend(v for k, v in httpx.URL(upload["upload_url"]).params.items() if k in ("sig", "signature"))
    # A password change and logouts.
    r = http.post("/api/v1/auth/password", headers=dispatcher,
                  json={"current_password": DEMO_PASSWORD, "new_password": "Lou-Di-Ri-Chu-9"})
    assert r.status_code == 200, r.text
    secrets.extend(["Lou-Di-Ri-Chu-9", r.json()["token"]])
    assert http.post("/api/v1/auth/logout", headers=operator).status_code == 204
    time.sleep(0.5)  # let the server flush its last access lines

    text = log.read_text(encoding="utf-8", errors="replace")
    assert '"GET /api/v1/me?token=[redacted] HTTP/1.1" 400' in text  # the access log is on and was redacted
    assert "/api/v1/auth/login HTTP/1.1" in text
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, f"{len(leaked)} secret(s) found in the log"
    assert "Bearer " not in text.replace("Bearer [redacted]", "")
