"""Two app processes sharing one PostgreSQL database and Redis: an action on A reaches a subscriber on B, and a
session ended anywhere closes its websockets on every process."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.live.bus import EventBus
from backend.settings import Settings
from tests.conftest import IN_CI, PG_URL, REDIS_URL, SERVER_ENV, _pg_admin, _pg_url
from tests.helpers import point_in
from tests.live.conftest import ROOT, Churn, serve, token
from tests.live.test_network import ended, open_ws, quiet, read_events

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Settings, dict[str, str]]]:
    """A fresh database, migrated and seeded with the CLI as a deployment would, and a Redis db of its own."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI needs SUISHOUPAI_TEST_POSTGRES_URL")
        pytest.skip("needs SUISHOUPAI_TEST_POSTGRES_URL (scripts/services.sh starts one)")
    name = "live_" + uuid.uuid4().hex[:10]
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    settings = Settings(data_dir=tmp_path, database_url=_pg_url(name), secret_key="test-secret")
    # A Redis database nobody else's test uses, so no other app's events cross this test's channel.
    env = {"SUISHOUPAI_REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + f"/{random.randint(1, 15)}"}
    cli_env = {**os.environ, "SUISHOUPAI_DATA_DIR": str(tmp_path), "SUISHOUPAI_DATABASE_URL": settings.database_url,
               "SUISHOUPAI_SECRET_KEY": settings.secret_key, **SERVER_ENV, **env}
    try:
        for args in (["migrate"], ["seed-demo", "--no-cases"]):
            subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=cli_env, check=True,
                           capture_output=True, timeout=300)
        yield settings, env
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_an_action_on_one_process_reaches_a_subscriber_on_another(shared: tuple[Settings, dict[str, str]],
                                                                   tmp_path: Path) -> None:
    settings, env = shared
    with serve(settings, tmp_path / "a.log", **env) as a, serve(settings, tmp_path / "b.log", **env) as b, \
            httpx.Client(base_url=f"http://{a}", timeout=30) as http:
        tok = token(http, "citizen01")
        on_b, _ = open_ws(b, tok)  # natural topics: reporter:{me}
        on_a, _ = open_ws(a, tok)
        churn = Churn(http)  # report, triage, request_verify: three events, all made on A's side
        churn.make(5)
        seen_b = read_events(on_b, 8)
        seen_a = read_events(on_a, 8)
        assert [e["kind"] for e in seen_b[:2]] == ["case.created", "case.triaged"]
        assert [e["action"] for e in seen_b[2:]] == ["request_verify"] + ["assign_supervisor"] * 5
        assert all(e["case_id"] == churn.id for e in seen_b)
        seqs = [e["seq"] for e in seen_b]
        assert seqs == sorted(set(seqs)) == [e["seq"] for e in seen_a]
        quiet(on_b)

        # B's subscriber drops out; A keeps working; B's log replay fills the gap.
        on_b.close()
        churn.make(3)
        on_b, replayed = open_ws(b, tok, since=seqs[-1])
        assert [e["action"] for e in replayed] == ["assign_supervisor"] * 3
        churn.make(1)
        assert read_events(on_b, 1)[0]["seq"] > replayed[-1]["seq"]
        quiet(on_b)
        on_a.close()
        on_b.close()


def test_redis_channel_is_the_only_path_between_processes(shared: tuple[Settings, dict[str, str]],
                                                          tmp_path: Path) -> None:
    """Without Redis the second process hears nothing until its heartbeat polls the shared log."""
    settings, _ = shared
    slow_poll = {"SUISHOUPAI_WS_HEARTBEAT_SECONDS": "30"}
    # B runs no job worker: had it picked up the report's triage job, it would publish the triage event itself.
    with serve(settings, tmp_path / "a.log", **slow_poll) as a, \
            serve(settings, tmp_path / "b.log", **slow_poll, SUISHOUPAI_RUN_WORKER="false") as b, \
            httpx.Client(base_url=f"http://{a}", timeout=30) as http:
        tok = token(http, "citizen01")
        on_b, _ = open_ws(b, tok)
        lng, lat = point_in("ZR01")
        r = http.post("/api/v1/reports", headers={"Authorization": f"Bearer {tok}"},
                      json={"lng": lng, "lat": lat, "description": "路灯不亮"})
        assert r.status_code == 201, r.text
        with pytest.raises(TimeoutError):
            on_b.recv(timeout=3)
        on_b.close()


