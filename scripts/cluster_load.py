"""The cluster harness's clients: phones that file reports with photos the way the PWA outbox does, and staff websocket
subscribers that resume with ``since`` after a dropped connection. Used by scripts/cluster.py."""

from __future__ import annotations

import asyncio
import io
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import websockets
from PIL import Image

DESCRIPTIONS = ["人行道上的井盖没了，晚上很危险", "路灯坏了好几天，晚上一片漆黑", "路边垃圾堆了很久没人清理",
                "占道经营的摊贩把人行道堵住了", "下水道堵了，路面积水很深", "绿化带里的树倒了压在路上"]
# The demo city (娄底) well inside its unit grids.
LNG, LAT = (111.965, 112.035), (27.705, 27.755)
# What the PWA outbox retries (pwa/js/outbox.js): no answer at all, 408, 429 and every 5xx.
RETRY_STATUSES = frozenset({408, 429})
STAFF = ["operator01", "operator02", "operator03", "shiftlead01", "shiftlead02", "dispatcher01", "dispatcher02",
         "dispatcher03", "dispatcher04", "admin"]
DEMO_PASSWORD = "ssp-demo-2026"


def make_photo(kb: int) -> bytes:
    """A JPEG of roughly ``kb`` kilobytes: a gradient with noise, so it compresses like a photo."""
    rng = random.Random(7)
    side = max(64, int((kb * 1024 / 0.47) ** 0.5))  # this noise at quality 85: about 0.47 bytes a pixel
    img = Image.new("RGB", (side * 4 // 3, side * 3 // 4))
    noise = Image.frombytes("RGB", img.size, rng.randbytes(img.size[0] * img.size[1] * 3))
    base = Image.linear_gradient("L").resize(img.size).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, noise, 0.35).save(out, "JPEG", quality=85)
    return out.getvalue()


def tagged(jpeg: bytes, tag: str) -> bytes:
    """The same JPEG with a comment segment naming the report: every report sends different bytes."""
    comment = tag.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def retry_wait(response: httpx.Response | None, attempt: int) -> float:
    if response is not None and (after := response.headers.get("retry-after", "")).isdigit():
        return float(after)
    return min(5.0, 0.25 * 2 ** attempt) * random.uniform(0.5, 1.0)


@dataclass
class Report:
    key: str
    started: float
    attempts: int = 0
    status: int | None = None  # the final answer: 201 created, 200 a replay of an earlier attempt's case
    tracking_no: str = ""
    accepted_at: float | None = None
    error: str = ""


@dataclass
class LoadStats:
    reports: list[Report] = field(default_factory=list)
    retries: dict[str, int] = field(default_factory=dict)  # reason -> count
    errors: list[str] = field(default_factory=list)  # answers that are not retried: they should never happen

    def retried(self, reason: str) -> None:
        self.retries[reason] = self.retries.get(reason, 0) + 1


async def _with_retries(stats: LoadStats, send: Any, give_up_at: float) -> tuple[httpx.Response | None, int]:
    """Call ``send()`` until it answers something the PWA would not retry, or ``give_up_at``; (answer, attempts)."""
    attempt = 0
    while True:
        attempt += 1
        response: httpx.Response | None = None
        try:
            response = await send()
            if response.status_code < 500 and response.status_code not in RETRY_STATUSES:
                return response, attempt
            stats.retried(str(response.status_code))
        except httpx.TransportError as exc:
            stats.retried(type(exc).__name__)
        if time.monotonic() >= give_up_at:
            return response, attempt
        await asyncio.sleep(retry_wait(response, attempt))


async def phone(index: int, base: str, photo: bytes, stats: LoadStats, stop: asyncio.Event, give_up_at: float,
                think: float, impatient: float) -> None:
    """A citizen's phone: a device credential, then one report after another, each retried with its own key until
    the server accepts it (or ``give_up_at``). A share ``impatient`` of reports is sent again while the first request
    is still being served, as a phone does that gave up waiting: both must get the same case."""
    rng = random.Random(index)
    timeout = httpx.Timeout(60.0, connect=5.0)
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        response, _ = await _with_retries(stats, lambda: client.post("/api/v1/auth/device"), give_up_at)
        if response is None or response.status_code not in (200, 201):
            stats.errors.append(f"phone {index}: no device credential ({response and response.status_code})")
            return
        auth = {"Authorization": "Bearer " + response.json()["token"]}
        number = 0
        while not stop.is_set():
            number += 1
            report = Report(key=f"cl-{index}-{number}-{uuid.uuid4().hex[:8]}", started=time.monotonic())
            stats.reports.append(report)
            fields = {"lng": f"{rng.uniform(*LNG):.6f}", "lat": f"{rng.uniform(*LAT):.6f}", "accuracy_m": "12",
                      "location_source": "browser", "description": rng.choice(DESCRIPTIONS)}
            files = {"photos": ("photo.jpg", tagged(photo, report.key), "image/jpeg")}
            headers = {**auth, "Idempotency-Key": report.key}
            send = partial(client.post, "/api/v1/reports", data=fields, files=files, headers=headers)
            echo = None
            if rng.random() < impatient:
                stats.retried("overlapping")
                echo = asyncio.create_task(_overlap(send, rng.uniform(0.01, 0.2)))
            response, report.attempts = await _with_retries(stats, send, give_up_at)
            if response is not None:
                report.status = response.status_code
            if response is not None and response.status_code in (200, 201):
                report.tracking_no = response.json()["tracking_no"]
                report.accepted_at = time.monotonic()
            else:
                report.error = response.text[:200] if response is not None else "no answer"
                stats.errors.append(f"report {report.key}: {report.status} {report.error}")
            if echo is not None and (other := await echo) and other != report.tracking_no and report.tracking_no:
                stats.errors.append(f"report {report.key}: the overlapping retry got {other}, not {report.tracking_no}")
            await asyncio.sleep(rng.uniform(0, think))


async def _overlap(send: Any, delay: float) -> str:
    """The same request again after ``delay``, while the first may still be in flight; its tracking number ("" when
    it got no answer: the first request's retries decide)."""
    await asyncio.sleep(delay)
    try:
        response = await send()
    except httpx.TransportError:
        return ""
    return str(response.json()["tracking_no"]) if response.status_code in (200, 201) else ""


@dataclass
class Subscriber:
    """A centre staff account watching ``command`` (every case event) through the edge, resuming after a drop."""

    name: str
    base_ws: str
    token: str = ""
    topics: tuple[str, ...] = ("command",)
    start: int | None = None  # the log position the first ``subscribed`` answered: complete from here on
    cursor: int = 0  # everything up to here has been received (events, or a subscribed/heartbeat/pong saying so)
    seqs: list[int] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    duplicates: int = 0
    out_of_order: int = 0
    upstream: str = ""  # the app process (host:port) behind the current connection, as nginx reports it
    drops: list[dict[str, Any]] = field(default_factory=list)  # {upstream, at, since, back_at}
    resyncs: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._session(stop)
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            if not stop.is_set():
                if not self.drops or self.drops[-1]["back_at"] is not None:
                    self.drops.append({"upstream": self.upstream, "at": time.monotonic(), "since": self.cursor,
                                       "back_at": None, "back_upstream": None})
                await asyncio.sleep(0.1)

    async def _session(self, stop: asyncio.Event) -> None:
        async with websockets.connect(self.base_ws + "/ws", open_timeout=5, max_size=2**22) as ws:
            self.upstream = ws.response.headers.get("X-Upstream", "") if ws.response else ""
            await ws.send(json.dumps({"type": "auth", "token": self.token}))
            since = self.cursor if self.start is not None else None
            await ws.send(json.dumps({"type": "subscribe", "topics": list(self.topics), "since": since}))
            closing = asyncio.ensure_future(stop.wait())
            try:
                while True:
                    receiving = asyncio.ensure_future(ws.recv())
                    done, _ = await asyncio.wait({receiving, closing}, return_when=asyncio.FIRST_COMPLETED)
                    if receiving not in done:
                        receiving.cancel()
                        return
                    self._handle(json.loads(receiving.result()))
            finally:
                closing.cancel()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "event":
            seq = int(message["seq"])
            if seq in self.seen:
                self.duplicates += 1
                return
            if self.seqs and seq < self.seqs[-1]:
                self.out_of_order += 1
            self.seen.add(seq)
            self.seqs.append(seq)
            self.cursor = max(self.cursor, seq)
        elif kind == "subscribed":
            if self.start is None:
                self.start = int(message["last_seq"])
            self.cursor = max(self.cursor, int(message["last_seq"]))
            if self.drops and self.drops[-1]["back_at"] is None:
                self.drops[-1].update(back_at=time.monotonic(), back_upstream=self.upstream)
        elif kind in ("heartbeat", "pong"):
            self.cursor = max(self.cursor, int(message["last_seq"]))
        elif kind == "resync":
            self.resyncs += 1
            self.cursor = max(self.cursor, int(message["last_seq"]))


async def staff_token(base: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        response.raise_for_status()
        return str(response.json()["token"])
