"""Benchmark-only endpoints, registered only when ``SUISHOUPAI_BENCH_ENDPOINTS`` is true (never in production).

``POST /api/v1/bench/noop-upload`` reads a report's multipart body exactly as the report endpoint does (the form
parser spools the files) and does nothing else: ``scripts/load.py`` measures it next to real reports on the same
server, so the ratio between the two is the cost of everything a report does beyond receiving its bytes.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.handlers import HTTPRouteHandler

from backend.settings import Settings


class NoopOut(msgspec.Struct):
    fields: int
    photo_bytes: int


@post("/api/v1/bench/noop-upload", operation_id="benchNoopUpload", status_code=201, include_in_schema=False)
async def noop_upload(request: Request[Any, Any, Any]) -> NoopOut:
    form = await request.form()
    fields, photo_bytes = 0, 0
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            photo_bytes += len(await value.read())
        else:
            fields += 1
    return NoopOut(fields=fields, photo_bytes=photo_bytes)


def bench_handlers(settings: Settings) -> list[HTTPRouteHandler]:
    """The bench endpoints when the setting allows them; none by default, so they answer 404."""
    return [noop_upload] if settings.bench_endpoints else []
