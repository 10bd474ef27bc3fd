"""HTTP endpoints for photos: multipart upload, presigned direct upload and confirm, and reading derivatives."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect
from msgspec import Meta, Struct

from backend.accounts.auth import provide_actor
from backend.accounts.services import Actor
from backend.cases.controllers import IdemKey
from backend.context import AppContext
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.photos import service
from backend.photos.pipeline import QUALITY_TEXT
from backend.photos.tables import Photo

VARIANTS = ("thumb", "display", "original")


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
    photo_id: int
    upload_url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime




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
        ctx: AppContext,
        actor: Actor,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        idempotency_key: IdemKey = None,
    ) -> Response[PhotoOut]:
        if sum(isinstance(v, UploadFile) for v in data.values()) > 1:
            raise InvalidInput("一次只能上传一张照片", "Upload one photo per request", code="photo.too_many")
        raw, filename = await read_upload(ctx, data.get("file"))
        kind = str(data.get("kind") or "report")
        photo = await service.ingest(ctx, actor, service.check_upload(ctx, raw), filename, kind, idempotency_key)
        return Response(photo_out(photo), status_code=201)

    @post("/presign", operation_id="presignPhoto", status_code=201,
          summary="直传签名 A presigned URL to PUT a photo straight to storage")
    async def presign(self, ctx: AppContext, actor: Actor, data: PresignIn, idempotency_key: IdemKey = None) -> PresignOut:
        photo, url, expires = await service.presign(ctx, actor, data.content_type, data.size, data.filename, data.kind,
                                                    idempotency_key)
        return PresignOut(photo_id=photo.id, upload_url=url, method="PUT",
                          headers={"Content-Type": photo.content_type}, expires_at=expires)

    @post("/{photo_id:int}/confirm", operation_id="confirmPhoto", status_code=200,
          summary="确认直传 Confirm a direct upload: checked, then processed")
    async def confirm(self, ctx: AppContext, actor: Actor, photo_id: int) -> PhotoOut:
        return photo_out(await service.confirm(ctx, actor, photo_id))

    @get("/{photo_id:int}", operation_id="getPhoto", summary="照片信息 Photo metadata")
    async def detail(self, actor: Actor, photo_id: int) -> PhotoOut:
        return photo_out(await service.readable_photo(actor, photo_id, "thumb"))

    @get("/{photo_id:int}/{variant:str}", operation_id="getPhotoImage", summary="照片图像 thumb | display | original")
    async def image(self, ctx: AppContext, actor: Actor, photo_id: int, variant: str) -> Response[bytes]:
        return await _serve(ctx, actor, photo_id, variant)


async def _serve(ctx: AppContext, actor: Actor | None, photo_id: int, variant: str) -> Any:
    if variant not in VARIANTS:
        raise NotFound("没有这种图像", "No such image variant", code="photo.bad_variant")
    photo = await service.readable_photo(actor, photo_id, variant)
    if variant == "original":
        url = await ctx.store.presigned_get_url(photo.original_key, timedelta(minutes=5))
        return Redirect(url, status_code=307, headers={"Cache-Control": "no-store"})
    key = photo.display_key if variant == "display" else photo.thumb_key
    if photo.status != "ready" or not key:
        raise NotFound("照片仍在处理中", "The photo is still being processed", code="photo.not_ready")
    cache = "public, max-age=86400" if actor is None else "private, max-age=3600"
    return Response(await ctx.store.get(key), media_type="image/jpeg", headers={"Cache-Control": cache})


class PublicPhotoController(Controller):
    path = "/api/v1/public/photos"
    tags = ["public"]

    @get("/{photo_id:int}/{variant:str}", operation_id="getPublicPhoto",
         summary="公开照片 A public derivative (no EXIF) of a filed case's photo")
    async def image(self, ctx: AppContext, photo_id: int, variant: str) -> Response[bytes]:
        if variant not in ("thumb", "display"):
            raise NotFound("没有这种图像", "No such image variant", code="photo.bad_variant")
        return await _serve(ctx, None, photo_id, variant)


class ObjectController(Controller):
    """The local store's presigned URLs land here; S3 URLs go to the object store itself."""

    path = "/api/v1/objects"
    tags = ["photos"]
    include_in_schema = False

    @put("/{key:path}", operation_id="putObject", status_code=200, request_max_body_size=None)
    async def put_object(self, ctx: AppContext, request: Request[Any, Any, Any], key: str,
                         expires: Annotated[str, Parameter(max_length=20)],
                         sig: Annotated[str, Parameter(max_length=128)]) -> dict[str, str]:
        key = key.lstrip("/")
        store = ctx.store
        if not hasattr(store, "verify_signature") or not store.verify_signature(key, expires, sig, "PUT"):
            raise Forbidden("上传链接无效或已过期", "The upload link is invalid or expired", code="store.bad_signature")
        photo = await Photo.objects().get(Photo.original_key == key)
        if photo is None or photo.status != "awaiting_upload":
            raise Forbidden("上传链接无效", "The upload link is not valid", code="store.bad_signature")
        content_type = request.headers.get("content-type", "")
        await store.put(key, request.stream(), None, content_type or "application/octet-stream",
                        max_bytes=ctx.settings.max_upload_bytes)
        return {"status": "ok"}

    @get("/{key:path}", operation_id="getObject")
    async def get_object(self, ctx: AppContext, key: str, expires: Annotated[str, Parameter(max_length=20)],
                         sig: Annotated[str, Parameter(max_length=128)]) -> Response[bytes]:
        key = key.lstrip("/")
        store = ctx.store
        if not hasattr(store, "verify_signature") or not store.verify_signature(key, expires, sig, "GET"):
            raise Forbidden("下载链接无效或已过期", "The link is invalid or expired", code="store.bad_signature")
        info = await store.stat(key)
        if info is None:
            raise NotFound("对象不存在", "No such object", code="store.not_found")
        return Response(await store.get(key), media_type=info.content_type, headers={"Cache-Control": "no-store"})

