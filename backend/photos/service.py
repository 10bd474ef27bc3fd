"""Photo intake: store the original, record it, run the pipeline, and serve derivatives to those who may see them.

Every upload is checked from its bytes at once (type, structure, size). The pipeline then runs in a worker thread,
and the photo is recorded, ready, once its original and derivatives are stored. A direct upload to the store is
recorded before it is processed: there a durable 'photo' job written with the row finishes the work after a crash,
so an accepted photo is never lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backend import idempotency
from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.context import AppContext
from backend.db import write_transaction
from backend.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from backend.instruments import PHOTO_SECONDS
from backend.jobs.queue import enqueue
from backend.loops import Loop
from backend.photos.budget import DecodeBudget
from backend.photos.exif import ExifInfo, read_exif
from backend.photos.pipeline import (
    DECODE_MEMORY,
    Known,
    ProcessedPhoto,
    check_header,
    decode_cost,
    process,
    release_memory,
    safe_filename,
)
from backend.photos.sniff import CONTENT_TYPES, identify
from backend.photos.store import Body, UploadGrant
from backend.photos.tables import Photo
from backend.redaction import service as redaction
from backend.settings import Settings

log = logging.getLogger("suishoupai.photos")
KINDS = ("report", "verify", "after", "check")
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic", "heif": "heif"}
# A direct upload's processing, crashed half-way, is retried by the worker only after this delay, so the two never race.
RECOVERY_DELAY = timedelta(seconds=60)
# Decodes run in worker threads, at most one per core and together within the pipeline's memory budget, a little
# below the process's CPU priority: when the CPU is short, the event loop (requests' answers, live events, and the
# job workers that carry cases to their units) goes first and new photos wait, instead of triage falling behind
# intake (docs/benchmarks.md, "Statements on the loop's thread").
DECODE_NICE = 6
_decodes = DecodeBudget(DECODE_MEMORY, slots=max(1, os.cpu_count() or 1), idle=release_memory, nice=DECODE_NICE)


# Idempotency scopes: a key names one direct upload, or one grant of an upload to the object store.
UPLOAD_SCOPE = "photo.upload"
PRESIGN_SCOPE = "photo.presign"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Checked:
    """An upload that passed the cheap checks, with what the request path needs from its EXIF. Made once per upload;
    processing reuses its type, EXIF and hash instead of finding them again."""

    data: bytes
    kind: str
    sha256: str
    exif_lat: float | None
    exif_lng: float | None
    exif_time: datetime | None
    exif: ExifInfo | None = None


async def check_upload(ctx: AppContext, data: bytes) -> Checked:
    """Size, type from the bytes, header bomb check, EXIF and hash: in a worker thread, never on the event loop."""
    return await asyncio.to_thread(_check, ctx.settings, data)


def _check(settings: Settings, data: bytes) -> Checked:
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"照片超过 {settings.max_upload_mb} MB", f"The photo exceeds {settings.max_upload_mb} MB",
            code="photo.too_large", details={"limit_bytes": settings.max_upload_bytes},
        )
    kind = identify(data)
    check_header(data, kind, settings.max_image_pixels)
    exif = read_exif(data)
    return Checked(data, kind, hashlib.sha256(data).hexdigest(), exif.lat, exif.lng,
                   exif.taken_at_in(settings.timezone) if exif.taken_at else exif.gps_time, exif)


async def discard_photo(ctx: AppContext, photo: Photo) -> None:
    """Remove a photo that ended up unused (its report could not be written) with all its objects."""
    for key in (photo.original_key, photo.display_key, photo.thumb_key):
        if key:
            await ctx.store.delete(key)
    await Photo.delete().where(Photo.id == photo.id)


def _key(prefix: str, kind: str, name: str | None = None) -> str:
    day = _now().strftime("%Y/%m/%d")
    return f"{prefix}/{day}/{name or uuid.uuid4().hex}.{EXTENSIONS.get(kind, 'bin')}"


async def _existing(actor: Actor, scope: str, key: str | None, body_hash: str) -> Photo | None:
    """The photo answered for this Idempotency-Key before (backend/idempotency.py), or None."""
    answer = await idempotency.replay(actor.id, scope, key, body_hash)
    if answer is None:
        return None
    return await Photo.objects().output(load_json=True).get(Photo.id == int(answer["photo_id"]))


@dataclass
class Stored:
    """An upload processed and stored, with its row built but not yet written (``record``, inside a transaction)."""

    photo: Photo
    keys: list[str]


async def store_upload(ctx: AppContext, actor: Actor, checked: Checked, filename: str, kind: str) -> Stored:
    """Process one checked upload and store its original and derivatives; nothing is recorded yet.

    A photo the pipeline refuses (e.g. truncated) is refused before anything is stored; a failure while storing
    removes what was stored. Between here and the commit of ``record`` the objects have no row: a failure there is
    cleaned up by the caller (``forget``), a crash by the sweeper. So there is nothing to finish after a crash.
    """
    if kind not in KINDS:
        raise InvalidInput(f"未知照片类型：{kind}", f"Unknown photo kind: {kind}", code="photo.bad_kind",
                           details={"allowed": list(KINDS)})
    result = await _derive(ctx, checked.data, checked)
    if isinstance(result, AppError):
        raise result  # broken beyond its header: tell the uploader now, and keep nothing
    key = _key("originals", checked.kind)
    display_key, thumb_key = _derivative_keys(key)
    stored = Stored(Photo(
        kind=kind, uploader=actor.id, filename=safe_filename(filename), content_type=CONTENT_TYPES[checked.kind],
        size=len(checked.data), original_key=key, sha256=checked.sha256, exif_lat=checked.exif_lat,
        exif_lng=checked.exif_lng, exif_time=checked.exif_time, created_at=_now(),
        **{column._meta.name: value for column, value in _ready(result, display_key, thumb_key).items()},
    ), [])
    try:
        for object_key, data, content_type in ((key, checked.data, CONTENT_TYPES[checked.kind]),
                                               (display_key, result.display.data, "image/jpeg"),
                                               (thumb_key, result.thumbnail.data, "image/jpeg")):
            stored.keys.append(object_key)
            await ctx.store.put(object_key, data, len(data), content_type, max_bytes=ctx.settings.max_upload_bytes)
    except BaseException:
        await forget(ctx, [stored])
        raise
    return stored


async def record(stored: Stored, case_id: int | None = None) -> Photo:
    """Write a stored upload's row, ready, with its redaction queued: inside the caller's write transaction (the
    transaction that makes its case, with ``case_id``)."""
    stored.photo.case = case_id
    await stored.photo.save()
    await redaction.schedule(stored.photo.id, stored.photo.display_key, new=True)
    return stored.photo


async def forget(ctx: AppContext, uploads: list[Stored]) -> None:
    """Remove the objects of stored uploads whose rows were not (or will not be) committed."""
    await _remove(ctx, [key for stored in uploads for key in stored.keys])


async def ingest(ctx: AppContext, actor: Actor, checked: Checked, filename: str, kind: str,
                 idem_key: str | None = None) -> Photo:
    """One upload on its own (not part of a report): stored, then recorded in a transaction of its own. The write
    lock is taken once, only for the row."""
    body_hash = idempotency.request_hash({"kind": kind, "sha256": checked.sha256})
    existing = await _existing(actor, UPLOAD_SCOPE, idem_key, body_hash)
    if existing is not None:
        return existing
    stored = await store_upload(ctx, actor, checked, filename, kind)
    try:
        async with write_transaction(ctx.engine):
            existing = await _existing(actor, UPLOAD_SCOPE, idem_key, body_hash)
            if existing is None:
                photo = await record(stored)
                await idempotency.remember(actor.id, UPLOAD_SCOPE, idem_key, body_hash, {"photo_id": photo.id})
    except BaseException:
        await forget(ctx, [stored])  # nothing half-written: no object outlives a row that was never committed
        raise
    if existing is not None:  # the same upload, retried while the first was on its way: the first one stands
        await forget(ctx, [stored])
        return existing
    return await Photo.objects().output(load_json=True).get(Photo.id == photo.id)  # type: ignore[return-value]


async def _remove(ctx: AppContext, keys: list[str]) -> None:
    """Remove objects that no row will name; a store that fails here leaves them to the sweeper and hides nothing."""
    for key in keys:
        try:
            await ctx.store.delete(key)
        except Exception:  # the error being handled is the one to report; the sweeper removes what stays
            log.warning("photo object %s left for the sweeper (could not be removed now)", key, exc_info=True)


async def ingest_bytes(ctx: AppContext, actor: Actor, data: bytes, filename: str, kind: str) -> Photo:
    return await ingest(ctx, actor, await check_upload(ctx, data), filename, kind)


def _derivative_keys(original_key: str) -> tuple[str, str]:
    base = original_key.removeprefix("originals/").rsplit(".", 1)[0]
    return f"display/{base}.jpg", f"thumb/{base}.jpg"


async def _derive(ctx: AppContext, data: bytes, checked: Checked | None) -> ProcessedPhoto | AppError:
    """The pipeline (in a worker thread, within the decode budget), or why the photo cannot be used."""
    known = Known(checked.kind, checked.exif, checked.sha256) if checked is not None and checked.exif else None
    try:
        max_pixels = ctx.settings.max_image_pixels
        with PHOTO_SECONDS.time():
            return await _decodes.run(decode_cost(data, max_pixels), process, data, max_pixels=max_pixels,
                                      known=known)
    except (InvalidInput, UnsupportedMedia, PayloadTooLarge) as exc:
        return exc


async def process_photo(ctx: AppContext, photo_id: int, checked: Checked | None = None) -> AppError | None:
    """Run the pipeline on a stored original and record the results; safe to repeat. Returns why it failed.

    For an original recorded before it was processed (a direct upload to the store, confirmed; its 'photo' job
    finishes the work after a crash). ``checked``: the upload as checked on its way in (bytes, type, EXIF, hash), so
    nothing is found twice; without it (the recovery job) the original is read back from the store and checked again.
    """
    photo = await Photo.objects().get(Photo.id == photo_id)
    if photo is None or photo.status in ("ready", "failed", "awaiting_upload"):
        return None
    data = checked.data if checked is not None else await ctx.store.get(photo.original_key)
    result = await _derive(ctx, data, checked)
    if isinstance(result, AppError):
        await Photo.update({Photo.status: "failed", Photo.error: result.code, Photo.processed_at: _now()}).where(
            Photo.id == photo_id)
        return result
    display_key, thumb_key = _derivative_keys(photo.original_key)
    await ctx.store.put(display_key, result.display.data, len(result.display.data), "image/jpeg")
    await ctx.store.put(thumb_key, result.thumbnail.data, len(result.thumbnail.data), "image/jpeg")
    async with write_transaction(ctx.engine):
        await Photo.update(_ready(result, display_key, thumb_key)).where(Photo.id == photo_id)
        # In the same transaction: a ready photo always has its redaction queued, and stays private until it is done.
        await redaction.schedule(photo_id, display_key)
    return None


def _ready(result: ProcessedPhoto, display_key: str, thumb_key: str) -> dict[Any, Any]:
    """A processed photo's columns."""
    exif = result.exif
    return {
        Photo.status: "ready", Photo.display_key: display_key, Photo.thumb_key: thumb_key, Photo.phash: result.phash,
        Photo.width: result.width, Photo.height: result.height, Photo.exif_alt: exif.altitude_m,
        Photo.exif: {"make": exif.make, "model": exif.model, "orientation": exif.orientation,
                     "gps_time": exif.gps_time.isoformat() if exif.gps_time else None,
                     "warnings": list(exif.warnings)},
        Photo.warnings: [q.code for q in result.quality], Photo.processed_at: _now(),
    }


