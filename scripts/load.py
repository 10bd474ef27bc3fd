"""Sustained load, end to end: N phones report (~600 KB photo + text) while M unit-inbox websockets wait for the cases.

Each phone is a supervisor (监督员) on patrol: a report with a trusted category, a browser position and one photo, sent
as the PWA's outbox sends it (multipart POST /api/v1/reports, an Idempotency-Key kept across retries, a retry after
network errors, 408, 429 and 5xx with backoff and the server's Retry-After). Supervisors' reports are the ones the
city lets the system file and dispatch on its own (``SUISHOUPAI_AUTO_DISPATCH=true``, see backend/triage/jobs.py);
citizens' reports always wait for an operator, so they never reach a unit without a person. Latency runs from the 201
("upload accepted") to the moment the responsible unit's inbox websocket (unit staff, natural topic ``unit:{id}``)
receives the case's ``dispatched`` event.

Every photo has its own pixels (a per-report pattern of bright and dark tiles spliced from two pre-encoded variants at
JPEG restart markers, so no re-encoding), and each report its own point and category, so the duplicate check never
holds a report back. Before the reports, the same phones send the same body to a no-op upload endpoint of the same
server (``SUISHOUPAI_BENCH_ENDPOINTS=true``) for the baseline.

    .venv/bin/python scripts/load.py --duration 300 --rate 30          # embedded server, paced at 30 reports/s
    .venv/bin/python scripts/load.py --duration 60                     # as fast as the phones go (the ceiling)
    .venv/bin/python scripts/load.py --url http://127.0.0.1:8080 ...   # a running server (demo city, limits lifted)

Importable: ``await run_load(base_url, phones, subscribers, duration, ...) -> LoadResult`` and ``EmbeddedServer``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
import numpy as np
import websockets
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.accounts.passwords import DEMO_PASSWORD
from backend.photos.pipeline import process
from backend.settings import Settings

CITY = ROOT / "backend" / "demo" / "data" / "loudi"
PHOTO_SOURCE = ROOT / "media" / "samples" / "demo" / "loudi_garbage_pile.jpg"
REPORT_PATH = "/api/v1/reports"
NOOP_PATH = "/api/v1/bench/noop-upload"
RETRYABLE = {408, 429}  # and every 5xx: what the PWA outbox keeps and sends again
MAX_BACKOFF_S = 8.0
MAX_PIXELS = Settings.max_image_pixels  # the server's default limit, for the pipeline figure
# Categories the demo city's units list (components and events alike), each with a sentence a supervisor might write.
CATEGORIES = (
    ("C0101", "上水井盖破损，边缘翘起，行人容易绊倒"),
    ("C0105", "电力井盖缺失，夜间存在安全隐患"),
    ("C0137", "路灯不亮，整段路面漆黑"),
    ("C0305", "垃圾箱满溢，周边散落生活垃圾"),
    ("C0402", "行道树倒伏，压住人行道"),
    ("E0201", "电线杆上张贴大量非法小广告"),
    ("E0302", "施工围挡占用车道，未设警示标志"),
    ("E0401", "无照经营游商占道摆摊"),
    ("E0501", "供水管道破裂，路面大量积水"),
    ("E0503", "排水管道堵塞，污水外溢"),
)
MIN_SPACING_M = 60.0  # report points further apart than the duplicate radius (50 m)
# The same as the test suite's overrides (scripts never import tests): demo mode, and limits no person would reach.
SERVER_ENV = {
    "SUISHOUPAI_DEMO_MODE": "true",
    "SUISHOUPAI_AUTO_DISPATCH": "true",
    "SUISHOUPAI_BENCH_ENDPOINTS": "true",
    "SUISHOUPAI_LOG_LEVEL": "WARNING",
    **{f"SUISHOUPAI_RATE_{name}": "100000" for name in (
        "REPORTS_PER_USER", "REPORTS_PER_IP", "UPLOADS_PER_USER", "API_PER_USER", "LOGIN_PER_IP",
        "DEVICE_PER_IP_HOUR", "PASSWORD_CHECKS_PER_USER")},
}


# ---------------------------------------------------------------- photos


class PhotoMaker:
    """~600 KB JPEGs of one demo photo, each with its own pixels, made by splicing bytes instead of encoding.

    The photo is encoded once in nine brightness levels with a restart marker every 16 MCUs, so every restart
    interval is a self-contained piece of 256 x 16 pixels. A photo takes the pieces of each of 9 x 8 tiles (the
    cells of the difference hash the duplicate check compares) from one level, ordered within each row so that the
    photo's hash is a 64-bit number drawn from its own number: two photos differ in about 32 bits of it.
    """

    WIDTH, HEIGHT = 2304, 1728  # 9 tiles of 16 MCUs across; 108 MCU rows
    MCU, TILES_X, TILES_Y = 16, 9, 8
    STEP = 22  # grey levels between two brightness levels: more than the photo's own contrast between two tiles

    def __init__(self, source: Path = PHOTO_SOURCE, noise: float = 4.6, quality: int = 85, seed: int = 13) -> None:
        with Image.open(source) as im:
            base = np.asarray(im.convert("RGB").resize((self.WIDTH, self.HEIGHT), Image.Resampling.BICUBIC),
                              dtype=np.float32)
        grain = np.random.default_rng(seed).normal(0.0, noise, base.shape[:2] + (1,)).astype(np.float32)
        levels = []
        for level in range(self.TILES_X):
            out = io.BytesIO()
            pixels = np.clip(base * 0.25 + 8 + level * self.STEP + grain, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(out, "JPEG", quality=quality, restart_marker_blocks=self.MCU)
            head, pieces = self._split(out.getvalue())
            levels.append(pieces)
        self.head = head
        self.pieces = levels
        per_row = self.WIDTH // (self.MCU * self.MCU)  # pieces per MCU row
        rows = self.HEIGHT // self.MCU
        if any(len(p) != per_row * rows for p in levels):
            raise RuntimeError(f"unexpected restart intervals: {[len(p) for p in levels]}")
        self.tile_of = [(i // per_row) * self.TILES_Y // rows * self.TILES_X + i % per_row for i in range(per_row * rows)]

    def _levels(self, number: int) -> list[int]:
        """A level per tile such that each tile is brighter than its left neighbour exactly where a bit is set."""
        bits = random.Random(number).getrandbits(self.TILES_Y * (self.TILES_X - 1))
        levels: list[int] = []
        for row in range(self.TILES_Y):
            lo, hi = 0, self.TILES_X - 1
            for col in range(self.TILES_X - 1):
                brighter = bits >> (63 - row * (self.TILES_X - 1) - col) & 1
                if brighter:
                    levels.append(lo)
                    lo += 1
                else:
                    levels.append(hi)
                    hi -= 1
            levels.append(lo)
        return levels

    @staticmethod
    def _split(jpeg: bytes) -> tuple[bytes, list[bytes]]:
        """Everything up to the scan data, and the scan's restart intervals without their markers."""
        pos = 2
        while True:  # walk the marker segments to the start of scan
            marker, length = jpeg[pos + 1], int.from_bytes(jpeg[pos + 2:pos + 4], "big")
            pos += 2 + length
            if marker == 0xDA:
                break
        head, scan = jpeg[:pos], jpeg[pos:jpeg.rindex(b"\xff\xd9")]
        pieces, start, i = [], 0, 0
        while (i := scan.find(b"\xff", i)) != -1:
            if 0xD0 <= scan[i + 1] <= 0xD7:
                pieces.append(scan[start:i])
                start = i + 2
            i += 2
        pieces.append(scan[start:])
        return head, pieces

    def make(self, number: int) -> bytes:
        levels = self._levels(number)
        out = [self.head[:2], b"\xff\xfe\x00\x0a", number.to_bytes(8, "big"), self.head[2:]]  # + a COM with the number
        last = len(self.tile_of) - 1
        for i, tile in enumerate(self.tile_of):
            out.append(self.pieces[levels[tile]][i])
            if i < last:
                out.append(bytes((0xFF, 0xD0 + i % 8)))
        out.append(b"\xff\xd9")
        return b"".join(out)


