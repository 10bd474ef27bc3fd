"""Photo intake: store the original, record it, run the pipeline, and serve derivatives to those who may see them.

Every upload is checked from its bytes at once (type, structure, size). The pipeline then runs in a worker thread;
a durable 'photo' job written with the row finishes the work after a crash, so an accepted photo is never lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.context import AppContext
from backend.db import write_transaction
from backend.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from backend.jobs.queue import enqueue
from backend.photos.exif import read_exif
from backend.photos.pipeline import ProcessedPhoto, check_header, process, safe_filename
from backend.photos.sniff import CONTENT_TYPES, identify
from backend.photos.tables import Photo

KINDS = ("report", "verify", "after", "check")
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic", "heif": "heif"}
# A crashed inline run is retried by the worker only after this delay, so the two never race.
RECOVERY_DELAY = timedelta(seconds=60)
_cpu = asyncio.Semaphore(max(1, (os.cpu_count() or 1)))


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Checked:
    """An upload that passed the cheap checks, with what the request path needs from its EXIF."""

    data: bytes
    kind: str
    sha256: str
    exif_lat: float | None
    exif_lng: float | None
    exif_time: datetime | None


def check_upload(ctx: AppContext, data: bytes) -> Checked:
    if len(data) > ctx.settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"照片超过 {ctx.settings.max_upload_mb} MB", f"The photo exceeds {ctx.settings.max_upload_mb} MB",
            code="photo.too_large", details={"limit_bytes": ctx.settings.max_upload_bytes},
        )
    kind = identify(data)
    check_header(data, kind, ctx.settings.max_image_pixels)
    exif = read_exif(data)
    return Checked(data, kind, hashlib.sha256(data).hexdigest(), exif.lat, exif.lng,
                   exif.taken_at_in(ctx.settings.timezone) if exif.taken_at else exif.gps_time)


async def discard_photo(ctx: AppContext, photo: Photo) -> None:
    """Remove a photo that ended up unused (its report could not be written) with all its objects."""
    for key in (photo.original_key, photo.display_key, photo.thumb_key):
        if key:
            await ctx.store.delete(key)
    await Photo.delete().where(Photo.id == photo.id)


def _key(prefix: str, kind: str) -> str:
    day = _now().strftime("%Y/%m/%d")
    return f"{prefix}/{day}/{uuid.uuid4().hex}.{EXTENSIONS.get(kind, 'bin')}"


async def _existing(actor: Actor, key: str | None) -> Photo | None:
    if not key:
        return None
    return await Photo.objects().output(load_json=True).get(Photo.idempotency_key == f"{actor.id}:{key}")


async def ingest(
    ctx: AppContext, actor: Actor, checked: Checked, filename: str, kind: str, idem_key: str | None = None,
    *, process_now: bool = True,
) -> Photo:
    """Store one checked original and record it (with its recovery job); then process it unless told not to."""
    if kind not in KINDS:
        raise InvalidInput(f"未知照片类型：{kind}", f"Unknown photo kind: {kind}", code="photo.bad_kind",
                           details={"allowed": list(KINDS)})
    existing = await _existing(actor, idem_key)
    if existing is not None:
        return existing
    key = _key("originals", checked.kind)
    await ctx.store.put(key, checked.data, len(checked.data), CONTENT_TYPES[checked.kind],
                        max_bytes=ctx.settings.max_upload_bytes)
    try:
        async with write_transaction(ctx.engine):
            existing = await _existing(actor, idem_key)
            if existing is not None:
                await ctx.store.delete(key)
                return existing
            photo = Photo(
                kind=kind, uploader=actor.id, status="pending",
                idempotency_key=f"{actor.id}:{idem_key}" if idem_key else None,
                filename=safe_filename(filename), content_type=CONTENT_TYPES[checked.kind], size=len(checked.data),
                original_key=key, sha256=checked.sha256, exif_lat=checked.exif_lat, exif_lng=checked.exif_lng,
                exif_time=checked.exif_time, created_at=_now(),
            )
            await photo.save()
            await enqueue("photo", {"photo_id": photo.id}, delay=RECOVERY_DELAY)
    except BaseException:
        # Nothing half-written: an original without its row is removed again.
        await ctx.store.delete(key)
        raise
    if process_now:
        failure = await process_photo(ctx, photo.id, data=checked.data)
        if failure is not None:
            # Broken beyond its header (e.g. truncated): tell the uploader now, and keep nothing.
            await discard_photo(ctx, photo)
            raise failure
        return await Photo.objects().output(load_json=True).get(Photo.id == photo.id)  # type: ignore[return-value]
    return photo


async def ingest_bytes(ctx: AppContext, actor: Actor, data: bytes, filename: str, kind: str) -> Photo:
    return await ingest(ctx, actor, check_upload(ctx, data), filename, kind)


async def process_photo(ctx: AppContext, photo_id: int, data: bytes | None = None) -> AppError | None:
    """Run the pipeline on a stored original and record the results; safe to repeat. Returns why it failed."""
    photo = await Photo.objects().get(Photo.id == photo_id)
    if photo is None or photo.status in ("ready", "failed", "awaiting_upload"):
        return None
    if data is None:
        data = await ctx.store.get(photo.original_key)
    try:
        async with _cpu:
            result: ProcessedPhoto = await asyncio.to_thread(process, data, max_pixels=ctx.settings.max_image_pixels)
    except (InvalidInput, UnsupportedMedia, PayloadTooLarge) as exc:
        await Photo.update({Photo.status: "failed", Photo.error: exc.code, Photo.processed_at: _now()}).where(
            Photo.id == photo_id)
        return exc
    base = photo.original_key.removeprefix("originals/").rsplit(".", 1)[0]
    display_key, thumb_key = f"display/{base}.jpg", f"thumb/{base}.jpg"
    await ctx.store.put(display_key, result.display.data, len(result.display.data), "image/jpeg")
    await ctx.store.put(thumb_key, result.thumbnail.data, len(result.thumbnail.data), "image/jpeg")
    exif = result.exif
    await Photo.update({
        Photo.status: "ready", Photo.display_key: display_key, Photo.thumb_key: thumb_key, Photo.phash: result.phash,
        Photo.width: result.width, Photo.height: result.height, Photo.exif_alt: exif.altitude_m,
        Photo.exif: {"make": exif.make, "model": exif.model, "orientation": exif.orientation,
                     "gps_time": exif.gps_time.isoformat() if exif.gps_time else None,
                     "warnings": list(exif.warnings)},
        Photo.warnings: [q.code for q in result.quality], Photo.processed_at: _now(),
    }).where(Photo.id == photo_id)
    return None


async def photo_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    await process_photo(ctx, int(payload["photo_id"]))


# ---------------------------------------------------------------- direct-to-storage uploads


async def presign(ctx: AppContext, actor: Actor, content_type: str, size: int, filename: str, kind: str,
                  idem_key: str | None) -> tuple[Photo, str, datetime]:
    allowed = {v: k for k, v in CONTENT_TYPES.items()}
    if content_type not in allowed:
        raise UnsupportedMedia("仅支持 JPEG、PNG、WebP、HEIC 照片", "Only JPEG, PNG, WebP and HEIC photos",
                               code="photo.not_an_image", details={"content_type": content_type})
    if size > ctx.settings.max_upload_bytes:
        raise PayloadTooLarge(f"照片超过 {ctx.settings.max_upload_mb} MB",
                              f"The photo exceeds {ctx.settings.max_upload_mb} MB", code="photo.too_large")
    if kind not in KINDS:
        raise InvalidInput(f"未知照片类型：{kind}", f"Unknown photo kind: {kind}", code="photo.bad_kind")
    photo = await _existing(actor, idem_key)
    if photo is None:
        photo = Photo(kind=kind, uploader=actor.id, status="awaiting_upload",
                      idempotency_key=f"{actor.id}:{idem_key}" if idem_key else None,
                      filename=safe_filename(filename), content_type=content_type, size=size,
                      original_key=_key("originals", allowed[content_type]), created_at=_now())
        await photo.save()
    expires = timedelta(minutes=15)
    url = await ctx.store.presigned_put_url(photo.original_key, expires, photo.content_type)
    return photo, url, _now() + expires


async def confirm(ctx: AppContext, actor: Actor, photo_id: int) -> Photo:
    """Check that the client's direct upload arrived whole and is the image it claimed to be, then process it."""
    photo = await Photo.objects().get(Photo.id == photo_id)
    if photo is None or photo.uploader != actor.id:
        raise NotFound(f"照片不存在：{photo_id}", f"No such photo of yours: {photo_id}", code="photo.not_found")
    if photo.status != "awaiting_upload":
        return await Photo.objects().output(load_json=True).get(Photo.id == photo_id)  # type: ignore[return-value]
    info = await ctx.store.stat(photo.original_key)
    if info is None:
        raise Conflict("照片尚未上传完成", "The photo has not been uploaded yet", code="photo.upload_missing")
    if info.size != photo.size:
        await ctx.store.delete(photo.original_key)
        raise InvalidInput("上传的文件大小与申报不符", "The uploaded size differs from the announced size",
                           code="photo.size_mismatch", details={"announced": photo.size, "received": info.size})
    data = await ctx.store.get(photo.original_key)
    try:
        checked = check_upload(ctx, data)
    except Exception:
        await ctx.store.delete(photo.original_key)
        raise
    if CONTENT_TYPES[checked.kind] != photo.content_type:
        await ctx.store.delete(photo.original_key)
        raise UnsupportedMedia("上传的文件类型与申报不符", "The uploaded file is not the announced type",
                               code="photo.type_mismatch", details={"announced": photo.content_type,
                                                                    "received": CONTENT_TYPES[checked.kind]})
    async with write_transaction(ctx.engine):
        await Photo.update({Photo.status: "pending", Photo.sha256: checked.sha256, Photo.exif_lat: checked.exif_lat,
                            Photo.exif_lng: checked.exif_lng, Photo.exif_time: checked.exif_time}).where(
            Photo.id == photo_id)
        await enqueue("photo", {"photo_id": photo_id}, delay=RECOVERY_DELAY)
    failure = await process_photo(ctx, photo_id, data=data)
    if failure is not None:
        raise failure
    return await Photo.objects().output(load_json=True).get(Photo.id == photo_id)  # type: ignore[return-value]