async def photo_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    await process_photo(ctx, int(payload["photo_id"]))


# ---------------------------------------------------------------- direct-to-storage uploads
#
# A grant lets the client send exactly the declared type and size to a staging key (incoming/<hex>), once, before its
# deadline; the storage enforces that itself (an HMAC over key, type, size and deadline on the local store, a POST
# policy on S3). Nothing under incoming/ is ever served: confirm reads the staging object, checks it like any upload,
# and writes the original under originals/ with the sniffed type. Unconfirmed uploads are removed after the deadline.

UPLOAD_TTL = timedelta(minutes=15)  # how long a grant can be used
CONFIRM_WINDOW = timedelta(minutes=15)  # after the deadline, a confirm is still accepted this long
EXPIRY_GRACE = timedelta(minutes=30)  # after the deadline, unconfirmed uploads are removed (outlasts any confirm)
UNCONFIRMED = ("awaiting_upload", "uploading", "uploaded", "confirming")
EXPIRY_BATCH = 200


def staging_key(photo_key: str) -> str:
    """The staging key of a direct upload: its row keeps it until confirm, then the original shares its name."""
    return "incoming/" + photo_key.rsplit("/", 1)[-1].split(".", 1)[0]


def _is_past(deadline: datetime | None, now: datetime, margin: timedelta = timedelta(0)) -> bool:
    return deadline is None or deadline + margin <= now