async def end_sessions_from_elsewhere(redis_url: str, user_id: int, sessions: list[str]) -> None:
    """Publish ``end_sessions`` as a third process would: through Redis only."""
    from litestar.channels import ChannelsPlugin
    from litestar.channels.backends.redis import RedisChannelsPubSubBackend
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        async with ChannelsPlugin(backend=RedisChannelsPubSubBackend(redis=redis),
                                  arbitrary_channels_allowed=True) as channels:
            await EventBus(channels).end_sessions(user_id, sessions)
    finally:
        await redis.aclose()


def test_a_session_ended_anywhere_closes_its_websockets_on_every_process(shared: tuple[Settings, dict[str, str]],
                                                                         tmp_path: Path) -> None:
    settings, env = shared
    slow_sweep = {"SUISHOUPAI_WS_HEARTBEAT_SECONDS": "30", **env}  # only the control message can close them in time
    with serve(settings, tmp_path / "a.log", **slow_sweep) as a, serve(settings, tmp_path / "b.log", **slow_sweep) as b, \
            httpx.Client(base_url=f"http://{a}", timeout=30) as http:
        first, second, third = (token(http, "citizen01") for _ in range(3))
        me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).json()["id"]
        sockets = [open_ws(address, first)[0] for address in (a, b)]
        on_b = open_ws(b, second)[0]
        kept = open_ws(b, third)[0]

        asyncio.run(end_sessions_from_elsewhere(env["SUISHOUPAI_REDIS_URL"], me,
                                                [hashlib.sha256(first.encode()).hexdigest()]))
        for ws in sockets:
            error, code, took = ended(ws, within=2)
            assert code == 4401 and error is not None and error["code"] == "auth.session_ended" and took < 1

        # A logout on A closes that session's socket on B.
        assert http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {second}"}).status_code == 204
        error, code, took = ended(on_b, within=2)
        assert code == 4401 and took < 1
        quiet(kept)
        kept.close()


def test_metrics_sum_every_worker_process(shared: tuple[Settings, dict[str, str]], tmp_path: Path) -> None:
    """``suishoupai serve --workers 2``: any worker's scrape counts the requests and websockets of both."""
    from prometheus_client.parser import text_string_to_metric_families

    def scrape(address: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        r = httpx.get(f"http://{address}/metrics", timeout=10)  # a new connection each time: any worker may answer
        assert r.status_code == 200, r.text
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(r.text) for s in family.samples}

    def total(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)

    settings, env = shared
    metrics_dir = tmp_path / "metrics"
    with serve(settings, tmp_path / "w.log", workers=2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), **env) as address:
        n = 40
        for _ in range(n):  # separate connections, spread over the workers by the kernel
            assert httpx.get(f"http://{address}/health/live", timeout=10).status_code == 200
        pids = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("*.db")}
        assert len(pids) >= 2, pids  # both workers write their own files
        for _ in range(4):
            assert total(scrape(address), "http_requests_total", path="/health/live") == n

        with httpx.Client(base_url=f"http://{address}", timeout=30) as http:
            tok = token(http, "citizen01")
        sockets = [open_ws(address, tok)[0] for _ in range(3)]
        deadline = time.monotonic() + 15  # each worker samples its own connections every few seconds
        while total(scrape(address), "suishoupai_websocket_connections") != 3:
            assert time.monotonic() < deadline, "websocket gauge did not reach 3"
            time.sleep(0.5)
        for ws in sockets:
            ws.close()
        while total(scrape(address), "suishoupai_websocket_connections") != 0:
            assert time.monotonic() < deadline + 15, "websocket gauge did not drop to 0"
            time.sleep(0.5)