def report_points(min_spacing_m: float = MIN_SPACING_M, seed: int = 13) -> list[tuple[float, float]]:
    """A point inside each unit grid of the demo city, thinned so that no two are within ``min_spacing_m``."""
    from shapely.geometry import shape

    grids = json.loads((CITY / "unit_grids.geojson").read_text(encoding="utf-8"))["features"]
    points = [shape(g["geometry"]).representative_point() for g in grids]
    cell_lat = min_spacing_m / 111_195.0
    cell_lng = cell_lat / math.cos(math.radians(points[0].y))
    kept: list[tuple[float, float]] = []
    cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for p in points:
        cx, cy = int(p.x / cell_lng), int(p.y / cell_lat)
        near = [q for dx in (-1, 0, 1) for dy in (-1, 0, 1) for q in cells.get((cx + dx, cy + dy), [])]
        if all(_metres(p.x, p.y, q[0], q[1]) >= min_spacing_m for q in near):
            kept.append((p.x, p.y))
            cells.setdefault((cx, cy), []).append((p.x, p.y))
    random.Random(seed).shuffle(kept)  # consecutive reports land far apart, like a city's
    return kept


def _metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    dy = (lat2 - lat1) * 111_195.0
    dx = (lng2 - lng1) * 111_195.0 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def demo_users(role: str) -> list[str]:
    users = json.loads((CITY / "users.json").read_text(encoding="utf-8"))["users"]
    return [u["username"] for u in users if u["role"] == role]


