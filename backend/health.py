"""Liveness and readiness probes: is the process serving, and can it do useful work right now?

Readiness checks the database, the object store, Redis (when configured) and the job backlog, each with a short
timeout so a hung dependency answers "not ready" instead of hanging the probe. Without the database or the store no
report can be taken: 503. Without Redis live events still reach clients through the event-log poll, and a slow job
backlog still lets reports in: both only make the answer "degraded".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from litestar import get
from litestar.datastructures import State
from piccolo.query.functions.aggregate import Count, Min

from backend.context import AppContext
from backend.errors import Unavailable
from backend.jobs.tables import Job

CHECK_TIMEOUT_S = 2.0
# A due job waiting this long means the workers are not keeping up (or none is running): degraded, still serving.
BACKLOG_DEGRADED_S = 300.0
READY_RETRY_AFTER_S = 5


async def job_backlog() -> tuple[int, float]:
    """How many jobs are due to run now, and how long the oldest of them has been due (seconds)."""
    now = datetime.now(UTC)
    rows = await Job.select(Count(alias="due"), Min(Job.run_after, alias="oldest")).where(
        (Job.status == "pending") & (Job.run_after <= now)
    )
    due = int(rows[0]["due"] or 0) if rows else 0
    oldest = rows[0]["oldest"] if rows else None
    if isinstance(oldest, str):  # SQLite hands aggregates back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return due, max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


async def _timed(check: Awaitable[Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        extra = await asyncio.wait_for(check, timeout=CHECK_TIMEOUT_S)
    except TimeoutError:
        return {"status": "error", "error": f"timed out after {CHECK_TIMEOUT_S:g} s"}
    except Exception as exc:  # noqa: BLE001 - a failed dependency is the answer, not a crash of the probe
        reason = exc.code if isinstance(exc, Unavailable) else type(exc).__name__
        return {"status": "error", "error": reason}
    result = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    if isinstance(extra, dict):
        result.update(extra)
    return result


async def _database(ctx: AppContext) -> None:
    await ctx.engine.run_ddl("SELECT 1")


async def _store(ctx: AppContext) -> None:
    # Idempotent and cheap (a mkdir that exists; S3's bucket_exists), and it fails on what breaks uploads: a store
    # root that is not a directory, an unreachable endpoint, refused credentials.
    await ctx.store.ensure_ready()


async def _redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _jobs() -> dict[str, Any]:
    due, oldest = await job_backlog()
    return {"due": due, "oldest_due_age_s": round(oldest, 1)}


async def readiness(ctx: AppContext) -> tuple[bool, dict[str, Any]]:
    """(whether the app can serve, the whole answer); every check runs at once."""
    names = ["database", "store", "jobs"]
    checks: list[Awaitable[Any]] = [_database(ctx), _store(ctx), _jobs()]
    if ctx.settings.redis_url:
        names.append("redis")
        checks.append(_redis(ctx.settings.redis_url))
    results = dict(zip(names, await asyncio.gather(*(_timed(c) for c in checks)), strict=True))
    if not ctx.settings.redis_url:
        results["redis"] = {"status": "not_configured"}
    jobs = results["jobs"]
    if jobs["status"] == "ok" and jobs["oldest_due_age_s"] > BACKLOG_DEGRADED_S:
        jobs["status"] = "slow"
    serving = all(results[name]["status"] == "ok" for name in ("database", "store"))
    healthy = serving and all(r["status"] in ("ok", "not_configured") for r in results.values())
    return serving, {"status": "ok" if healthy else "degraded", "checks": results}


@get("/health/live", operation_id="health_live", summary="存活检查 Liveness", tags=["meta"], sync_to_thread=False)
def live() -> dict[str, str]:
    """200 while the process serves requests; checks nothing else."""
    return {"status": "ok"}


# The historical name, kept for old probes; its own handler, since two paths cannot share one operation_id.
@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", operation_id="health_ready", summary="就绪检查 Readiness", tags=["meta"])
async def ready(state: State) -> dict[str, Any]:
    """200 ``ok`` or ``degraded`` (Redis or job backlog) while reports can be taken; 503 without database or store."""
    ctx: AppContext = state.ctx
    serving, answer = await readiness(ctx)
    if not serving:
        raise Unavailable("服务尚未就绪：数据库或对象存储不可用", "Not ready: the database or the object store is unavailable",
                          code="service.not_ready", details=answer, retry_after=READY_RETRY_AFTER_S)
    return answer


HANDLERS = [live, healthz, ready]

