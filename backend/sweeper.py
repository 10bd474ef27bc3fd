"""The sweeper: removes what crashes, abandoned uploads and time leave behind, one runner at a time across processes.

Four categories, each counted (``SweepResult``) so the CLI can print them and metrics can read them:

- **orphan objects**: objects under the photo prefixes with no photo row, older than ``ORPHAN_GRACE`` (an upload in
  flight writes its object before its row, so a young object is never taken for an orphan);
- **unattached photos**: finished uploads (pending, ready or failed) that no case ever claimed, older than
  ``settings.unattached_photo_hours``, with all their objects; a photo a queued or running job still names is kept;
- **unconfirmed uploads**: direct uploads never confirmed, removed by ``photos.service.expire_unconfirmed``;
- **expired tokens**: ``AuthToken`` rows past their absolute limit.

A dry run removes nothing and reports the same counts a real run would remove at that moment.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.accounts.tables import AuthToken
from backend.context import AppContext
from backend.db import is_postgres
from backend.instruments import SWEPT
from backend.jobs.tables import Job
from backend.loops import Loop
from backend.photos.service import EXPIRY_BATCH, EXPIRY_GRACE, UNCONFIRMED, expire_unconfirmed, staging_key
from backend.photos.tables import Photo
from backend.redaction import service as redaction

log = logging.getLogger("suishoupai.sweeper")

ORPHAN_GRACE = timedelta(hours=1)  # far longer than any upload takes between writing its object and its row
# Everything the photo code writes, and the redacted derivatives (backend/redaction) named after a photo's display key.
PHOTO_PREFIXES = ("originals/", "display/", "thumb/", "incoming/", "public/")
FINISHED = ("pending", "ready", "failed")  # a photo in any other state is a direct upload: expire_unconfirmed's
LOCK_ID = 0x5357_4545  # "SWEE": the PostgreSQL advisory lock that makes one process the runner
PAGE = 5000


@dataclass
class SweepResult:
    """What one sweep removed (or, in a dry run, would remove)."""

    dry_run: bool = False
    skipped: bool = False  # another process is sweeping right now
    orphan_objects: int = 0
    unattached_photos: int = 0
    unattached_objects: int = 0
    unconfirmed_uploads: int = 0
    expired_tokens: int = 0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if not isinstance(v, bool)}


@contextlib.asynccontextmanager
async def runner_lock(ctx: AppContext) -> AsyncIterator[bool]:
    """Yields True when this process may sweep now, False when another one is at it.

    PostgreSQL: a session advisory lock on a connection of its own (not the pool's), so it is released when the
    sweep ends or, if the process dies, when its connection drops. SQLite: a file lock next to the database, which
    also keeps ``suishoupai sweep`` from running alongside a server's loop.
    """
    if is_postgres(ctx.engine):
        conn: Any = await ctx.engine.get_new_connection()
        try:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_ID))
            try:
                yield got
            finally:
                if got:
                    await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)
        finally:
            await conn.close()
        return
    fd = os.open(Path(ctx.settings.sqlite_path).with_suffix(".sweep-lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # closing the descriptor releases the lock
    finally:
        os.close(fd)


async def sweep(ctx: AppContext, now: datetime | None = None, *, dry_run: bool = False) -> SweepResult:
    """One sweep of every category; returns the counts (``skipped`` when another process holds the lock)."""
    now = now or datetime.now(UTC)
    async with runner_lock(ctx) as got:
        if not got:
            log.info("sweeper: another process is sweeping; skipped")
            return SweepResult(dry_run=dry_run, skipped=True)
        result = SweepResult(dry_run=dry_run)
        # Rows first, objects last: objects of the rows removed here go with them and are not counted twice, and a
        # dry run (which removes no rows) counts exactly the same orphans.
        result.unconfirmed_uploads = await _unconfirmed(ctx, now, dry_run)
        result.unattached_photos, result.unattached_objects = await _unattached(ctx, now, dry_run)
        result.orphan_objects = await _orphans(ctx, now, dry_run)
        result.expired_tokens = await _tokens(now, dry_run)
    log.info("sweeper%s: %s", " (dry run)" if dry_run else "", result.counts())
    _record(result)
    return result


def _record(result: SweepResult) -> None:
    """Add what a real sweep removed to /metrics' counter ``suishoupai_sweeper_removed{kind=…}``."""
    if result.dry_run or result.skipped:
        return
    for kind, removed in result.counts().items():
        if removed:
            SWEPT.labels(kind=kind).inc(removed)


async def _unconfirmed(ctx: AppContext, now: datetime, dry_run: bool) -> int:
    due = Photo.upload_expires_at.is_not_null() & (Photo.upload_expires_at < now - EXPIRY_GRACE) & Photo.status.is_in(
        list(UNCONFIRMED))
    before = int(await Photo.count().where(due))
    if dry_run or not before:
        return before
    while await expire_unconfirmed(ctx, now) >= EXPIRY_BATCH:
        pass
    # expire_unconfirmed reports rows looked at, not removed: the difference is what went.
    return before - int(await Photo.count().where(due))


async def _needed_by_jobs() -> set[int]:
    rows = await Job.select(Job.payload).output(load_json=True).where(
        (Job.kind == "photo") & Job.status.is_in(["pending", "running"]))
    return {int(r["payload"]["photo_id"]) for r in rows if isinstance(r["payload"], dict) and "photo_id" in r["payload"]}


async def _unattached(ctx: AppContext, now: datetime, dry_run: bool) -> tuple[int, int]:
    cutoff = now - timedelta(hours=ctx.settings.unattached_photo_hours)
    loose = (Photo.case.is_null() & Photo.status.is_in(list(FINISHED)) & (Photo.created_at < cutoff))
    rows = await Photo.select(Photo.id, Photo.original_key, Photo.display_key, Photo.thumb_key,
                              Photo.upload_expires_at).where(loose).order_by(Photo.id)
    keep = await _needed_by_jobs()
    photos = objects = 0
    for row in rows:
        if row["id"] in keep:
            continue
        keys = [k for k in (row["original_key"], row["display_key"], row["thumb_key"]) if k]
        if row["upload_expires_at"] is not None:
            keys.append(staging_key(row["original_key"]))
        if not dry_run:
            # The row goes first and only if still loose: a report attaching it meanwhile wins, and whoever deletes
            # the row owns its objects.
            gone = await Photo.delete().where((Photo.id == row["id"]) & loose).returning(Photo.id)
            if not gone:
                continue
            for key in keys:
                await ctx.store.delete(key)
        photos += 1
        objects += len(keys)
    return photos, objects


async def _known_keys() -> set[str]:
    known: set[str] = set()
    last = 0
    while True:
        rows = await Photo.select(Photo.id, Photo.original_key, Photo.display_key, Photo.thumb_key,
                                  Photo.upload_expires_at).where(Photo.id > last).order_by(Photo.id).limit(PAGE)
        for row in rows:
            known.update(k for k in (row["original_key"], row["display_key"], row["thumb_key"]) if k)
            if row["display_key"]:
                known.update(redaction.public_keys(row["display_key"]))
            if row["upload_expires_at"] is not None:  # its staging object is kept until the deadline has passed
                known.add(staging_key(row["original_key"]))
        if len(rows) < PAGE:
            return known
        last = rows[-1]["id"]


async def _orphans(ctx: AppContext, now: datetime, dry_run: bool) -> int:
    cutoff = now - ORPHAN_GRACE
    # List before reading the rows: an object's row is written right after the object, so any old object listed
    # here whose row exists is found in the rows read afterwards.
    old = [key for prefix in PHOTO_PREFIXES async for key, modified in ctx.store.list_keys(prefix) if modified < cutoff]
    if not old:
        return 0
    known = await _known_keys()
    orphans = [key for key in old if key not in known]
    if not dry_run:
        for key in orphans:
            await ctx.store.delete(key)
    return len(orphans)


async def _tokens(now: datetime, dry_run: bool) -> int:
    expired = AuthToken.expires_at < now
    if dry_run:
        return int(await AuthToken.count().where(expired))
    return len(await AuthToken.delete().where(expired).returning(AuthToken.id))


class Sweeper(Loop):
    """Runs ``sweep`` every ``settings.sweep_interval_minutes`` on the app's event loop."""

    def __init__(self, ctx: AppContext) -> None:
        self.last: SweepResult | None = None

        async def round_() -> bool:
            self.last = await sweep(ctx)
            return False

        super().__init__("suishoupai-sweeper", round_, ctx.settings.sweep_interval_minutes * 60.0)