# ---------------------------------------------------------------- reading


async def readable_photo(actor: Actor | None, photo_id: int, variant: str) -> Photo:
    """The photo if this caller may see this variant of it; originals are for centre and unit staff only."""
    from backend.cases.access import can_see
    from backend.cases.tables import Case
    from backend.cases.views import public_states

    photo = await Photo.objects().get(Photo.id == photo_id)
    if photo is None:
        raise NotFound(f"照片不存在：{photo_id}", f"No such photo: {photo_id}", code="photo.not_found")
    case = await Case.objects().get(Case.id == photo.case) if photo.case else None
    if actor is None:
        # The public sees derivatives of report and after photos of filed cases: never an original.
        if variant == "original" or case is None or case.state not in public_states() or photo.kind not in (
                "report", "after"):
            raise NotFound(f"照片不存在：{photo_id}", f"No such photo: {photo_id}", code="photo.not_found")
        return photo
    staff = actor.is_centre or actor.role in (Role.UNIT_STAFF, Role.SUPERVISOR)
    allowed = photo.uploader == actor.id or (case is not None and can_see(actor, case))
    if not allowed or (variant == "original" and not (staff or photo.uploader == actor.id)):
        raise Forbidden("无权查看此照片", "You may not see this photo", code="photo.forbidden")
    return photo