# ---------------------------------------------------------------- results


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class Phase:
    """One phase's throughput and request latencies (send to answer, retries included)."""

    sent: int = 0
    accepted: int = 0
    seconds: float = 0.0
    request_s: list[float] = field(default_factory=list)
    server_cpu_s: float | None = None  # CPU the server process used during the phase (known when its pid is)
    client_cpu_s: float = 0.0  # CPU this process (phones and sockets) used during the phase

    def cpu_per_item_ms(self) -> tuple[float | None, float]:
        n = max(self.accepted, 1)
        server = None if self.server_cpu_s is None else self.server_cpu_s / n * 1000
        return server, self.client_cpu_s / n * 1000

    @property
    def per_s(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


@dataclass
class LoadResult:
    phones: int
    subscribers: int
    duration_s: float
    reports: Phase
    baseline: Phase | None
    accepted: dict[str, int] = field(default_factory=dict)  # idempotency key -> case id
    latency_s: dict[int, float] = field(default_factory=dict)  # case id -> accepted to first unit event
    deliveries: Counter[int] = field(default_factory=Counter)  # case id -> dispatched events received (all sockets)
    expected_deliveries: dict[int, int] = field(default_factory=dict)  # case id -> sockets watching its unit
    errors: Counter[str] = field(default_factory=Counter)
    e2e_seconds: float = 0.0  # first report sent to the last event received
    server_metrics: dict[str, float] = field(default_factory=dict)  # /metrics when the reports stopped, if readable
    pipeline_ms: float | None = None  # CPU of the photo pipeline alone per photo, measured after the run

    @property
    def undelivered(self) -> list[int]:
        """Accepted cases no unit socket received by the end of the drain (late or lost: the run cannot tell)."""
        return sorted(set(self.accepted.values()) - set(self.latency_s))

    @property
    def e2e_per_s(self) -> float:
        return len(self.latency_s) / self.e2e_seconds if self.e2e_seconds else 0.0

    def latency(self, q: float) -> float | None:
        return percentile(list(self.latency_s.values()), q)

    def summary(self) -> str:
        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v * 1000:,.0f} ms"

        r = self.reports
        lines = [
            f"phones {self.phones}, unit subscribers {self.subscribers}, {self.duration_s:.0f} s",
            (f"reports accepted      {r.accepted:,} in {r.seconds:.1f} s = {r.per_s:.1f} reports/s "
             f"(upload p50 {ms(percentile(r.request_s, 50))}, p99 {ms(percentile(r.request_s, 99))})"),
            (f"reached their unit    {len(self.latency_s):,} = {self.e2e_per_s:.1f} reports/s end to end; "
             f"accepted -> unit event p50 {ms(self.latency(50))}, p99 {ms(self.latency(99))}, "
             f"max {ms(self.latency(100))}"),
            f"not reached in time   {len(self.undelivered)} (no unit event by the end of the drain)",
        ]
        if self.baseline is not None:
            b = self.baseline
            ratio = r.per_s / b.per_s if b.per_s else 0.0
            lines.append(f"no-op upload baseline {b.accepted:,} in {b.seconds:.1f} s = {b.per_s:.1f} uploads/s "
                         f"(p50 {ms(percentile(b.request_s, 50))}, p99 {ms(percentile(b.request_s, 99))}); "
                         f"reports/s ÷ no-op/s = {ratio:.3f}")
            server, client = b.cpu_per_item_ms()
            if server is not None:
                lines.append(f"CPU per no-op upload  server {server:.1f} ms + load client {client:.1f} ms")
        server, client = r.cpu_per_item_ms()
        if server:
            cores = os.cpu_count() or 1
            lines.append(f"CPU per report        server {server:.1f} ms + load client {client:.1f} ms; both cores at 100 % "
                         f"would take {cores * 1000 / (server + client):.1f} reports/s ({cores} cores; the server alone "
                         f"{cores * 1000 / server:.1f}); server busy {r.server_cpu_s / r.seconds * 100:.0f} % of one core")
        if self.pipeline_ms:
            cores = os.cpu_count() or 1
            lines.append(f"photo pipeline alone  {self.pipeline_ms:.1f} ms of CPU per photo (decode, resize, two encodes, "
                         f"hashes; after the run, one thread): it alone would cap {cores} cores at "
                         f"{cores * 1000 / self.pipeline_ms:.0f} photos/s")
        m = self.server_metrics
        if m:
            photo = m.get("suishoupai_photo_processing_seconds_sum", 0) / max(
                m.get("suishoupai_photo_processing_seconds_count", 0), 1)
            lines.append(f"server at the end     jobs due {m.get('suishoupai_jobs_due', 0):,.0f}, the oldest waiting "
                         f"{m.get('suishoupai_jobs_oldest_due_age_seconds', 0):,.1f} s; photo processing mean "
                         f"{photo * 1000:,.0f} ms (decode budget wait included)")
            def by_queue(name: str) -> dict[str, float]:
                return {q: m.get(f'suishoupai_db_write_{name}{{queue="{q}"}}', 0.0) for q in ("first", "rest")}

            held, waits = by_queue("hold_seconds_sum"), by_queue("wait_seconds_sum")
            counts = by_queue("hold_seconds_count")
            if sum(counts.values()) and r.accepted:
                lines.append(f"database writer        held {sum(held.values()) * 1000 / r.accepted:,.1f} ms per report "
                             f"({sum(counts.values()) / r.accepted:.1f} write transactions; jobs "
                             f"{held['first'] * 1000 / max(counts['first'], 1):,.1f} ms, requests "
                             f"{held['rest'] * 1000 / max(counts['rest'], 1):,.1f} ms each, waited "
                             f"{waits['first'] * 1000 / max(counts['first'], 1):,.0f} / "
                             f"{waits['rest'] * 1000 / max(counts['rest'], 1):,.0f} ms each); busy "
                             f"{sum(held.values()) / r.seconds * 100:.0f} % of the run")
        lines.append("errors                " + (", ".join(f"{k}: {v}" for k, v in sorted(self.errors.items()))
                                                 if self.errors else "0"))
        return "\n".join(lines)