def _expired(photo_id: int) -> Conflict:
    return Conflict("上传链接已过期，请重新上传", "The upload link has expired: start again",
                    code="photo.upload_expired", details={"photo_id": photo_id})


def _size_mismatch(announced: int, received: int) -> InvalidInput:
    return InvalidInput("上传的文件大小与申报不符", "The uploaded size differs from the announced size",
                        code="photo.size_mismatch", details={"announced": announced, "received": received})


async def presign(ctx: AppContext, actor: Actor, content_type: str, size: int, filename: str, kind: str,
                  idem_key: str | None) -> tuple[Photo, UploadGrant, datetime]:
    """Record an upload of ``size`` bytes of ``content_type`` and grant the client one direct upload of it."""
    allowed = {v: k for k, v in CONTENT_TYPES.items()}
    if content_type not in allowed:
        raise UnsupportedMedia("仅支持 JPEG、PNG、WebP、HEIC 照片", "Only JPEG, PNG, WebP and HEIC photos",
                               code="photo.not_an_image", details={"content_type": content_type})
    if size > ctx.settings.max_upload_bytes:
        raise PayloadTooLarge(f"照片超过 {ctx.settings.max_upload_mb} MB",
                              f"The photo exceeds {ctx.settings.max_upload_mb} MB", code="photo.too_large")
    if kind not in KINDS:
        raise InvalidInput(f"未知照片类型：{kind}", f"Unknown photo kind: {kind}", code="photo.bad_kind")
    now = _now()
    body_hash = idempotency.request_hash({"kind": kind, "content_type": content_type, "size": size})
    photo = await _existing(actor, PRESIGN_SCOPE, idem_key, body_hash)
    if photo is None:
        photo = Photo(kind=kind, uploader=actor.id, status="awaiting_upload",
                      filename=safe_filename(filename), content_type=content_type, size=size,
                      original_key=f"incoming/{uuid.uuid4().hex}", created_at=now, upload_expires_at=now + UPLOAD_TTL)
        async with write_transaction(ctx.engine):
            await photo.save()
            await idempotency.remember(actor.id, PRESIGN_SCOPE, idem_key, body_hash, {"photo_id": photo.id})
    elif photo.status != "awaiting_upload":
        # A retried request for a grant already used: the upload cannot be reopened.
        raise Conflict("这张照片已上传", "This photo has already been uploaded", code="photo.upload_used",
                       details={"photo_id": photo.id, "status": photo.status})
    deadline = photo.upload_expires_at
    if deadline is None or _is_past(deadline, now + timedelta(seconds=1)):
        raise _expired(photo.id)
    # A retry gets a grant for the same upload with the first deadline, never a longer one.
    grant = await ctx.store.presign_upload(photo.original_key, deadline - now, photo.content_type, photo.size)
    return photo, grant, deadline


