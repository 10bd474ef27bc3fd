"""Benchmark the server's memory under decompression-amplification photos: peak RSS and RSS once it has settled.

Starts the real app (uvicorn on the embedded default: SQLite and the local object store in a temporary data dir,
migrated and seeded), then sends ``--reports`` concurrent multipart reports, each from its own simulated phone (its own
anonymous device credential and its own loopback source address, so per-device and per-address rate limits see
ordinary traffic), twice: first with the demo city's ordinary JPEGs (the baseline), then with ``--photos`` highly
compressible PNGs each right under the pixel limit the server accepts for that PNG mode. The server's RSS is read from
/proc: its kernel-kept peak (VmHWM, reset before each phase) and the RSS after ``--settle`` seconds.

    .venv/bin/python scripts/bench_decode_memory.py                 # RGBA PNGs (the costliest mode), 32 reports x 4
    .venv/bin/python scripts/bench_decode_memory.py --mode 1 --megapixels 79.21   # the 9.7 KB 8900x8900 1-bit PNG
    .venv/bin/python scripts/bench_decode_memory.py --app-root /tmp/old-checkout --mode 1 --megapixels 79.21

``--app-root`` runs the server from another checkout (e.g. ``git archive`` of an older commit) to measure before/after
with the same client. The bench exits non-zero when any report fails; a 429 is reported as a rate limit, not hidden.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
from PIL import Image
from pillow_heif import register_heif_opener

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
DEMO_PHOTOS = sorted((ROOT / "media" / "samples" / "demo").glob("*.jpg"))
LAT, LNG = "27.73", "112.0"  # inside the demo city (Loudi)
# PNG colour type, bit depth and bytes per pixel of the raw rows, per Pillow mode.
PNG_MODES = {"1": (0, 1, 1 / 8), "L": (0, 8, 1), "P": (3, 8, 1), "RGB": (2, 8, 3), "RGBA": (6, 8, 4)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} for {pid}")


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of the server; False where /proc does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Sampler:
    """Polls the server's RSS, as a fallback peak where VmHWM cannot be reset, and for the time of the peak."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid, self.every = pid, every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, status_mb(self.pid, "VmRSS:"))
            self._stop.wait(self.every)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(mode: str, width: int, height: int, *, header_only: bool = False) -> bytes:
    """An all-zero PNG of the given mode and size: a few KB to a few hundred KB that decode to up to gigabytes."""
    color_type, depth, per_pixel = PNG_MODES[mode]
    idat = b""
    if not header_only:
        row = b"\x00" * (1 + math.ceil(width * per_pixel))
        compressor = zlib.compressobj(9)
        idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    palette = _chunk(b"PLTE", bytes(range(256)) * 3) if color_type == 3 else b""
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + palette + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def accepted_pixels(mode: str) -> int:
    """The most pixels this checkout's pipeline accepts for a PNG of this mode (its pixel and memory limits)."""
    from backend.errors import PayloadTooLarge
    from backend.photos.pipeline import decode_cost
    from backend.settings import Settings

    limit = Settings().max_image_pixels
    try:
        decode_cost(png(mode, limit, 1, header_only=True), limit)
    except PayloadTooLarge as exc:
        return int(exc.details["max_pixels"])
    return limit


@dataclass
class Phase:
    name: str
    ok: int = 0
    seconds: float = 0.0
    peak_mb: float = 0.0
    settled_mb: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)


@dataclass
class Phone:
    address: str
    token: str = ""


async def mint(url: str, phone: Phone) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=phone.address)
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=60) as http:
        r = await http.post("/api/v1/auth/device")
    if r.status_code == 429:
        raise SystemExit(f"rate limited (429) minting a device credential from {phone.address}: "
                         f"Retry-After {r.headers.get('retry-after')!r} — the bench cannot simulate its phones")
    r.raise_for_status()
    phone.token = r.json()["token"]


async def report(url: str, phone: Phone, photos: list[tuple[str, bytes, str]], phase: Phase) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=phone.address)
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=1800) as http:
        r = await http.post("/api/v1/reports", headers={"Authorization": f"Bearer {phone.token}"},
                            data={"lat": LAT, "lng": LNG, "description": "路面坑洼 bench"},
                            files=[("photos", photo) for photo in photos])
    if r.status_code == 201:
        phase.ok += 1
        return
    try:
        code = r.json().get("code", "")
    except ValueError:
        code = r.text[:80]
    key = f"{r.status_code} {code}" + (" (RATE LIMITED)" if r.status_code == 429 else "")
    phase.failures[key] = phase.failures.get(key, 0) + 1


