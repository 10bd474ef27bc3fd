"""The sweeper: orphan objects, unattached photos, unconfirmed uploads and expired tokens, with dry runs and the CLI."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.accounts.tables import AuthToken, User
from backend.cases.tables import Case
from backend.context import AppContext
from backend.db import close_database, open_database
from backend.jobs.tables import Job
from backend.live.bus import EventBus
from backend.instruments import SWEPT
from backend.photos.local import LocalStore
from backend.photos.service import staging_key
from backend.photos.store import ObjectStore
from backend.photos.tables import Photo
from backend.redaction.service import public_keys
from backend.settings import Settings
from backend.sweeper import ORPHAN_GRACE, SweepResult, runner_lock, sweep

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


@dataclass
class World:
    ctx: AppContext
    user: int


@pytest.fixture
async def world(settings: Settings, store: ObjectStore) -> AsyncIterator[World]:
    """The seeded database of ``settings`` with the parametrised store (local files, then SeaweedFS S3)."""
    global NOW  # each test's clock starts when it starts, not when the module was collected
    NOW = datetime.now(UTC)
    engine = await open_database(settings)
    try:
        ctx = AppContext(settings=settings, engine=engine, bus=EventBus(), store=store)
        user = (await User.select(User.id).order_by(User.id).first())["id"]
        yield World(ctx, user)
    finally:
        await close_database(engine)


async def _object(ctx: AppContext, key: str) -> str:
    await ctx.store.put(key, b"jpeg", 4, "image/jpeg")
    return key


async def _photo(w: World, *, age: timedelta, case: int | None = None, status: str = "ready",
                 upload_expires_at: datetime | None = None, derived: bool = True) -> tuple[int, list[str]]:
    """A photo row created ``age`` ago with its original (and display and thumbnail) objects in the store."""
    name = uuid.uuid4().hex
    keys = [await _object(w.ctx, f"originals/2026/11/29/{name}.jpg")]
    if derived:
        keys += [await _object(w.ctx, f"display/2026/11/29/{name}.jpg"), await _object(w.ctx, f"thumb/2026/11/29/{name}.jpg")]
    photo = Photo(case=case, kind="report", uploader=w.user, status=status, original_key=keys[0],
                  display_key=keys[1] if derived else "", thumb_key=keys[2] if derived else "",
                  created_at=NOW - age, upload_expires_at=upload_expires_at)
    await photo.save()
    return photo.id, keys


async def _case(w: World) -> int:
    case = Case(tracking_no="T" + uuid.uuid4().hex[:12], state="new", source="citizen", reporter=w.user, lng=116.4,
                lat=39.9, created_at=NOW, updated_at=NOW)
    await case.save()
    return case.id


async def _token(w: World, expires_at: datetime) -> int:
    token = AuthToken(token_hash=uuid.uuid4().hex * 2, user=w.user, created_at=NOW - timedelta(days=30),
                      expires_at=expires_at)
    await token.save()
    return token.id


async def _keys(ctx: AppContext) -> set[str]:
    return {key async for key, _ in ctx.store.list_keys("")}


async def test_orphan_objects_older_than_the_grace_are_removed_younger_ones_kept(world: World) -> None:
    ctx = world.ctx
    _, kept = await _photo(world, age=timedelta(0))
    kept += [await _object(ctx, key) for key in public_keys(kept[1])]  # its redacted derivatives
    orphans = {await _object(ctx, "originals/2026/11/29/crashed.jpg"), await _object(ctx, "display/2026/11/29/x.jpg"),
               await _object(ctx, "incoming/abandoned"), await _object(ctx, "public/thumb/2026/11/29/gone.jpg")}
    # Objects carry the real time they were written, not the module's NOW (collected long before this test runs).
    written = datetime.now(UTC)
    # Just written (an upload whose row is not committed yet looks exactly like this): kept.
    young = await sweep(ctx, written + ORPHAN_GRACE - timedelta(minutes=5))
    assert young.orphan_objects == 0
    assert await _keys(ctx) == orphans | set(kept)

    later = written + ORPHAN_GRACE + timedelta(minutes=5)
    counted = SWEPT.labels(kind="orphan_objects")._value.get()
    dry = await sweep(ctx, later, dry_run=True)
    assert dry.orphan_objects == 4 and dry.dry_run
    assert await _keys(ctx) == orphans | set(kept)
    assert SWEPT.labels(kind="orphan_objects")._value.get() == counted  # a dry run removes and counts nothing
    done = await sweep(ctx, later)
    assert done.counts() == dry.counts()
    assert await _keys(ctx) == set(kept)  # the photo's own objects stay
    assert SWEPT.labels(kind="orphan_objects")._value.get() == counted + 4  # /metrics' sweeper counter
    assert (await sweep(ctx, later)).orphan_objects == 0


async def test_unattached_photos_past_the_grace_go_with_their_objects(world: World) -> None:
    ctx = world.ctx
    grace = timedelta(hours=ctx.settings.unattached_photo_hours)
    old, old_keys = await _photo(world, age=grace + timedelta(hours=1))
    failed, failed_keys = await _photo(world, age=grace + timedelta(hours=1), status="failed", derived=False)
    attached, attached_keys = await _photo(world, age=grace * 3, case=await _case(world))
    fresh, fresh_keys = await _photo(world, age=grace - timedelta(hours=1))
    queued, queued_keys = await _photo(world, age=grace * 2, status="pending", derived=False)
    await Job(kind="photo", payload={"photo_id": queued}, status="pending", run_after=NOW, created_at=NOW).save()
    # A direct upload whose grant is still open is not "finished": the unconfirmed sweep decides about it.
    direct, direct_keys = await _photo(world, age=grace * 2, status="awaiting_upload", derived=False,
                                       upload_expires_at=NOW + timedelta(minutes=10))

    dry = await sweep(ctx, NOW, dry_run=True)
    assert (dry.unattached_photos, dry.unattached_objects, dry.orphan_objects) == (2, 4, 0)
    assert {r["id"] for r in await Photo.select(Photo.id)} >= {old, failed, attached, fresh, queued, direct}
    assert set(old_keys + failed_keys) <= await _keys(ctx)

    done = await sweep(ctx, NOW)
    assert done.counts() == dry.counts()
    left = {r["id"] for r in await Photo.select(Photo.id)}
    assert old not in left and failed not in left
    assert {attached, fresh, queued, direct} <= left
    stored = await _keys(ctx)
    assert not set(old_keys + failed_keys) & stored
    assert set(attached_keys + fresh_keys + queued_keys + direct_keys) <= stored
    assert (await sweep(ctx, NOW)).unattached_photos == 0


async def test_unconfirmed_uploads_and_expired_tokens_are_counted_and_removed(world: World) -> None:
    ctx = world.ctx
    photo, _ = await _photo(world, age=timedelta(hours=2), status="awaiting_upload", derived=False,
                            upload_expires_at=NOW - timedelta(hours=1))
    staged = await _object(ctx, staging_key((await Photo.objects().get(Photo.id == photo)).original_key))
    expired = await _token(world, NOW - timedelta(minutes=1))
    valid = await _token(world, NOW + timedelta(days=1))

    dry = await sweep(ctx, NOW, dry_run=True)
    assert (dry.unconfirmed_uploads, dry.expired_tokens) == (1, 1)
    assert await Photo.exists().where(Photo.id == photo) and staged in await _keys(ctx)
    assert await AuthToken.exists().where(AuthToken.id == expired)

    done = await sweep(ctx, NOW)
    assert done.counts() == dry.counts()
    assert not await Photo.exists().where(Photo.id == photo)
    assert staged not in await _keys(ctx)
    assert {r["id"] for r in await AuthToken.select(AuthToken.id)} >= {valid}
    assert not await AuthToken.exists().where(AuthToken.id == expired)


async def test_only_one_runner_at_a_time(world: World) -> None:
    await _token(world, NOW - timedelta(minutes=1))
    async with runner_lock(world.ctx) as got:
        assert got
        skipped = await sweep(world.ctx, NOW)
        assert skipped == SweepResult(skipped=True)
        assert await AuthToken.count().where(AuthToken.expires_at < NOW) == 1  # it touched nothing
    assert (await sweep(world.ctx, NOW)).expired_tokens == 1  # the lock is free again


@pytest.mark.parametrize("store", ["local"], indirect=True)
async def test_cli_sweep_dry_run_prints_the_counts_and_removes_nothing(world: World, settings: Settings) -> None:
    """``suishoupai sweep --dry-run`` as an operator runs it, on the test's data directory."""
    assert isinstance(world.ctx.store, LocalStore)
    # The CLI opens the store of these settings, so the objects go where it will look.
    ctx = AppContext(settings=settings, engine=world.ctx.engine, bus=EventBus(),
                     store=LocalStore(settings.resolved_store_path, settings.secret_key))
    await ctx.store.ensure_ready()
    orphan = await _object(ctx, "originals/2026/11/29/lost.jpg")
    old = time.time() - 2 * ORPHAN_GRACE.total_seconds()
    os.utime(settings.resolved_store_path / orphan, (old, old))
    await _token(world, NOW - timedelta(minutes=1))
    await _token(world, NOW - timedelta(minutes=2))

    env = {k: v for k, v in os.environ.items() if not k.startswith("SUISHOUPAI_")}
    env.update(SUISHOUPAI_DATA_DIR=str(settings.data_dir), SUISHOUPAI_SECRET_KEY=settings.secret_key,
               SUISHOUPAI_DATABASE_URL=settings.database_url, SUISHOUPAI_LOG_LEVEL="WARNING")
    cmd = [sys.executable, "-c", "import sys; from backend.cli import main; sys.exit(main())", "sweep", "--dry-run"]
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    raw_out, raw_err = await asyncio.wait_for(proc.communicate(), timeout=120)
    stdout = raw_out.decode()
    assert proc.returncode == 0, raw_err.decode()
    lines = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1]) for line in stdout.splitlines()[1:]}
    assert stdout.startswith("dry run: would remove:")
    assert lines["orphan objects (no photo row)"] == 1
    assert lines["expired tokens"] == 2
    assert lines["unattached photos"] == 0 and lines["unconfirmed uploads"] == 0
    assert orphan in await _keys(ctx)
    assert await AuthToken.count().where(AuthToken.expires_at < NOW) == 2
