"""A durable job queue on the database: enqueue inside the caller's transaction, claim, run, retry, recover.

A claim is a short lease (``LEASE``) that the worker renews every ``HEARTBEAT`` while the handler runs. A job whose
worker died (kill -9, a lost machine) stops being renewed and is claimed again within ``LEASE`` seconds; a worker that
lost its lease (paused past it, its database connection gone) cannot finish the job over the new claim, because every
update names the claim it holds. Failures are retried with exponential backoff; after ``MAX_ATTEMPTS`` the job is
``failed``, the dead letter an admin lists and retries (``backend/jobs/controllers.py``). Handlers are idempotent: a
job run twice (a lease lost mid-run) does its work once (triage checks ``triaged_at``, photo processing its status).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns import Column

from backend.db import is_postgres, write_transaction, writes_first
from backend.jobs.tables import Job
from backend.loops import Loop

log = logging.getLogger("suishoupai.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
LEASE = timedelta(seconds=15)
HEARTBEAT = 5.0  # seconds between lease renewals: three renewals fit in one lease
MAX_ATTEMPTS = 5
MAX_BACKOFF = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 2, 4, 8 … seconds with ±20 % jitter (workers that failed together do not
    retry in step), at most ``MAX_BACKOFF``."""
    base = min(2.0 ** attempts, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


async def enqueue(kind: str, payload: dict[str, Any], delay: timedelta = timedelta(0)) -> int:
    now = _now()
    rows = await Job.insert(Job(kind=kind, payload=payload, run_after=now + delay, created_at=now)).returning(Job.id)
    return int(rows[0]["id"])


async def claim(engine: Any, kinds: list[str]) -> Job | None:
    """Take the oldest due job (pending, or running with an expired lease) under a new lease."""
    now = _now()
    async with write_transaction(engine):
        query = (
            Job.objects()
            .output(load_json=True)
            .where(
                Job.kind.is_in(kinds)
                & (
                    ((Job.status == "pending") & (Job.run_after <= now))
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
        if job.status == "running":
            log.warning("job %s (%s): its worker's lease ran out on attempt %s; claimed again", job.id, job.kind,
                        job.attempts)
        job.status = "running"
        job.attempts += 1
        job.locked_until = now + LEASE
        job.claimed_by = uuid.uuid4().hex
        await job.save([Job.status, Job.attempts, Job.locked_until, Job.claimed_by])
        return job


def _held(job: Job) -> Any:
    return (Job.id == job.id) & (Job.claimed_by == job.claimed_by) & (Job.status == "running")


async def renew(job: Job) -> bool:
    """Extend this claim's lease; False when the claim was lost (the lease ran out and another worker took it)."""
    async with write_transaction(Job._meta.db):  # in the writers' queue, not in SQLite's busy loop
        rows = await Job.update({Job.locked_until: _now() + LEASE}).where(_held(job)).returning(Job.id)
    return bool(rows)


async def finish(job: Job, error: str | None) -> bool:
    """Record the outcome of this claim; False (nothing written) when the claim was lost meanwhile."""
    values: dict[Column | str, Any]
    if error is None:
        values = {Job.status: "done", Job.finished_at: _now(), Job.last_error: "", Job.locked_until: None}
    elif job.attempts >= MAX_ATTEMPTS:
        values = {Job.status: "failed", Job.finished_at: _now(), Job.last_error: error, Job.locked_until: None}
    else:
        values = {Job.status: "pending", Job.run_after: _now() + backoff(job.attempts), Job.last_error: error,
                  Job.locked_until: None}
    # In the writers' queue like every other write: SQLite's busy handler sleeps and lets newcomers overtake, so an
    # update on its own could wait behind a stream of requests while the next job waits for this worker.
    async with write_transaction(Job._meta.db):
        rows = await Job.update(values).where(_held(job)).returning(Job.id)
    if not rows:
        log.warning("job %s (%s): lease lost before it finished; the new claim decides", job.id, job.kind)
    elif error is not None and job.attempts >= MAX_ATTEMPTS:
        log.error("job %s (%s) failed %s times: dead letter (%s)", job.id, job.kind, job.attempts, error)
    return bool(rows)


async def _keep_renewing(job: Job, done: asyncio.Event) -> None:
    """Renew the lease every beat until ``done`` is set (told by the event as well as by the cancel: a cancellation
    can be lost in a library's await)."""
    while True:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HEARTBEAT):
                await done.wait()
        if done.is_set():
            return
        try:
            if not await renew(job):
                return
        except Exception:  # a database hiccup: try again at the next beat, the lease still has time
            log.warning("job %s: lease renewal failed", job.id, exc_info=True)


async def run_one(engine: Any, handlers: Mapping[str, Handler]) -> bool:
    """Claim and run one job, renewing its lease meanwhile; False when there was nothing to do. Its writes wait ahead
    of the requests' (``writes_first``): the few workers carry every report on to its unit."""
    with writes_first():
        return await _run_one(engine, handlers)


async def _run_one(engine: Any, handlers: Mapping[str, Handler]) -> bool:
    job = await claim(engine, list(handlers))
    if job is None:
        return False
    done = asyncio.Event()
    heartbeat = asyncio.create_task(_keep_renewing(job, done), name=f"job-{job.id}-lease")
    try:
        await handlers[job.kind](job.payload)
    except Exception as exc:
        log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
        outcome: str | None = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        outcome = None
    finally:
        done.set()
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
    await finish(job, outcome)
    return True


async def drain(engine: Any, handlers: Mapping[str, Handler], limit: int = 10_000) -> int:
    """Run jobs until none is ready (used by tests and the CLI)."""
    done = 0
    while done < limit and await run_one(engine, handlers):
        done += 1
    return done


async def dead_letters(kind: str | None = None, limit: int = 100, before_id: int | None = None) -> list[dict[str, Any]]:
    """Failed jobs, newest first."""
    query = Job.select(Job.id, Job.kind, Job.payload, Job.attempts, Job.last_error, Job.created_at,
                       Job.finished_at).where(Job.status == "failed").output(load_json=True)
    if kind:
        query = query.where(Job.kind == kind)
    if before_id:
        query = query.where(Job.id < before_id)
    return list(await query.order_by(Job.id, ascending=False).limit(limit))


async def retry(job_id: int) -> bool:
    """Put a failed job back in the queue with fresh attempts; False when it is not failed (already retried, never
    failed, or unknown)."""
    rows = await Job.update(
        {Job.status: "pending", Job.attempts: 0, Job.run_after: _now(), Job.finished_at: None, Job.locked_until: None,
         Job.claimed_by: ""}
    ).where((Job.id == job_id) & (Job.status == "failed")).returning(Job.id)
    return bool(rows)


class Worker(Loop):
    """Runs jobs in the background; ``wake()`` skips the wait when new work was just enqueued."""

    def __init__(self, engine: Any, handlers: Mapping[str, Handler], poll_seconds: float) -> None:
        super().__init__("suishoupai-worker", lambda: run_one(engine, handlers), poll_seconds)
