"""Benchmark /ws fan-out: N idle subscribers on one uvicorn process, one case event broadcast to all of them.

Measures delivery latency (event ``at`` to receipt, p50/p99 over every subscriber and round) and server memory per
idle connection (RSS delta / N from /proc), then does the same against a bare ``websockets`` server that broadcasts
the same message with ``websockets.broadcast``. Everything runs on loopback; subscribers live in --procs client
processes using the ``websockets`` asyncio client (compression off on both sides, as the app's deployment should).

    .venv/bin/python scripts/bench_ws.py --subscribers 10000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


DEMO_PASSWORD = "ssp-demo-2026"  # the demo city's published password (demo mode only)


def login(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["token"]}


class Churn:
    """A case waiting for verification whose supervisor is reassigned back and forth: exactly one event per make()."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        citizen, self.operator = login(http, "citizen01"), login(http, "operator01")
        r = http.post("/api/v1/reports", headers=citizen,
                      json={"lng": 111.9960, "lat": 27.7290, "description": "人行道上的井盖没了"})
        r.raise_for_status()
        self.id: int = r.json()["id"]
        deadline = time.monotonic() + 60
        while not any(t["action"] == "triage" for t in self._case()["timeline"]):
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark's case was never triaged")
            time.sleep(0.1)
        current = self._act("request_verify")["assigned_supervisor_id"]
        ids = [http.get("/api/v1/me", headers=login(http, u)).json()["id"] for u in ("supervisor01", "supervisor02")]
        self.others = [i for i in ids if i != current] + [current]

    def _case(self) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/cases/{self.id}", headers=self.operator)
        r.raise_for_status()
        return dict(r.json())

    def _act(self, action: str, **body: Any) -> dict[str, Any]:
        r = self.http.post(f"/api/v1/cases/{self.id}/actions/{action}", json=body, headers=self.operator)
        r.raise_for_status()
        return dict(r.json())

    def make(self, n: int = 1) -> None:
        for _ in range(n):
            self._act("assign_supervisor", supervisor_id=self.others[0])
            self.others.reverse()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


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


# ------------------------------------------------------------------ the bare baseline server