def run_phase(name: str, url: str, pid: int, phones: list[Phone], photos: list[tuple[str, bytes, str]],
              settle: float) -> Phase:
    phase = Phase(name)
    hwm = reset_peak(pid)

    async def all_reports() -> None:
        await asyncio.gather(*(report(url, phone, photos, phase) for phone in phones))

    with Sampler(pid) as sampler:
        started = time.monotonic()
        asyncio.run(all_reports())
        phase.seconds = time.monotonic() - started
    phase.peak_mb = max(status_mb(pid, "VmHWM:") if hwm else 0.0, sampler.peak)
    time.sleep(settle)
    phase.settled_mb = status_mb(pid, "VmRSS:")
    return phase


# ------------------------------------------------------------------ per-format calibration of the cost model


def _encoded(fmt: str, mode: str, width: int, height: int, **params: object) -> bytes:
    im = Image.new(mode, (width, height), (90, 120, 150, 128)[: len(mode)])
    for x in range(0, width, 32):  # stripes, so that encoders have something to encode
        im.paste((20, 20, 20, 255)[: len(mode)], (x, 0, x + 6, height))
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def calibration_samples() -> dict[str, bytes]:
    """The worst file of each decode path at (or near) the most pixels the pipeline accepts for it."""

    def side(mode: str) -> int:
        return math.isqrt(accepted_pixels(mode))

    samples = {f"PNG {mode}": png(mode, side(mode), side(mode)) for mode in PNG_MODES}
    samples["JPEG 4:2:0 baseline 50 MP"] = _encoded("JPEG", "RGB", 8160, 6120, quality=90)
    samples["JPEG 4:4:4 progressive 50 MP"] = _encoded("JPEG", "RGB", 8160, 6120, quality=90, progressive=True,
                                                       subsampling=0)
    samples["WebP lossy 25 MP"] = _encoded("WEBP", "RGB", 5000, 5000, quality=80)
    samples["WebP lossless RGBA 25 MP"] = _encoded("WEBP", "RGBA", 5000, 5000, lossless=True)
    samples["HEIC RGB 48 MP"] = _encoded("HEIF", "RGB", 8064, 6048, quality=50)
    samples["HEIC RGBA 48 MP"] = _encoded("HEIF", "RGBA", 8064, 6048, quality=50)
    return samples


def measure_one(path: Path) -> None:
    """In a fresh process: the peak RSS one decode adds (in a worker thread, as on the server) and its modelled cost."""
    from backend.photos.pipeline import decode_cost, process

    data = path.read_bytes()
    process(DEMO_PHOTOS[0].read_bytes(), max_pixels=10**9)  # imports, codecs and first allocations are not the decode
    cost = decode_cost(data, 10**9)
    pid = os.getpid()
    reset_peak(pid)
    before = status_mb(pid, "VmRSS:")
    started = time.monotonic()
    thread = threading.Thread(target=process, args=(data,), kwargs={"max_pixels": 10**9})
    thread.start()
    thread.join()
    print(json.dumps({"peak_mb": status_mb(pid, "VmHWM:") - before, "cost_mb": cost / 2**20,
                      "seconds": time.monotonic() - started}))