# ---------------------------------------------------------------- the load


class _Run:
    """Shared state of one run: the clients' clock, counters and what the sockets have seen."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self.next_number = 0
        self.accepted_at: dict[int, float] = {}
        self.received_at: dict[int, float] = {}
        self.unit_sockets: Counter[int] = Counter()  # unit id -> sockets subscribed to it
        self.case_unit: dict[int, int] = {}
        self.all_done = asyncio.Event()
        self.reports_over = False

    def number(self) -> int:
        self.next_number += 1
        return self.next_number

    def check_done(self) -> None:
        if self.reports_over and set(self.accepted_at) <= set(self.received_at):
            self.all_done.set()


async def _scrape(client: httpx.AsyncClient) -> dict[str, float]:
    """The unlabelled samples of the server's /metrics (empty when this address may not read it)."""
    response = await client.get("/metrics")
    if response.status_code != 200:
        return {}
    samples = {}
    for line in response.text.splitlines():
        name, _, value = line.partition(" ")
        if name.startswith("suishoupai_") and ("{" not in name or name.startswith("suishoupai_db_write")):
            with contextlib.suppress(ValueError):
                samples[name] = float(value)
    return samples


async def _login(client: httpx.AsyncClient, username: str) -> str:
    r = await client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return str(r.json()["token"])


