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
import math
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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


def _due(kinds: list[str], now: datetime) -> Any:
    return Job.kind.is_in(kinds) & (
        ((Job.status == "pending") & (Job.run_after <= now)) | ((Job.status == "running") & (Job.locked_until < now))
    )


async def _any_due(kinds: list[str], now: datetime) -> bool:
    """Whether a job looks due, read without the write lock: an idle worker (two are woken for each new job, and
    every worker polls) must not take SQLite's one writer from the requests only to find nothing."""
    return bool(await Job.select(Job.id).where(_due(kinds, now)).limit(1))


async def _take(engine: Any, kinds: list[str], now: datetime) -> Job | None:
    """Within a write transaction: the oldest due job (pending, or running with an expired lease), under a new lease."""
    query = Job.objects().output(load_json=True).where(_due(kinds, now)).order_by(Job.id).limit(1)
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


async def claim(engine: Any, kinds: list[str]) -> Job | None:
    """Take the oldest due job (pending, or running with an expired lease) under a new lease."""
    now = _now()
    if not await _any_due(kinds, now):
        return None
    async with write_transaction(engine, inline=True):
        return await _take(engine, kinds, now)


def _held(job: Job) -> Any:
    return (Job.id == job.id) & (Job.claimed_by == job.claimed_by) & (Job.status == "running")


async def renew(job: Job) -> bool:
    """Extend this claim's lease; False when the claim was lost (the lease ran out and another worker took it)."""
    async with write_transaction(Job._meta.db, inline=True):  # in the writers' queue, not in SQLite's busy loop
        rows = await Job.update({Job.locked_until: _now() + LEASE}).where(_held(job)).returning(Job.id)
    return bool(rows)


def _outcome(job: Job, error: str | None) -> dict[Column | str, Any]:
    if error is None:
        return {Job.status: "done", Job.finished_at: _now(), Job.last_error: "", Job.locked_until: None}
    if job.attempts >= MAX_ATTEMPTS:
        return {Job.status: "failed", Job.finished_at: _now(), Job.last_error: error, Job.locked_until: None}
    return {Job.status: "pending", Job.run_after: _now() + backoff(job.attempts), Job.last_error: error,
            Job.locked_until: None}


def _log_outcome(job: Job, error: str | None, written: bool) -> None:
    if not written:
        log.warning("job %s (%s): lease lost before it finished; the new claim decides", job.id, job.kind)
    elif error is not None and job.attempts >= MAX_ATTEMPTS:
        log.error("job %s (%s) failed %s times: dead letter (%s)", job.id, job.kind, job.attempts, error)


async def finish(job: Job, error: str | None) -> bool:
    """Record the outcome of this claim; False (nothing written) when the claim was lost meanwhile."""
    return (await finish_then_claim(job, error, None))[0]


async def finish_then_claim(job: Job, error: str | None, kinds: list[str] | None) -> tuple[bool, Job | None]:
    """Record the outcome of this claim and, when ``kinds`` are given and one looks due, claim the next job in the
    same write transaction: a busy worker takes the writer once between two jobs instead of twice.
    Returns (outcome written, next job); the outcome is not written when the claim was lost meanwhile."""
    engine = Job._meta.db
    now = _now()
    more = bool(kinds) and await _any_due(kinds or [], now)
    # In the writers' queue like every other write: SQLite's busy handler sleeps and lets newcomers overtake, so an
    # update on its own could wait behind a stream of requests while the next job waits for this worker.
    async with write_transaction(engine, inline=True):
        rows = await Job.update(_outcome(job, error)).where(_held(job)).returning(Job.id)
        following = await _take(engine, kinds or [], now) if more else None
    _log_outcome(job, error, bool(rows))
    return bool(rows), following


async def release(job: Job) -> bool:
    """Give back a claim never worked on (a worker stopping with its next job claimed): due again at once, the
    attempt not counted."""
    async with write_transaction(Job._meta.db, inline=True):
        rows = await Job.update({Job.status: "pending", Job.attempts: Job.attempts - 1, Job.locked_until: None,
                                 Job.claimed_by: ""}).where(_held(job)).returning(Job.id)
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
        job = await claim(engine, list(handlers))
        if job is None:
            return False
        await work(job, handlers)
        return True


