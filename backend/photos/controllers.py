"""HTTP endpoints for photos: multipart upload, presigned direct upload and confirm, and reading derivatives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct, field

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.services import Actor
from backend.context import AppContext, Ctx
from backend.errors import InvalidInput, NotFound
from backend.idempotency import IdemKey
from backend.photos import service
from backend.photos.pipeline import QUALITY_TEXT
from backend.photos.sniff import CONTENT_TYPES
from backend.photos.tables import Photo
from backend.redaction import service as redaction

VARIANTS = ("thumb", "display", "original")
OBJECT_CSP = "default-src 'none'; sandbox"
SNIFFED_TYPES = {v: k for k, v in CONTENT_TYPES.items()}


class WarningOut(Struct):
    code: str
    message_zh: str
    message_en: str


class PhotoOut(Struct):
    id: int
    kind: str
    status: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    exif_lat: float | None
    exif_lng: float | None
    exif_time: datetime | None
    warnings: list[WarningOut]
    error: str
    thumb_url: str | None
    display_url: str | None


class PresignIn(Struct, forbid_unknown_fields=True):
    content_type: Annotated[str, Meta(max_length=40)]
    size: Annotated[int, Meta(ge=1)]
    filename: Annotated[str, Meta(max_length=200)] = "photo.jpg"
    kind: Annotated[str, Meta(max_length=10)] = "report"


class PresignOut(Struct):
    """How to send the photo: ``PUT`` the bytes with ``headers`` (local store), or ``POST`` a multipart/form-data body
    with every entry of ``fields`` and then the file, as the last part named ``file`` (S3). Then confirm it."""

    photo_id: int
    upload_url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime
    fields: dict[str, str] = field(default_factory=dict)


def photo_out(photo: Photo) -> PhotoOut:
    warnings = photo.warnings if isinstance(photo.warnings, list) else []
    ready = photo.status == "ready"
    return PhotoOut(
        id=photo.id, kind=photo.kind, status=photo.status, content_type=photo.content_type, size=photo.size,
        width=photo.width, height=photo.height, sha256=photo.sha256, exif_lat=photo.exif_lat,
        exif_lng=photo.exif_lng, exif_time=photo.exif_time,
        warnings=[WarningOut(w, *QUALITY_TEXT.get(w, (w, w))) for w in warnings], error=photo.error,
        thumb_url=f"/api/v1/photos/{photo.id}/thumb" if ready else None,
        display_url=f"/api/v1/photos/{photo.id}/display" if ready else None,
    )


async def read_upload(ctx: AppContext, upload: Any) -> tuple[bytes, str]:
    if not isinstance(upload, UploadFile):
        raise InvalidInput("缺少照片文件", "A photo file is required", code="photo.missing")
    data = await upload.read(ctx.settings.max_upload_bytes + 1)
    return data, upload.filename or "photo"


class PhotoController(Controller):
    path = "/api/v1/photos"
    tags = ["photos"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @post("/", operation_id="uploadPhoto", summary="上传照片 Upload one photo (multipart field 'file')")
    async def upload(
        self,
        ctx: Ctx,
        actor: CurrentActor,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        idempotency_key: IdemKey = None,
    ) -> Response[PhotoOut]:
        if sum(isinstance(v, UploadFile) for v in data.values()) > 1:
            raise InvalidInput("一次只能上传一张照片", "Upload one photo per request", code="photo.too_many")
        raw, filename = await read_upload(ctx, data.get("file"))
        kind = str(data.get("kind") or "report")
        photo = await service.ingest(ctx, actor, await service.check_upload(ctx, raw), filename, kind,
                                     idempotency_key)
        return Response(photo_out(photo), status_code=201)

    @post("/presign", operation_id="presignPhoto", status_code=201,
          summary="直传签名 A one-time grant to send one photo of this type and size straight to storage")
    async def presign(self, ctx: Ctx, actor: CurrentActor, data: JSONBody[PresignIn],
                      idempotency_key: IdemKey = None) -> PresignOut:
        photo, grant, expires = await service.presign(ctx, actor, data.content_type, data.size, data.filename,
                                                      data.kind, idempotency_key)
        return PresignOut(photo_id=photo.id, upload_url=grant.url, method=grant.method, headers=grant.headers,
                          expires_at=expires, fields=grant.fields)

    @post("/{photo_id:int}/confirm", operation_id="confirmPhoto", status_code=200,
          summary="确认直传 Confirm a direct upload: checked, then processed")
    async def confirm(self, ctx: Ctx, actor: CurrentActor, photo_id: FromPath[int]) -> PhotoOut:
        return photo_out(await service.confirm(ctx, actor, photo_id))

    @get("/{photo_id:int}", operation_id="getPhoto", summary="照片信息 Photo metadata")
    async def detail(self, ctx: Ctx, actor: CurrentActor, photo_id: FromPath[int]) -> PhotoOut:
        return photo_out(await service.readable_photo(ctx, actor, photo_id, "meta"))

    @get("/{photo_id:int}/{variant:str}", operation_id="getPhotoImage", summary="照片图像 thumb | display | original")
    async def image(self, ctx: Ctx, actor: CurrentActor, photo_id: FromPath[int],
                    variant: FromPath[str]) -> Response[bytes]:
        return await _serve(ctx, actor, photo_id, variant)


async def _serve(ctx: AppContext, actor: Actor | None, photo_id: int, variant: str) -> Response[bytes]:
    if variant not in VARIANTS:
        raise NotFound("没有这种图像", "No such image variant", code="photo.bad_variant")
    photo = await service.readable_photo(ctx, actor, photo_id, variant)
    if variant == "original":
        # Through the app, checked for staff on every request, and downloaded rather than shown: an original keeps
        # its EXIF (GPS included) and may be HEIC, which browsers cannot show anyway.
        data = await ctx.store.get(photo.original_key)
        return inert_image(data, photo.content_type, f"photo-{photo.id}", attachment=True, cache="private, no-store")
    key = photo.display_key if variant == "display" else photo.thumb_key
    if photo.status != "ready" or not key:
        raise NotFound("照片仍在处理中", "The photo is still being processed", code="photo.not_ready")
    if service.sees_redacted(actor, photo):
        # Outside the case's staff only the derivative with faces and plates pixelated, and only once it exists.
        public = await redaction.public_key(photo.id, variant)
        if public is None:
            raise NotFound("照片正在进行隐私打码，暂不公开", "The photo is not public until faces and plates are "
                           "pixelated", code="photo.not_public")
        key = public
    cache = "public, max-age=86400" if actor is None else "private, max-age=3600"
    return inert_image(await ctx.store.get(key), "image/jpeg", f"photo-{photo.id}-{variant}", cache=cache)


def inert_image(data: bytes, content_type: str, stem: str, *, cache: str, attachment: bool = False) -> Response[bytes]:
    """Stored bytes served so that a browser can never run them, whatever they turn out to contain.

    The type is the one the server sniffed (only image types pass; anything else would go out as an opaque
    download), the browser may not second-guess it (nosniff), and opened as a page it gets a sandbox with no script,
    no plugins and an opaque origin, so it can read nothing of the app's. The file name is ours, plain ASCII: the
    uploader's name may carry personal data and is not needed here.
    """
    kind = SNIFFED_TYPES.get(content_type)
    if kind is None:
        content_type, attachment, ext = "application/octet-stream", True, "bin"
    else:
        ext = service.EXTENSIONS[kind]
    disposition = "attachment" if attachment else "inline"
    return Response(data, media_type=content_type, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": OBJECT_CSP,
        "Content-Disposition": f'{disposition}; filename="{stem}.{ext}"',
        "Cache-Control": cache,
    })


class PublicPhotoController(Controller):
    path = "/api/v1/public/photos"
    tags = ["public"]

    @get("/{photo_id:int}/{variant:str}", operation_id="getPublicPhoto",
         summary="公开照片 A public derivative (no EXIF) of a filed case's photo")
    async def image(self, ctx: Ctx, photo_id: FromPath[int], variant: FromPath[str]) -> Response[bytes]:
        if variant not in ("thumb", "display"):
            raise NotFound("没有这种图像", "No such image variant", code="photo.bad_variant")
        return await _serve(ctx, None, photo_id, variant)


class ObjectController(Controller):
    """The local store's upload grants land here (S3 grants go to the object store itself). Nothing is read here."""

    path = "/api/v1/objects"
    tags = ["photos"]
    include_in_schema = False

    @put("/{key:path}", operation_id="putObject", status_code=200, request_max_body_size=None)
    async def put_object(self, ctx: Ctx, request: Request[Any, Any, Any], key: FromPath[str],
                         expires: Annotated[str, QueryParameter(max_length=20)],
                         sig: Annotated[str, QueryParameter(max_length=128)]) -> dict[str, str]:
        length = request.headers.get("content-length")
        if length is not None and not length.isdigit():
            raise InvalidInput("Content-Length 无效", "Invalid Content-Length", code="store.bad_length")
        await service.receive_upload(ctx, key.lstrip("/"), expires, sig, request.headers.get("content-type", ""),
                                     int(length) if length is not None else None, request.stream())
        return {"status": "ok"}