def _error_kind(response: httpx.Response) -> str:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = ""
    return f"http_{response.status_code}" + (f":{code}" if code else "")


async def _post_like_the_outbox(
    client: httpx.AsyncClient, path: str, token: str, key: str, fields: dict[str, str], photo: bytes,
    errors: Counter[str], give_up_at: float,
) -> httpx.Response | None:
    """POST until answered: same key on every retry, exponential backoff with jitter, the server's Retry-After
    honoured. None when the answer is a refusal the outbox would not retry, or time ran out."""
    backoff = 0.25
    while True:
        retry_after: float | None = None
        try:
            response = await client.post(
                path, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                data={**fields, "idempotency_key": key}, files={"photos": ("photo.jpg", photo, "image/jpeg")},
            )
        except httpx.TransportError as exc:
            errors[f"retried:{type(exc).__name__}"] += 1
        else:
            if response.status_code in (200, 201):
                return response
            kind = _error_kind(response)
            if response.status_code not in RETRYABLE and response.status_code < 500:
                errors[f"failed:{kind}"] += 1
                return None
            errors[f"retried:{kind}"] += 1
            with contextlib.suppress(ValueError):
                retry_after = float(response.headers.get("retry-after", ""))
        delay = retry_after if retry_after is not None else backoff * random.uniform(0.5, 1.0)
        backoff = min(backoff * 2, MAX_BACKOFF_S)
        if time.monotonic() + delay > give_up_at:
            errors["failed:gave_up"] += 1
            return None
        await asyncio.sleep(delay)


async def _phone(
    run: _Run, phase: Phase, client: httpx.AsyncClient, path: str, token: str, photos: PhotoMaker,
    points: list[tuple[float, float]], run_id: str, deadline: float, interval: float | None, first_at: float,
    give_up_at: float, count_cases: bool,
) -> None:
    next_at = first_at
    while True:
        now = time.monotonic()
        if interval is not None:
            if next_at > now:
                await asyncio.sleep(next_at - now)
            next_at += interval
        if time.monotonic() >= deadline:
            return
        n = run.number()
        code, text = CATEGORIES[n % len(CATEGORIES)]
        place = n // len(CATEGORIES) % len(points)  # a place comes back only with another category
        lng, lat = points[place]
        fields = {"lng": f"{lng:.6f}", "lat": f"{lat:.6f}", "accuracy_m": "8", "location_source": "browser",
                  "category_code": code, "description": f"{text}（巡查 {n}）", "address": f"巡查点 {place}"}
        key = f"load-{run_id}-{'r' if count_cases else 'n'}{n}"
        phase.sent += 1
        started = time.monotonic()
        response = await _post_like_the_outbox(client, path, token, key, fields, photos.make(n), run.result.errors,
                                               give_up_at)
        if response is None:
            continue
        accepted = time.monotonic()
        phase.accepted += 1
        phase.request_s.append(accepted - started)
        if count_cases:
            case_id = int(response.json()["id"])
            if run.result.accepted.setdefault(key, case_id) != case_id:
                run.result.errors["doubled:key_answered_two_cases"] += 1
            run.accepted_at[case_id] = accepted


async def _unit_inbox(run: _Run, ws_url: str, token: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """One unit staff's inbox socket; reconnects and resumes from the last seq it saw, as the PWA does."""
    errors = run.result.errors
    last_seq: int | None = None
    seen: set[int] = set()
    unit: int | None = None
    backoff = 0.25
    while not stop.is_set():
        try:
            async with websockets.connect(ws_url, compression=None, max_size=2**22, open_timeout=10) as ws:
                await ws.send(json.dumps({"type": "auth", "token": token}))
                welcome = json.loads(await ws.recv())
                if welcome.get("type") != "welcome":
                    raise RuntimeError(f"no welcome: {welcome}")
                if unit is None:
                    unit = next(int(t.split(":")[1]) for t in welcome["natural_topics"] if t.startswith("unit:"))
                    run.unit_sockets[unit] += 1
                await ws.send(json.dumps({"type": "subscribe", "since": last_seq}))
                async for raw in ws:
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "event":
                        last_seq = message["seq"]
                        if message.get("state") == "dispatched" and message.get("action") == "dispatch":
                            case_id = int(message["case_id"])
                            if case_id in seen:
                                errors["ws:duplicate_event"] += 1
                                continue
                            seen.add(case_id)
                            run.result.deliveries[case_id] += 1
                            run.case_unit[case_id] = unit
                            run.received_at.setdefault(case_id, time.monotonic())
                            run.check_done()
                    elif kind == "subscribed":
                        backoff = 0.25
                        ready.set()
                    elif kind in ("error", "resync", "revoked"):
                        errors[f"ws:{kind}:{message.get('code', '')}"] += 1
        except (TimeoutError, OSError, websockets.ConnectionClosed) as exc:
            if stop.is_set():
                return
            errors[f"ws:reconnect:{type(exc).__name__}"] += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)