async def work(job: Job, handlers: Mapping[str, Handler], claim_next: Callable[[], bool] = lambda: False) -> Job | None:
    """Run a claimed job, renewing its lease meanwhile, and record its outcome; when ``claim_next()`` says so at the
    end, the next due job of these kinds is claimed in the same transaction and returned."""
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
    return (await finish_then_claim(job, outcome, list(handlers) if claim_next() else None))[1]


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


class Backlog:
    """Backpressure for intake: the work between a report's arrival and its unit (reports being taken in this process,
    triage jobs due) kept under a limit. The due jobs are read at most every ``every`` seconds however many callers
    ask (one indexed count).

    A report is worth little until its case is triaged and sent on. When the CPU is short, taking reports faster
    than the workers triage them only grows a queue (measured: five minutes at 8 reports/s left cases 20-48 s from
    their unit); waiting here instead keeps the time from a report's acceptance to its unit short, and the phones'
    outboxes hold their reports meanwhile."""

    def __init__(self, kind: str, limit: int, every: float = 0.25, longest: float = 20.0) -> None:
        self.kind = kind
        self.limit = limit
        self.every = every
        self.longest = longest  # past this, a report goes on all the same: slower, never refused for it
        self.taking = 0  # reports admitted and not yet recorded (their jobs not yet due)
        self._count = 0
        self._read_at = -math.inf
        self._reading: asyncio.Lock | None = None
        self._line: asyncio.Lock | None = None  # the reports waiting for room, in their order of arrival

    async def due(self) -> int:
        if self._reading is None:
            self._reading = asyncio.Lock()
        async with self._reading:  # one read for every caller that asks meanwhile
            if time.monotonic() - self._read_at >= self.every:
                rows = await Job.count().where((Job.status == "pending") & (Job.kind == self.kind)
                                              & (Job.run_after <= _now()))
                self._count, self._read_at = int(rows), time.monotonic()
        return self._count

    async def wait(self) -> float:
        """Wait while the work in hand is above the limit (at most ``longest`` seconds); returns the seconds waited.

        First come, first served: while anyone waits, a newcomer queues behind them (asyncio's lock hands over in
        the order asked), and only the head of the line reads the count. Polling waiters had let a late report
        through before one that had waited seconds (upload p99 10.3 s against a p50 of 3.6 s).
        ``taking`` is read after the count: read before, it could miss a report admitted during the read."""
        if self.limit <= 0:
            return 0.0
        started = time.monotonic()
        if self._line is None:
            self._line = asyncio.Lock()
        room = await self.due() + self.taking < self.limit
        if room and not self._line.locked():
            return time.monotonic() - started
        async with self._line:
            while await self.due() + self.taking >= self.limit and time.monotonic() - started < self.longest:
                await asyncio.sleep(self.every)
        return time.monotonic() - started

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[float]:
        """Wait for room, then count as being taken until the block ends (the report recorded, or given up)."""
        waited = await self.wait()
        self.taking += 1
        try:
            yield waited
        finally:
            self.taking -= 1
            self._read_at = -math.inf  # its job is due now: the next caller reads the count again


class Worker(Loop):
    """Runs jobs in the background; ``wake()`` skips the wait when new work was just enqueued. While jobs keep
    coming, each one's outcome and the next one's claim are one write transaction."""

    def __init__(self, engine: Any, handlers: Mapping[str, Handler], poll_seconds: float) -> None:
        super().__init__("suishoupai-worker", self._round, poll_seconds)
        self._engine = engine
        self._handlers = handlers
        self._next: Job | None = None

    async def _round(self) -> bool:
        with writes_first():
            job, self._next = self._next, None
            if job is None:
                job = await claim(self._engine, list(self._handlers))
            if job is None:
                return False
            self._next = await work(job, self._handlers, lambda: not self._stopping)
            return True

    async def stop(self) -> None:
        await super().stop()
        job, self._next = self._next, None
        if job is not None:  # claimed with the last outcome, never started: due again now, not when its lease ends
            try:
                await release(job)
            except Exception:  # its lease runs out all the same, and another worker takes it then
                log.warning("job %s: could not give back its claim", job.id, exc_info=True)