async def bare_server(port: int) -> None:
    """A plain websockets server: /control's messages are broadcast to every other connection."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            async for template in ws:
                message = json.loads(template)
                message["at"] = datetime.now().astimezone().isoformat()
                broadcast(clients, json.dumps(message, ensure_ascii=False))
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, HOST, port, compression=None, backlog=8192):
        await asyncio.Future()


# ------------------------------------------------------------------ subscriber processes


def client_main(pipe: Any, url: str, count: int, hello: list[str]) -> None:
    raise_fd_limit()
    asyncio.run(_clients(pipe, url, count, hello))


async def _clients(pipe: Any, url: str, count: int, hello: list[str]) -> None:
    """``hello``: what each client sends first (the app: auth and subscribe, then it waits for ``subscribed``)."""
    from websockets.asyncio.client import connect

    got: dict[int, list[float]] = {}
    gate = asyncio.Semaphore(100)
    sockets = []

    async def one() -> None:
        async with gate:
            ws = await connect(url, compression=None, open_timeout=120, ping_interval=None, max_size=2**20)
            for message in hello:
                await ws.send(message)
            if hello:
                while '"subscribed"' not in str(await ws.recv()):
                    pass
        sockets.append(ws)
        async for raw in ws:
            now = time.time()
            if '"event"' in raw:
                msg = json.loads(raw)
                got.setdefault(msg["seq"], []).append(now - datetime.fromisoformat(msg["at"]).timestamp())

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    loop = asyncio.get_running_loop()
    while len(sockets) < count:
        await asyncio.sleep(0.2)
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()  # type: ignore[misc]
    pipe.send(("ready", count))
    while True:
        command, seq = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        deadline = time.monotonic() + 30
        while len(got.get(seq, [])) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        pipe.send(("latencies", got.pop(seq, [])))
    for ws in sockets:
        await ws.close()


class Clients:
    def __init__(self, url: str, total: int, procs: int, hello: list[str]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        share = [total // procs + (1 if i < total % procs else 0) for i in range(procs)]
        for n in share:
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(theirs, url, n, hello), daemon=True)
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    def wait_ready(self) -> None:
        for pipe in self.pipes:
            assert pipe.recv()[0] == "ready"

    def latencies(self, seq: int) -> list[float]:
        for pipe in self.pipes:
            pipe.send(("collect", seq))
        out: list[float] = []
        for pipe in self.pipes:
            out += pipe.recv()[1]
        return out

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(("stop", 0))
        for proc in self.procs:
            proc.join(30)


# ------------------------------------------------------------------ the runs


def summary(name: str, lat: list[float], expected: int, rss_delta_kb: int, n: int) -> dict[str, Any]:
    lat.sort()
    row = {
        "server": name, "subscribers": n, "delivered": f"{len(lat)}/{expected}",
        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1) if lat else None,
        "max_ms": round(lat[-1] * 1000, 1) if lat else None,
        "kb_per_idle_conn": round(rss_delta_kb / n, 1),
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def run_app(args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    # Every subscriber is citizen01 (a demo user): lift the per-user connection limit for the benchmark.
    env.update(SUISHOUPAI_DATA_DIR=str(work), SUISHOUPAI_LOG_LEVEL="WARNING", SUISHOUPAI_SECRET_KEY="bench",
               SUISHOUPAI_DEMO_MODE="true", SUISHOUPAI_WS_MAX_PER_USER=str(args.subscribers))
    if args.database_url:
        env["SUISHOUPAI_DATABASE_URL"] = args.database_url
    for cmd in (["migrate"], ["seed-demo", "--no-cases"]):
        subprocess.run([sys.executable, "-m", "backend.cli", *cmd], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.app:create_app", "--factory", "--host", HOST, "--port", str(port),
         "--log-level", "warning", "--backlog", "8192", "--ws-per-message-deflate", "false"],
        cwd=ROOT, env=env,
    )
    try:
        wait_http(f"http://{HOST}:{port}/healthz", server)
        http = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60)
        churn = Churn(http)
        tok = login(http, "citizen01")["Authorization"].removeprefix("Bearer ")
        hello = [json.dumps({"type": "auth", "token": tok}),
                 json.dumps({"type": "subscribe", "topics": [f"case:{churn.id}"]})]
        before = rss_kb(server.pid)
        clients = Clients(f"ws://{HOST}:{port}/ws", args.subscribers, args.procs, hello)
        t0 = time.monotonic()
        clients.wait_ready()
        print(f"app: {args.subscribers} subscribers connected in {time.monotonic() - t0:.1f} s", flush=True)
        time.sleep(3)
        delta = rss_kb(server.pid) - before
        lat: list[float] = []
        for _ in range(args.rounds):
            churn.make(1)
            seq = newest_seq(work, args.database_url)  # the action has committed: its event is the newest
            lat += clients.latencies(seq)
            time.sleep(args.pause)
        sample = last_event_json(work, args.database_url)
        clients.stop()
        return summary("suishoupai /ws (Litestar + uvicorn)", lat, args.subscribers * args.rounds, delta,
                       args.subscribers), sample
    finally:
        server.terminate()
        server.wait(30)


def _query(work: Path, database_url: str, sql: str) -> Any:
    if database_url:
        import asyncpg

        async def go() -> Any:
            conn = await asyncpg.connect(database_url)
            try:
                return await conn.fetchval(sql)
            finally:
                await conn.close()

        return asyncio.run(go())
    import sqlite3

    with sqlite3.connect(work / "suishoupai.sqlite") as conn:
        return conn.execute(sql).fetchone()[0]


def newest_seq(work: Path, database_url: str) -> int:
    return int(_query(work, database_url, "SELECT max(seq) FROM event"))


def last_event_json(work: Path, database_url: str) -> str:
    payload = _query(work, database_url, "SELECT payload FROM event ORDER BY seq DESC LIMIT 1")
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)


def run_bare(args: argparse.Namespace, payload: str) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--bare-server", str(port)], cwd=ROOT)
    try:
        from websockets.sync.client import connect

        for _ in range(300):
            try:
                control = connect(f"ws://{HOST}:{port}/control", compression=None, legacy=True)
                break
            except OSError:
                time.sleep(0.1)
        before = rss_kb(server.pid)
        clients = Clients(f"ws://{HOST}:{port}/", args.subscribers, args.procs, [])
        clients.wait_ready()
        time.sleep(3)
        delta = rss_kb(server.pid) - before
        lat: list[float] = []
        for r in range(args.rounds):
            # The same event body as the app sent, with a fresh timestamp set by the server.
            message = {"type": "event", "seq": r + 1, "kind": "case.updated", "v": 1, **json.loads(payload)}
            control.send(json.dumps(message, ensure_ascii=False))
            lat += clients.latencies(r + 1)
            time.sleep(args.pause)
        clients.stop()
        control.close()
        return summary("bare websockets.broadcast", lat, args.subscribers * args.rounds, delta, args.subscribers)
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: a SQLite file in a temp dir)")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit()
    if args.bare_server:
        asyncio.run(bare_server(args.bare_server))
        return
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_ws_") as tmp:
        app, payload = run_app(args, Path(tmp))
    bare = run_bare(args, payload)
    if app["p99_ms"] and bare["p99_ms"]:
        print(json.dumps({"p99_ratio_app_over_bare": round(app["p99_ms"] / bare["p99_ms"], 2)}), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
