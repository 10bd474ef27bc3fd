"""A durable job queue on the database: enqueue inside the caller's transaction, claim, run, retry, recover.

A job that was running when the process died is claimed again once its lock expires, so restart finishes the work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.db import is_postgres, write_transaction
from backend.jobs.tables import Job
from backend.loops import Loop

log = logging.getLogger("suishoupai.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
LOCK = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC)


async def enqueue(kind: str, payload: dict[str, Any], delay: timedelta = timedelta(0)) -> int:
    now = _now()
    rows = await Job.insert(Job(kind=kind, payload=payload, run_after=now + delay, created_at=now)).returning(Job.id)
    return int(rows[0]["id"])


async def claim(engine: Any, kinds: list[str]) -> Job | None:
    now = _now()
    async with write_transaction(engine):
        query = (
            Job.objects()
            .output(load_json=True)
            .where(
                Job.kind.is_in(kinds)
                & (Job.run_after <= now)
                & (
                    (Job.status == "pending")
                    | ((Job.status == "running") & (Job.locked_until < now))
                )
            )
            .order_by(Job.id)
            .limit(1)
        )
        if is_postgres(engine):
            query = query.lock_rows(skip_locked=True)
        jobs = await query
        if not jobs:
            return None
        job = jobs[0]
        job.status = "running"
        job.attempts += 1
        job.locked_until = now + LOCK
        await job.save([Job.status, Job.attempts, Job.locked_until])
        return job


async def finish(job: Job, error: str | None) -> None:
    if error is None:
        await Job.update({Job.status: "done", Job.finished_at: _now(), Job.last_error: ""}).where(Job.id == job.id)
    elif job.attempts >= MAX_ATTEMPTS:
        await Job.update({Job.status: "failed", Job.finished_at: _now(), Job.last_error: error}).where(Job.id == job.id)
    else:
        backoff = timedelta(seconds=2 ** job.attempts)
        await Job.update(
            {Job.status: "pending", Job.run_after: _now() + backoff, Job.last_error: error, Job.locked_until: None}
        ).where(Job.id == job.id)


async def run_one(engine: Any, handlers: dict[str, Handler]) -> bool:
    """Claim and run one job; False when there was nothing to do."""
    job = await claim(engine, list(handlers))
    if job is None:
        return False
    try:
        await handlers[job.kind](job.payload)
    except Exception as exc:  # noqa: BLE001 - recorded on the job and retried, never swallowed silently
        log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
        await finish(job, f"{type(exc).__name__}: {exc}")
    else:
        await finish(job, None)
    return True


async def drain(engine: Any, handlers: dict[str, Handler], limit: int = 10_000) -> int:
    """Run jobs until none is ready (used by tests and the CLI)."""
    done = 0
    while done < limit and await run_one(engine, handlers):
        done += 1
    return done


class Worker(Loop):
    """Runs jobs in the background; ``wake()`` skips the wait when new work was just enqueued."""

    def __init__(self, engine: Any, handlers: dict[str, Handler], poll_seconds: float) -> None:
        super().__init__("suishoupai-worker", lambda: run_one(engine, handlers), poll_seconds)