async def run_load(
    base_url: str, phones: int = 30, subscribers: int = 22, duration: float = 60.0, *, rate: float | None = None,
    baseline: float = 15.0, drain: float = 30.0, photos: PhotoMaker | None = None, run_id: str | None = None,
    server_pid: int | None = None,
) -> LoadResult:
    """Drive ``phones`` reporting supervisors and ``subscribers`` unit-inbox sockets (round robin over the demo
    city's unit staff, so at least one per unit is needed) against ``base_url``.

    ``rate``: reports per second over all phones (None: each phone sends its next report as soon as the last was
    accepted). ``baseline``: seconds of no-op uploads before the reports (0: none). ``drain``: how long to wait
    after the last report for its unit event before counting it undelivered. ``server_pid``: a server on this machine,
    whose CPU time per report is then measured.
    """
    staff = demo_users("unit_staff")
    supervisors = demo_users("supervisor")
    if subscribers < len(staff):
        raise ValueError(f"need at least one subscriber per unit: {len(staff)}")
    photos = photos or PhotoMaker()
    points = report_points()
    run_id = run_id or uuid.uuid4().hex[:8]
    result = LoadResult(phones=phones, subscribers=subscribers, duration_s=duration, reports=Phase(), baseline=None)
    run = _Run(result)
    ws_url = base_url.replace("http", "ws", 1).rstrip("/") + "/ws"
    limits = httpx.Limits(max_connections=phones + 8, max_keepalive_connections=phones + 8)
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60.0), limits=limits) as client:
        # One login per account: staff accounts keep at most a few sessions, and sockets of one account share it.
        staff_tokens = dict(zip(staff, await asyncio.gather(*(_login(client, u) for u in staff)), strict=True))
        used = supervisors[:phones]
        phone_tokens = dict(zip(used, await asyncio.gather(*(_login(client, u) for u in used)), strict=True))
        stop = asyncio.Event()
        readies = [asyncio.Event() for _ in range(subscribers)]
        inboxes = [asyncio.create_task(_unit_inbox(run, ws_url, staff_tokens[staff[i % len(staff)]], readies[i], stop))
                   for i in range(subscribers)]
        try:
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)

            async def phase(path: str, seconds: float, paced: bool, counted: bool) -> Phase:
                result_phase = Phase()
                server_cpu = process_cpu_s(server_pid) if server_pid else 0.0
                client_cpu = time.process_time()
                start = time.monotonic()
                deadline = start + seconds
                interval = phones / rate if (paced and rate) else None
                tasks = [_phone(run, result_phase, client, path, phone_tokens[used[i % len(used)]], photos, points,
                                run_id, deadline, interval, start + (interval or 0) * i / phones, deadline + drain,
                                counted) for i in range(phones)]
                await asyncio.gather(*tasks)
                result_phase.seconds = time.monotonic() - start
                result_phase.client_cpu_s = time.process_time() - client_cpu
                if server_pid:
                    result_phase.server_cpu_s = process_cpu_s(server_pid) - server_cpu
                return result_phase

            if baseline > 0:
                result.baseline = await phase(NOOP_PATH, baseline, paced=False, counted=False)
            started = time.monotonic()
            result.reports = await phase(REPORT_PATH, duration, paced=True, counted=True)
            run.reports_over = True
            run.check_done()
            result.server_metrics = await _scrape(client)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.all_done.wait(), drain)
        finally:
            stop.set()
            for task in inboxes:
                task.cancel()
            await asyncio.gather(*inboxes, return_exceptions=True)
    for case_id, at in run.accepted_at.items():
        if case_id in run.received_at:
            result.latency_s[case_id] = max(0.0, run.received_at[case_id] - at)  # the event may beat the 201 home
            result.expected_deliveries[case_id] = run.unit_sockets[run.case_unit[case_id]]
    if run.received_at:
        result.e2e_seconds = max(run.received_at.values()) - started
    for case_id in result.undelivered:
        result.errors["undelivered:no_unit_event_within_drain"] += 1
    short = sum(1 for c, n in result.expected_deliveries.items() if result.deliveries[c] < n)
    if short:
        result.errors["ws:missed_by_some_sockets_of_the_unit"] += short
    stray = set(run.received_at) - set(run.accepted_at)
    if stray:
        result.errors["ws:event_for_a_case_not_accepted"] += len(stray)
    return result