class RedisServer:
    """A redis-server of this test's own on a free port, so it can be killed and started again."""

    def __init__(self, where: Path) -> None:
        from tests.live.conftest import free_port

        self.port = free_port()
        self.where = where
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.where)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                             check=False).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _first_event(ws: Any, within: float) -> tuple[dict[str, Any], float]:
    """The next event on ``ws`` (heartbeats skipped) and how long it took."""
    import json

    began = time.monotonic()
    while True:
        left = within - (time.monotonic() - began)
        assert left > 0, f"no event within {within} s"
        msg = json.loads(ws.recv(timeout=left))
        if msg["type"] == "event":
            return msg, time.monotonic() - began


def test_redis_killed_mid_run_processes_keep_serving_and_live_events_fall_back_to_the_log(
        shared: tuple[Settings, dict[str, str]], tmp_path: Path) -> None:
    settings, _ = shared
    redis = RedisServer(tmp_path)
    redis.start()
    # Heartbeats far apart: an event that arrives within seconds came through Redis or the degraded-mode poll.
    env = {"SUISHOUPAI_REDIS_URL": redis.url, "SUISHOUPAI_WS_HEARTBEAT_SECONDS": "60"}
    lng, lat = point_in("ZR01")
    try:
        with serve(settings, tmp_path / "a.log", **env) as a, serve(settings, tmp_path / "b.log", **env,
                                                                      SUISHOUPAI_RUN_WORKER="false") as b, \
                httpx.Client(base_url=f"http://{a}", timeout=30) as http:
            tok = token(http, "citizen01")
            auth = {"Authorization": f"Bearer {tok}"}
            on_b, _ = open_ws(b, tok)

            def report(text: str) -> int:
                r = http.post("/api/v1/reports", headers=auth, json={"lng": lng, "lat": lat, "description": text})
                assert r.status_code == 201, r.text
                return int(r.json()["id"])

            def created_and_triaged(case: int) -> tuple[list[int], float]:
                """The case's two events on B (created on A; triaged by A's worker): their seqs, and how long the
                slower took."""
                got = [_first_event(on_b, 10) for _ in range(2)]
                assert [(e["case_id"], e["kind"]) for e, _ in got] == [(case, "case.created"), (case, "case.triaged")]
                return [e["seq"] for e, _ in got], max(took for _, took in got)

            seqs, _ = created_and_triaged(report("路灯不亮"))
            quiet(on_b)

            redis.kill()
            # Logins (rate limits and lockouts lived in Redis) and reports are still served.
            tok2 = token(http, "citizen02")
            assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {tok2}"}).status_code == 200
            ready = http.get("/health/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            assert ready.json()["checks"]["redis"]["status"] == "error"
            case = report("井盖松动")
            got, took = created_and_triaged(case)  # B reads them from the event log, polled every second meanwhile
            assert took < 4, took
            seqs += got
            quiet(on_b)

            redis.start()  # an empty Redis on the same port: the readers reconnect and subscribe again
            deadline = time.monotonic() + 20
            while http.get("/health/ready").json()["status"] != "ok":
                assert time.monotonic() < deadline, "readiness did not recover"
                time.sleep(0.5)
            time.sleep(6)  # past the readers' reconnect backoff (at most 5 s)
            quiet(on_b)
            for text in ("垃圾桶满了", "路面坑洼"):
                got, took = created_and_triaged(report(text))
                assert took < 3, took  # through Redis again: the degraded poll has stopped, heartbeats are 60 s
                seqs += got
            quiet(on_b)
            assert seqs == sorted(set(seqs))  # in order, none twice although the log poll and Redis both deliver
            on_b.close()
    finally:
        redis.kill()