async def receive_upload(ctx: AppContext, key: str, expires: str, sig: str, content_type: str,
                         content_length: int | None, body: Body) -> None:
    """Store a direct upload sent to the app (the local store's grants): exactly as granted, and only once."""
    photo = await Photo.objects().get((Photo.original_key == key) & (Photo.upload_expires_at.is_not_null()))
    if photo is None or not ctx.store.verify_upload(key, expires, sig, photo.content_type, photo.size):
        raise Forbidden("上传链接无效或已过期", "The upload link is invalid or expired", code="store.bad_signature")
    if content_type.strip().lower() != photo.content_type:
        raise UnsupportedMedia("上传的类型与申报不符", "The upload is not of the announced type",
                               code="photo.type_mismatch",
                               details={"announced": photo.content_type, "received": content_type[:60]})
    if content_length is not None and content_length != photo.size:
        raise _size_mismatch(photo.size, content_length)
    # Claiming the row is the lock: of two uploads with the same grant, one gets it and the other is refused.
    claimed = await Photo.update({Photo.status: "uploading"}).where(
        (Photo.id == photo.id) & (Photo.status == "awaiting_upload")).returning(Photo.id)
    if not claimed:
        raise Conflict("上传链接已使用", "The upload link has already been used", code="photo.upload_used")
    try:
        await ctx.store.put(key, body, photo.size, photo.content_type, max_bytes=ctx.settings.max_upload_bytes)
    except BaseException:
        # A failed transfer (cut off, wrong length) leaves nothing behind and may be tried again before the deadline.
        await Photo.update({Photo.status: "awaiting_upload"}).where(
            (Photo.id == photo.id) & (Photo.status == "uploading"))
        raise
    await Photo.update({Photo.status: "uploaded"}).where((Photo.id == photo.id) & (Photo.status == "uploading"))