# ---------------------------------------------------------------- embedded server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedServer:
    """The embedded default (SQLite, local store, one process) on a fresh data dir with the demo city seeded.

    ``data_dir``: a folder that already holds a seeded ``suishoupai.sqlite`` (the tests' template), used as it is and
    left in place.
    """

    def __init__(self, data_dir: Path | None = None, keep: bool = False, env: dict[str, str] | None = None) -> None:
        self.seeded = data_dir is not None
        self.keep = keep or self.seeded
        self.extra_env = env or {}
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="ssp-load-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
        return {**env, **SERVER_ENV, "SUISHOUPAI_DATA_DIR": str(self.data_dir),
                "SUISHOUPAI_SECRET_KEY": uuid.uuid4().hex, **self.extra_env}

    def __enter__(self) -> Self:
        cli = [sys.executable, "-m", "backend.cli"]
        if not self.seeded:
            subprocess.run([*cli, "seed-demo", "--no-cases"], env=self._env(), cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = (self.data_dir / "server.log").open("wb")
        self.proc = subprocess.Popen([*cli, "serve", "--no-migrate", "--port", str(self.port)], env=self._env(),
                                     cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.data_dir}/server.log")
            try:
                if httpx.get(self.url + "/health/live", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def pipeline_cpu_ms(photos: PhotoMaker | None = None, count: int = 20) -> float:
    """The CPU time of ``process`` (what the server does with each photo it takes) per photo of this load, in this
    thread: the part of a report's cost no server change short of doing less with the photo can remove."""
    photos = photos or PhotoMaker()
    made = [photos.make(n) for n in range(count + 2)]
    for data in made[:2]:  # warm: the decoder's first call loads its tables
        process(data, max_pixels=MAX_PIXELS)
    started = time.thread_time()
    for data in made[2:]:
        process(data, max_pixels=MAX_PIXELS)
    return (time.thread_time() - started) / count * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start an embedded one)")
    parser.add_argument("--phones", type=int, default=30)
    parser.add_argument("--subscribers", type=int, default=22, help="unit-inbox sockets, at least one per unit (22)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of reports")
    parser.add_argument("--rate", type=float, help="reports/s over all phones (default: as fast as answered)")
    parser.add_argument("--baseline", type=float, default=15.0, help="seconds of no-op uploads first (0: none)")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for the last cases' events")
    parser.add_argument("--keep", action="store_true", help="keep the embedded server's data dir")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's pid, for its CPU time per report")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the embedded server (repeatable), e.g. SUISHOUPAI_REDACTION_WORKERS=0")
    args = parser.parse_args(argv)
    server_env = dict(item.partition("=")[::2] for item in args.server_env)

    def load(url: str, pid: int | None) -> LoadResult:
        return asyncio.run(run_load(url, args.phones, args.subscribers, args.duration, rate=args.rate,
                                    baseline=args.baseline, drain=args.drain, server_pid=pid))

    if args.url:
        result = load(args.url, args.server_pid)
    else:
        with EmbeddedServer(keep=args.keep, env=server_env) as server:
            assert server.proc is not None
            sys.stderr.write(f"embedded server {server.url} (pid {server.proc.pid}) on {server.data_dir}\n")
            result = load(server.url, server.proc.pid)
    result.pipeline_ms = pipeline_cpu_ms()
    print(result.summary())
    return 0 if not result.errors else 1


if __name__ == "__main__":
    sys.exit(main())
