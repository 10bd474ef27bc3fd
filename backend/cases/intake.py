"""Reading a report request: JSON with photo ids, or multipart with the photos themselves (one request, offline-friendly)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile

from backend.cases.schemas import ReportForm, ReportIn
from backend.context import AppContext
from backend.errors import InvalidInput
from backend.photos.geo import location_decision
from backend.photos.service import Checked, check_upload

FORM_FIELDS = {f for f in ReportForm.__struct_fields__ if f != "photos"}


def _invalid(exc: msgspec.ValidationError) -> InvalidInput:
    err = InvalidInput(f"请求参数无效（{exc}）", f"Invalid request ({exc})", code="request.invalid",
                       details={"reason": str(exc)})
    err.status = 400
    return err


async def read_report(ctx: AppContext, request: Request[Any, Any, Any]) -> tuple[ReportIn, list[tuple[Checked, str]], list[str]]:
    """The report, its checked uploads with file names, and location flags found by comparing with the photos."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _multipart(ctx, request)
    if not content_type.startswith("application/json"):
        err = InvalidInput("请以 JSON 或 multipart/form-data 提交", "Send JSON or multipart/form-data",
                           code="request.bad_content_type")
        err.status = 415
        raise err
    try:
        data = msgspec.json.decode(await request.body(), type=ReportIn)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
    except msgspec.DecodeError:
        err = InvalidInput("JSON 格式错误", "Malformed JSON", code="request.bad_json")
        err.status = 400
        raise err from None
    return data, [], []


async def _multipart(ctx: AppContext, request: Request[Any, Any, Any]) -> tuple[ReportIn, list[tuple[Checked, str]], list[str]]:
    form = await request.form()
    files = [v for k, v in form.multi_items() if isinstance(v, UploadFile)]
    unknown = sorted({k for k, v in form.multi_items() if not isinstance(v, UploadFile) and k not in FORM_FIELDS}
                     | {k for k, v in form.multi_items() if isinstance(v, UploadFile) and k != "photos"})
    if unknown:
        raise InvalidInput(f"未知字段：{', '.join(unknown)}", f"Unknown fields: {', '.join(unknown)}",
                           code="request.unknown_fields", details={"fields": unknown})
    if not files:
        raise InvalidInput("请至少附一张照片", "Attach at least one photo", code="photo.missing")
    if len(files) > ctx.settings.max_photos:
        raise InvalidInput(f"最多只能上传 {ctx.settings.max_photos} 张照片",
                           f"At most {ctx.settings.max_photos} photos per report", code="photo.too_many",
                           details={"limit": ctx.settings.max_photos, "received": len(files)})
    fields: dict[str, Any] = {k: v for k, v in form.items() if not isinstance(v, UploadFile) and v != ""}
    try:
        # The text fields are checked before any photo is read: a bad field costs nothing.
        report_form = msgspec.convert({**fields, "photos": files}, type=ReportForm, strict=False)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
    uploads = []
    for upload in report_form.photos:
        data = await upload.read(ctx.settings.max_upload_bytes + 1)
        uploads.append((await check_upload(ctx, data), upload.filename or "photo"))
    exif = next(((c.exif_lat, c.exif_lng) for c, _ in uploads if c.exif_lat is not None and c.exif_lng is not None),
                None)
    browser = None
    if report_form.lat is not None and report_form.lng is not None:
        browser = (report_form.lat, report_form.lng, report_form.accuracy_m)
    taken = next((c.exif_time for c, _ in uploads if c.exif_time is not None), None)
    decision = location_decision(browser, exif, taken, datetime.now(UTC), tz=ctx.settings.timezone)
    if decision.lat is None or decision.lng is None:
        raise InvalidInput("缺少位置：请允许定位，或上传带 GPS 的照片", "No location: allow geolocation or use a photo with GPS",
                           code="location.required")
    from_exif = decision.source == "exif"
    text = {f: getattr(report_form, f) for f in ReportForm.__struct_fields__ if f != "photos"}
    text.update(lat=decision.lat, lng=decision.lng,
                location_source="exif" if from_exif else report_form.location_source or decision.source,
                accuracy_m=None if from_exif else report_form.accuracy_m)
    try:
        report = msgspec.convert(text, type=ReportIn)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
    return report, uploads, list(decision.flags)