def calibrate() -> None:
    register_heif_opener()
    print(f"{'file':32} {'size':>11} {'MP':>6} {'peak RSS added':>15} {'cost charged':>13} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in calibration_samples().items():
            path = Path(tmp) / "sample"
            path.write_bytes(data)
            width, height = Image.open(io.BytesIO(data)).size
            run = subprocess.run([sys.executable, __file__, "--measure", str(path)], cwd=ROOT, check=False,
                                 capture_output=True, text=True)
            if run.returncode:
                print(f"{name:32} failed: {run.stderr.strip().splitlines()[-1]}", flush=True)
                continue
            m = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{name:32} {len(data) / 1024:8.0f} KB {width * height / 1e6:6.1f} {m['peak_mb']:12.0f} MB "
                  f"{m['cost_mb']:10.0f} MB {m['seconds']:8.2f}", flush=True)


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=32, help="concurrent reports, one simulated phone each")
    parser.add_argument("--photos", type=int, default=4, help="photos per report")
    parser.add_argument("--mode", choices=sorted(PNG_MODES), default="RGBA", help="the PNG's Pillow mode")
    parser.add_argument("--megapixels", type=float, help="PNG size (default: the most the pipeline accepts)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait before reading settled RSS")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the checkout whose server to run")
    parser.add_argument("--calibrate", action="store_true",
                        help="instead: each decode path's peak RSS next to the cost the pipeline charges for it")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure_one(args.measure)
    if args.calibrate:
        return calibrate()

    pixels = int(args.megapixels * 1_000_000) if args.megapixels else accepted_pixels(args.mode)
    side = math.isqrt(pixels)
    worst = png(args.mode, side, side)
    print(f"worst-case photo: {args.mode} PNG {side}x{side} ({side * side / 1e6:.1f} MP), {len(worst) / 1024:.1f} KB",
          flush=True)
    normal = [(p.name, p.read_bytes(), "image/jpeg") for p in DEMO_PHOTOS]
    baseline_photos = [normal[i % len(normal)] for i in range(args.photos)]
    worst_photos = [(f"worst{i}.png", worst, "image/png") for i in range(args.photos)]

    work = Path(tempfile.mkdtemp(prefix="bench-decode-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    env.update(SUISHOUPAI_DATA_DIR=str(work), SUISHOUPAI_LOG_LEVEL="WARNING", SUISHOUPAI_SECRET_KEY="bench-decode")
    cli = [sys.executable, "-m", "backend.cli"]
    subprocess.run([*cli, "migrate"], cwd=args.app_root, env=env, check=True, capture_output=True)
    seed = [*cli, "seed-demo", "--no-cases"]
    seeded = subprocess.run(seed, cwd=args.app_root, env=env, check=False, capture_output=True)
    if seeded.returncode and b"DEMO_MODE" in seeded.stderr:
        # Newer checkouts seed demo users only in demo mode; older ones refuse the variable they do not know.
        env["SUISHOUPAI_DEMO_MODE"] = "true"
        seeded = subprocess.run(seed, cwd=args.app_root, env=env, check=False, capture_output=True)
    if seeded.returncode:
        raise SystemExit(f"seeding failed: {seeded.stderr.decode(errors='replace')[-500:]}")
    port = free_port()
    url = f"http://{HOST}:{port}"
    log = (work / "server.log").open("wb")  # exifread and the app's warnings, kept out of the figures
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--host", HOST, "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=args.app_root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"{url}/healthz", server)
        # Phone n speaks from 127.0.1.n: loopback accepts any 127/8 source, and each phone is its own client address.
        phones = [Phone(f"127.0.{1 + n // 250}.{1 + n % 250}") for n in range(args.reports + 1)]

        async def mint_all() -> None:
            await asyncio.gather(*(mint(url, phone) for phone in phones))

        asyncio.run(mint_all())
        # One report first, so that lazily loaded modules and the classifier count as idle, not as the baseline.
        warm = run_phase("warm-up", url, server.pid, phones[-1:], baseline_photos, args.settle)
        idle = status_mb(server.pid, "VmRSS:")
        phases = [
            warm,
            run_phase(f"{args.reports} reports x {args.photos} demo JPEGs", url, server.pid, phones[:-1],
                      baseline_photos, args.settle),
            run_phase(f"{args.reports} reports x {args.photos} {args.mode} PNGs {side}x{side}", url, server.pid,
                      phones[:-1], worst_photos, args.settle),
        ]
    finally:
        server.terminate()
        server.wait(30)
        log.close()

    print(f"\nserver: {args.app_root}  idle RSS {idle:.0f} MB (after one warm-up report)")
    print(f"{'phase':52} {'ok':>4} {'failed':>6} {'seconds':>8} {'peak RSS':>9} {'settled RSS':>12}")
    for p in phases:
        print(f"{p.name:52} {p.ok:4} {sum(p.failures.values()):6} {p.seconds:8.1f} {p.peak_mb:6.0f} MB "
              f"{p.settled_mb:9.0f} MB")
    failed = [(p.name, k, n) for p in phases for k, n in p.failures.items()]
    for name, kind, n in failed:
        print(f"FAILED in {name}: {n} x {kind}")
    if any("429" in kind for _, kind, _ in failed):
        print("Some reports were rate limited (429): the figures above do not cover every photo.")
    if failed:
        raise SystemExit(f"the server's data dir and log are kept in {work}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