async def confirm(ctx: AppContext, actor: Actor, photo_id: int) -> Photo:
    """Check a direct upload like any other, move it under originals/ with its sniffed type, and process it.

    An upload that fails the checks spends its grant: the row and the staging object are removed.
    """
    photo = await Photo.objects().get(Photo.id == photo_id)
    if photo is None or photo.uploader != actor.id:
        raise NotFound(f"照片不存在：{photo_id}", f"No such photo of yours: {photo_id}", code="photo.not_found")
    if photo.status not in UNCONFIRMED:
        return await Photo.objects().output(load_json=True).get(Photo.id == photo_id)  # type: ignore[return-value]
    if _is_past(photo.upload_expires_at, _now(), CONFIRM_WINDOW):
        raise _expired(photo_id)
    claimed = await Photo.update({Photo.status: "confirming"}).where(
        (Photo.id == photo_id) & Photo.status.is_in(["awaiting_upload", "uploaded"])).returning(Photo.id)
    if not claimed:
        raise Conflict("照片正在上传或确认中，请稍后再试", "The photo is being uploaded or confirmed: try again shortly",
                       code="photo.upload_busy")
    staging = photo.original_key
    try:
        info = await ctx.store.stat(staging)
        if info is None:
            raise Conflict("照片尚未上传完成", "The photo has not been uploaded yet", code="photo.upload_missing")
        checked = await _check_direct_upload(ctx, photo, info.size, staging)
    except (InvalidInput, UnsupportedMedia, PayloadTooLarge):
        await discard_photo(ctx, photo)
        raise
    except BaseException:
        # Not uploaded yet, or the store is down: the upload stays open until its deadline.
        await _reopen(photo_id, photo.status)
        raise
    content_type = CONTENT_TYPES[checked.kind]
    final = _key("originals", checked.kind, staging.rsplit("/", 1)[-1])
    try:
        await ctx.store.put(final, checked.data, len(checked.data), content_type,
                            max_bytes=ctx.settings.max_upload_bytes)
        async with write_transaction(ctx.engine):
            await Photo.update({
                Photo.status: "pending", Photo.original_key: final, Photo.content_type: content_type,
                Photo.sha256: checked.sha256, Photo.exif_lat: checked.exif_lat, Photo.exif_lng: checked.exif_lng,
                Photo.exif_time: checked.exif_time,
            }).where(Photo.id == photo_id)
            await enqueue("photo", {"photo_id": photo_id}, delay=RECOVERY_DELAY)
    except BaseException:
        await _reopen(photo_id, photo.status)
        await ctx.store.delete(final)
        raise
    # On S3 the grant stays usable until its deadline: a later upload to the staging key is removed by the expiry.
    await ctx.store.delete(staging)
    failure = await process_photo(ctx, photo_id, checked=checked)
    stored = await Photo.objects().output(load_json=True).get(Photo.id == photo_id)
    assert stored is not None
    if failure is not None:
        # Broken beyond its header (e.g. truncated): tell the uploader now, and keep nothing, as for any upload.
        await discard_photo(ctx, stored)
        raise failure
    return stored


async def _reopen(photo_id: int, status: str) -> None:
    await Photo.update({Photo.status: status}).where((Photo.id == photo_id) & (Photo.status == "confirming"))


async def _check_direct_upload(ctx: AppContext, photo: Photo, stored_size: int, staging: str) -> Checked:
    if stored_size != photo.size:
        raise _size_mismatch(photo.size, stored_size)
    data = await ctx.store.get(staging)
    if len(data) != photo.size:  # replaced between stat and read
        raise _size_mismatch(photo.size, len(data))
    checked = await check_upload(ctx, data)
    if CONTENT_TYPES[checked.kind] != photo.content_type:
        raise UnsupportedMedia("上传的文件类型与申报不符", "The uploaded file is not the announced type",
                               code="photo.type_mismatch", details={"announced": photo.content_type,
                                                                    "received": CONTENT_TYPES[checked.kind]})
    return checked


