"""The object-store interface that photos are kept behind, shared helpers, and ``open_store`` to pick one."""

from __future__ import annotations

import abc
import inspect
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from backend.errors import InvalidInput, PayloadTooLarge

if TYPE_CHECKING:
    from backend.settings import Settings

CHUNK = 1024 * 1024
MAX_KEY_LENGTH = 512
MAX_EXPIRY = timedelta(days=7)  # S3's own limit for presigned URLs; the local store keeps the same rule
# Segments may not start with a dot: no "..", no hidden files, and room for the local store's own ".meta" tree.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,30}/[a-z0-9][a-z0-9.+-]{0,60}")


class Readable(Protocol):
    """A file-like source: a sync ``read`` (BytesIO, SpooledTemporaryFile) or an async one (Litestar's UploadFile)."""

    def read(self, size: int = -1, /) -> Any: ...


Body: TypeAlias = bytes | bytearray | memoryview | AsyncIterable[bytes] | Readable


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """How a client sends one object straight to storage, bound to one key, type, size and deadline.

    ``PUT`` (the local store): send the bytes to ``url`` with ``headers``. ``POST`` (S3): a multipart/form-data body
    to ``url`` with every entry of ``fields`` and then the file as the last part, named ``file``.
    """

    method: str
    url: str
    headers: dict[str, str]
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a store knows about a stored object."""

    size: int
    content_type: str
    etag: str | None = None


def validate_key(key: str) -> str:
    """Return the key if it is a safe relative object name (``photos/2025/abc.jpg``), else raise ``InvalidInput``."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidInput("对象名称无效", "Invalid object key", code="store.bad_key", details={"key": str(key)[:100]})
    return key


def check_expiry(expires: timedelta) -> int:
    """Seconds of validity for a presigned URL: between one second and seven days."""
    seconds = int(expires.total_seconds())
    if not 1 <= seconds <= MAX_EXPIRY.total_seconds():
        raise InvalidInput(
            "链接有效期须在 1 秒到 7 天之间", "Link expiry must be between 1 second and 7 days", code="store.bad_expiry"
        )
    return seconds


def check_grant(content_type: str, size: int) -> None:
    """A presigned upload names one plain media type (no parameters, no line breaks) and a positive size."""
    if not _MEDIA_TYPE.fullmatch(content_type) or isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidInput("上传类型或大小无效", "Invalid upload type or size", code="store.bad_grant",
                           details={"content_type": str(content_type)[:60], "size": str(size)[:20]})


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"文件超过 {limit // (1024 * 1024)} MB 上限",
        f"The file exceeds the {limit // (1024 * 1024)} MB limit",
        code="store.too_large",
        details={"max_bytes": limit},
    )


def _size_mismatch(expected: int, got: int) -> InvalidInput:
    return InvalidInput(
        "上传内容与声明的大小不符", "The upload does not match its declared size",
        code="store.size_mismatch", details={"expected": expected, "received": got},
    )  # fmt: skip


async def _raw_chunks(data: Body) -> AsyncIterator[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])
    elif isinstance(data, AsyncIterable):
        async for chunk in data:
            yield bytes(chunk)
    else:
        while True:
            chunk = data.read(CHUNK)
            if inspect.isawaitable(chunk):
                chunk = await chunk
            if not chunk:
                return
            yield bytes(chunk)


async def checked_chunks(data: Body, size: int | None, max_bytes: int | None) -> AsyncIterator[bytes]:
    """Yield the body in chunks and stop as soon as it exceeds ``max_bytes`` or the declared ``size``."""
    if size is not None and max_bytes is not None and size > max_bytes:
        raise _too_large(max_bytes)  # refuse on the declared size, before reading anything
    total = 0
    async for chunk in _raw_chunks(data):
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise _too_large(max_bytes)
        if size is not None and total > size:
            raise _size_mismatch(size, total)
        if chunk:
            yield chunk
    if size is not None and total != size:
        raise _size_mismatch(size, total)


class ObjectStore(abc.ABC):
    """Private object storage for originals and derivatives; every method may raise ``Unavailable``.

    ``put`` is all-or-nothing: a failed or refused upload leaves no object and no partial object behind.
    """

    @abc.abstractmethod
    async def ensure_ready(self) -> None:
        """Create the bucket or directory if missing; call once at start-up."""

    @abc.abstractmethod
    async def put(
        self,
        key: str,
        data: Body,
        size: int | None = None,
        content_type: str = "application/octet-stream",
        *,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        """Store ``data`` under ``key``, replacing any object there. ``size`` is checked when given."""

    @abc.abstractmethod
    async def get(self, key: str) -> bytes:
        """The object's bytes, or ``NotFound``."""

    @abc.abstractmethod
    async def stat(self, key: str) -> ObjectInfo | None:
        """The object's size, type and etag, or None when it does not exist."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""

    @abc.abstractmethod
    async def presign_upload(self, key: str, expires: timedelta, content_type: str, size: int) -> UploadGrant:
        """A grant to upload exactly ``size`` bytes of ``content_type`` to ``key`` until ``expires`` from now.

        The storage itself refuses another key, type or size, and anything after the deadline.
        """

    def list_keys(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        """Every object whose key starts with ``prefix`` ("" for all), with its last-modified time (aware, UTC).

        An async generator: ``async for key, modified in store.list_keys("originals/")``. The order is unspecified.
        (Not abstract, so a test double wrapping another store still builds; the sweeper needs a real one.)
        """
        raise NotImplementedError(f"{type(self).__name__} cannot list its objects")

    def verify_upload(
        self, key: str, expires: int | str, sig: str, content_type: str, size: int, *, now: float | None = None
    ) -> bool:
        """True when an upload reaching this app carries a valid grant for exactly this key, type and size.

        Only the local store's grants point at the app; every other store's uploads go to the store itself, so an
        upload arriving here with one is never valid.
        """
        return False

def open_store(settings: Settings, secret: str) -> ObjectStore:
    """The store the settings ask for; ``secret`` signs the local store's URLs. Call ``ensure_ready()`` next."""
    if settings.store == "s3":
        from backend.photos.s3 import S3Store

        return S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            settings.s3_bucket,
            region=settings.s3_region,
            secure=settings.s3_secure,
        )
    from backend.photos.local import LocalStore

    return LocalStore(settings.resolved_store_path, secret)
