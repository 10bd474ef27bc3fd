"""Redaction of a photo's public derivatives, and the text read from it for staff: a durable job after intake.

A photo's display image reaches anyone outside its case's staff (the public map and list, a citizen looking at an
after-photo) only as the derivative made here, with faces and plates pixelated. Until that succeeded there is no public
image at all: a pending, failed or unavailable redaction keeps the photo private, and its row says why for staff.
The job runs on its own workers (``settings.redaction_workers`` per process, one photo each), never in a request, and
its models run in threads at the lowest CPU priority (``IDLE_NICE``): a photo costs about two seconds of CPU, so at
busy times the redactions wait for idle CPU instead of slowing the reports and the cases people are waiting on, and
catch up when it is quiet (the photo stays private meanwhile).
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
from PIL import Image

from backend.context import AppContext
from backend.db import write_transaction
from backend.jobs.queue import enqueue
from backend.redaction.detect import Analyser, Finding, Unavailable, shared_analyser
from backend.redaction.schemas import MESSAGES, PhotoTextOut, RedactionOut
from backend.redaction.tables import PhotoText, Redaction
from backend.redaction.text import normalise
from backend.threads import lower_priority

log = logging.getLogger("suishoupai.redaction")

JOB_KIND = "redact"
TEXT_JOB_KIND = "photo_text"  # a phone number was read: the triage domain offers it to the classifier
HIDDEN = ("face", "plate")  # what is pixelated; phone numbers on adverts and shop signs are public by nature
THUMB_EDGE, THUMB_QUALITY, DISPLAY_QUALITY = 400, 75, 82
MARGIN = 0.15  # each side of a box grows by this share of its size: detectors cut faces and plates tight
ANALYSER_KEY = "redaction.analyser"  # ctx.extras: a twin for tests; absent, the process's models
IDLE_NICE = 19  # the models' threads: the lowest priority, so the CPU goes to requests and the other jobs first
MODEL_THREADS = 16  # threads made as needed: one per redaction worker (settings allow up to 16)


def _now() -> datetime:
    return datetime.now(UTC)


async def schedule(photo_id: int, display_key: str, *, new: bool = False) -> None:
    """Record that the photo awaits redaction and queue the job: call inside the transaction that made it ready
    (``new``: the photo's row was written in that same transaction, so it has no earlier redaction to replace)."""
    if not new:
        await Redaction.delete().where(Redaction.photo == photo_id)
    await Redaction.insert(Redaction(photo=photo_id, status="pending", created_at=_now()))
    await enqueue(JOB_KIND, {"photo_id": photo_id, "display_key": display_key})


async def requeue(engine: Any, photos: list[tuple[int, str]]) -> int:
    """Queue the redaction of every (photo id, display key) never redacted, failed or left without models (after
    an upgrade, or once the models are installed); returns how many were queued."""
    rows = await Redaction.select(Redaction.photo, Redaction.status).where(
        Redaction.photo.is_in([p for p, _ in photos])) if photos else []
    status = {int(r["photo"]): r["status"] for r in rows}
    queued = 0
    for photo_id, display_key in photos:
        if status.get(photo_id) in (None, "failed", "unavailable"):
            async with write_transaction(engine):
                await schedule(photo_id, display_key)
            queued += 1
    return queued


def public_keys(display_key: str) -> tuple[str, str]:
    """Where a photo's redacted display image and thumbnail go, named after its display image: the sweeper keeps them
    while the photo exists and removes them (as orphans) once it is gone."""
    stem = display_key.removeprefix("display/").rsplit(".", 1)[0]
    return f"public/display/{stem}.jpg", f"public/thumb/{stem}.jpg"


def pixelate(image: np.ndarray, findings: list[Finding]) -> np.ndarray:
    """The image with every face and plate replaced by coarse blocks (a third of the box's short side each), which
    no filter can undo: each block holds only the mean of the pixels it covers."""
    out = image.copy()
    h, w = out.shape[:2]
    for f in findings:
        if f.kind not in HIDDEN:
            continue
        x, y, bw, bh = f.box
        dx, dy = int(bw * MARGIN), int(bh * MARGIN)
        x0, y0, x1, y1 = max(0, x - dx), max(0, y - dy), min(w, x + bw + dx), min(h, y + bh + dy)
        if x1 <= x0 or y1 <= y0:
            continue
        region = out[y0:y1, x0:x1].astype(np.float32)
        block = max(4, math.ceil(min(x1 - x0, y1 - y0) / 3))
        for by in range(0, y1 - y0, block):
            for bx in range(0, x1 - x0, block):
                cell = region[by:by + block, bx:bx + block]
                cell[...] = cell.reshape(-1, 3).mean(axis=0)
        out[y0:y1, x0:x1] = region.astype(np.uint8)
    return out


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _analyse(analyser: Analyser, data: bytes) -> tuple[list[Finding], bytes, bytes, int, int, float]:
    started = time.perf_counter()
    with Image.open(io.BytesIO(data)) as im:
        rgb = np.asarray(im.convert("RGB"))
    findings = analyser.analyse(rgb)
    public = Image.fromarray(pixelate(rgb, findings))
    thumb = public.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    h, w = rgb.shape[:2]
    return findings, _jpeg(public, DISPLAY_QUALITY), _jpeg(thumb, THUMB_QUALITY), w, h, time.perf_counter() - started


# The threads ONNX Runtime starts for the models inherit their nice value from the thread that loads them, one of these.
_idle_priority = lower_priority(IDLE_NICE)


_model_threads: ThreadPoolExecutor | None = None
_model_threads_lock = threading.Lock()


def model_threads() -> ThreadPoolExecutor:
    """The process's threads for loading and running the models, all at idle priority."""
    global _model_threads
    with _model_threads_lock:
        if _model_threads is None:
            _model_threads = ThreadPoolExecutor(MODEL_THREADS, "redaction", initializer=_idle_priority)
        return _model_threads


def _analyser(ctx: AppContext) -> Analyser:
    twin = ctx.extras.get(ANALYSER_KEY)
    return twin if twin is not None else shared_analyser()


async def redact_photo(ctx: AppContext, payload: dict[str, Any]) -> None:
    """The job: analyse the display image, store the redacted derivatives and the text. Safe to repeat.

    Missing models mark the photo ``unavailable`` (no retry can help); any other failure marks it ``failed`` and
    raises, so the queue retries with backoff. Either way the photo stays private.
    """
    photo_id = int(payload["photo_id"])
    row = await Redaction.objects().get(Redaction.photo == photo_id)
    if row is None or row.status == "done":
        return
    data = await ctx.store.get(str(payload["display_key"]))
    try:
        loop, threads = asyncio.get_running_loop(), model_threads()
        analyser = await loop.run_in_executor(threads, _analyser, ctx)
        findings, display, thumb, w, h, seconds = await loop.run_in_executor(threads, _analyse, analyser, data)
    except Unavailable as exc:
        log.error("redaction: models unavailable (%s): photo %s stays private", exc, photo_id)
        await _mark(photo_id, "unavailable", f"redaction.unavailable: {exc}")
        return
    except Exception as exc:
        await _mark(photo_id, "failed", f"redaction.failed: {type(exc).__name__}: {exc}"[:500])
        raise
    display_key, thumb_key = public_keys(str(payload["display_key"]))
    await ctx.store.put(display_key, display, len(display), "image/jpeg")
    await ctx.store.put(thumb_key, thumb, len(thumb), "image/jpeg")
    texts = [f for f in findings if f.kind != "face" and f.text]
    async with write_transaction(ctx.engine):
        await PhotoText.delete().where(PhotoText.photo == photo_id)
        if texts:
            await PhotoText.insert(*[
                PhotoText(photo=photo_id, kind=f.kind, text=f.text[:200], norm=normalise(f.text)[:200],
                          box=[round(f.box[0] / w, 4), round(f.box[1] / h, 4), round(f.box[2] / w, 4),
                               round(f.box[3] / h, 4)], score=round(f.score, 3))
                for f in texts
            ])
        await Redaction.update({
            Redaction.status: "done", Redaction.error: "", Redaction.display_key: display_key,
            Redaction.thumb_key: thumb_key, Redaction.faces: sum(f.kind == "face" for f in findings),
            Redaction.plates: sum(f.kind == "plate" for f in findings), Redaction.width: w, Redaction.height: h,
            Redaction.model: analyser.name, Redaction.seconds: round(seconds, 3), Redaction.finished_at: _now(),
        }).where(Redaction.photo == photo_id)
        if any(f.kind == "phone" for f in texts):
            await enqueue(TEXT_JOB_KIND, {"photo_id": photo_id})


async def _mark(photo_id: int, status: str, error: str) -> None:
    await Redaction.update({Redaction.status: status, Redaction.error: error, Redaction.finished_at: _now()}).where(
        (Redaction.photo == photo_id) & (Redaction.status != "done"))


# ---------------------------------------------------------------- reading


async def public_key(photo_id: int, variant: str) -> str | None:
    """The redacted derivative's key, or None while the photo may not be shown outside its case's staff."""
    row = await Redaction.select(Redaction.display_key, Redaction.thumb_key).where(
        (Redaction.photo == photo_id) & (Redaction.status == "done")).first()
    if row is None:
        return None
    return str(row["display_key"] if variant == "display" else row["thumb_key"]) or None


async def public_ids(photo_ids: list[int]) -> set[int]:
    """Those of the photos whose redacted derivatives exist."""
    if not photo_ids:
        return set()
    rows = await Redaction.select(Redaction.photo).where(
        Redaction.photo.is_in(photo_ids) & (Redaction.status == "done"))
    return {int(r["photo"]) for r in rows}


async def staff_view(photo_ids: list[int]) -> dict[int, RedactionOut]:
    """For staff: each photo's redaction state (why it is not public) and the text read from it."""
    if not photo_ids:
        return {}
    rows = await Redaction.select().where(Redaction.photo.is_in(photo_ids))
    texts = await PhotoText.select().output(load_json=True).where(PhotoText.photo.is_in(photo_ids)).order_by(
        PhotoText.id)
    by_photo: dict[int, list[PhotoTextOut]] = {}
    for t in texts:
        by_photo.setdefault(int(t["photo"]), []).append(
            PhotoTextOut(kind=t["kind"], text=t["text"], box=[float(v) for v in t["box"] or []], score=t["score"]))
    out = {}
    for r in rows:
        code = str(r["error"]).split(":", 1)[0] if r["error"] else f"redaction.{r['status']}"
        zh, en = MESSAGES.get(code, MESSAGES["redaction.failed"])
        out[int(r["photo"])] = RedactionOut(
            status=r["status"], public=r["status"] == "done", faces=r["faces"], plates=r["plates"],
            message_zh=zh, message_en=en, texts=by_photo.get(int(r["photo"]), []))
    return out


async def photos_with_text(q: str, limit: int = 500) -> list[int]:
    """Photos whose read text contains ``q`` (a phone number matches however it was printed)."""
    norm = _escape(normalise(q))
    if len(norm) < 2:
        return []
    rows = await PhotoText.select(PhotoText.photo).where(PhotoText.norm.like(f"%{norm}%")).limit(limit)
    return sorted({int(r["photo"]) for r in rows})


def _escape(text: str) -> str:
    # LIKE's wildcards, and the backslash PostgreSQL takes as LIKE's escape, are never part of text worth finding.
    return text.replace("%", "").replace("_", "").replace("\\", "")


async def phone_found(case_id: int) -> bool:
    """Whether a phone number was read from any photo of the case: evidence of an illegal advert (非法小广告)."""
    return bool(await PhotoText.count().where((PhotoText.photo.case == case_id) & (PhotoText.kind == "phone")))


def handlers(ctx: AppContext) -> dict[str, Any]:
    async def redact(payload: dict[str, Any]) -> None:
        await redact_photo(ctx, payload)

    return {JOB_KIND: redact}