async def expire_unconfirmed(ctx: AppContext, now: datetime | None = None) -> int:
    """Remove direct uploads never confirmed by their deadline plus a grace, rows and staging objects alike.

    Confirmed uploads past that point only lose their staging key (an S3 grant can be reused until its deadline).
    Returns how many rows it looked at; at most ``EXPIRY_BATCH``, so a full batch means there may be more.
    """
    cutoff = (now or _now()) - EXPIRY_GRACE
    rows = await Photo.select(Photo.id, Photo.status, Photo.original_key).where(
        Photo.upload_expires_at.is_not_null() & (Photo.upload_expires_at < cutoff)).limit(EXPIRY_BATCH)
    for row in rows:
        if row["status"] in UNCONFIRMED:
            # The row goes first: whoever deletes it owns the cleanup, and no confirm can start on it afterwards.
            gone = await Photo.delete().where((Photo.id == row["id"]) & Photo.status.is_in(list(UNCONFIRMED))
                                              ).returning(Photo.id)
            if gone:
                # (Rows from before staging keys kept their upload under originals/: both keys go.)
                for key in {row["original_key"], staging_key(row["original_key"])}:
                    await ctx.store.delete(key)
                log.info("photos: removed unconfirmed upload %s", row["id"])
                continue
        await ctx.store.delete(staging_key(row["original_key"]))
        await Photo.update({Photo.upload_expires_at: None}).where(Photo.id == row["id"])
    return len(rows)


class UploadExpiry(Loop):
    """Runs ``expire_unconfirmed`` every few minutes on the app's event loop."""

    def __init__(self, ctx: AppContext, interval: float = 300.0) -> None:
        async def round_() -> bool:
            return await expire_unconfirmed(ctx) >= EXPIRY_BATCH

        super().__init__("suishoupai-upload-expiry", round_, interval)


# ---------------------------------------------------------------- reading


async def readable_photo(ctx: AppContext, actor: Actor | None, photo_id: int, variant: str) -> Photo:
    """The photo if this caller may see this variant (or, for "meta", its record).

    Originals are for centre, unit and supervisor staff only, never for citizens or anonymous devices; no image of a
    direct upload is readable before its confirm.
    """
    cases = ctx.cases
    assert cases is not None, "the app wires the cases domain's rules"
    photo = await Photo.objects().get(Photo.id == photo_id)
    if photo is None:
        raise NotFound(f"照片不存在：{photo_id}", f"No such photo: {photo_id}", code="photo.not_found")
    case = await cases.load(photo.case) if photo.case else None
    if actor is None:
        # The public sees derivatives of report and after photos of filed cases: never an original.
        if variant == "original" or case is None or not cases.is_public(case) or photo.kind not in (
                "report", "after"):
            raise NotFound(f"照片不存在：{photo_id}", f"No such photo: {photo_id}", code="photo.not_found")
        return photo
    staff = _is_staff(actor)
    allowed = photo.uploader == actor.id or (case is not None and cases.can_see(actor, case))
    if not allowed or (variant == "original" and not staff):
        raise Forbidden("无权查看此照片", "You may not see this photo", code="photo.forbidden")
    # A citizen sees the report and after photos of their case as images: not staff's working photos (verify, check),
    # nor the record of a photo someone else took, which holds where and when their phone was (PIPL).
    if not staff and photo.uploader != actor.id and (variant == "meta" or photo.kind not in ("report", "after")):
        raise Forbidden("无权查看此照片", "You may not see this photo", code="photo.forbidden")
    if variant != "meta" and photo.status in UNCONFIRMED:
        raise Conflict("照片尚未确认上传", "The photo's upload has not been confirmed", code="photo.not_confirmed")
    return photo


def sees_redacted(actor: Actor | None, photo: Photo) -> bool:
    """Whether this caller is outside the photo's case staff (the public, a citizen looking at an after-photo) and so
    sees only its redacted derivative. Whoever took the photo sees it as they took it."""
    return actor is None or (not _is_staff(actor) and photo.uploader != actor.id)


def _is_staff(actor: Actor) -> bool:
    return actor.is_centre or actor.role in (Role.UNIT_STAFF, Role.SUPERVISOR)
