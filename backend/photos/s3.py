"""The MinIO/S3 object store through the ``minio`` SDK, with its blocking calls moved to worker threads."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import urllib3
from minio import Minio
from minio.datatypes import PostPolicy
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError

from backend.errors import NotFound, Unavailable
from backend.photos.store import (
    Body,
    ObjectInfo,
    ObjectStore,
    UploadGrant,
    check_expiry,
    check_grant,
    checked_chunks,
    validate_key,
)

T = TypeVar("T")
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bodies above this are spooled to a temporary file, not held in memory
_MISSING = {"NoSuchKey", "NoSuchObject", "NoSuchVersion"}


def _translate(exc: Exception, key: str | None) -> Exception:
    if isinstance(exc, S3Error) and exc.code in _MISSING:
        return NotFound("文件不存在", "No such object", code="store.not_found", details={"key": key})
    if isinstance(exc, S3Error) and exc.code == "NoSuchBucket":
        return Unavailable(code="store.bucket_missing", details={"bucket": exc.bucket_name})
    if isinstance(exc, S3Error):
        return Unavailable(code="store.error", details={"s3_code": exc.code})
    if isinstance(exc, (ServerError, InvalidResponseError, MinioException)):
        return Unavailable(code="store.error", details={"reason": str(exc)[:200]})
    return Unavailable(code="store.unreachable", details={"reason": type(exc).__name__})


class S3Store(ObjectStore):
    """Objects in one bucket of MinIO or any S3-compatible service."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        region: str = "us-east-1",
        secure: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self._url = f"{'https' if secure else 'http'}://{endpoint}"  # where clients POST their uploads (path style)
        # Short connect timeout and few retries: a dead store should answer 503 in seconds, not minutes.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3.0, read=timeout_s),
            maxsize=16,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
        )
        # A known region lets the SDK presign URLs without asking the server for the bucket's location.
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http
        )

    async def _call(self, fn: Callable[..., T], *args: object, key: str | None = None, **kwargs: object) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(exc, key) from exc

    async def ensure_ready(self) -> None:
        if await self._call(self.client.bucket_exists, self.bucket):
            return
        try:
            await self._call(self.client.make_bucket, self.bucket, location=self.region)
        except Unavailable as exc:
            # Another worker may have created it in between.
            if exc.details.get("s3_code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def put(
        self,
        key: str,
        data: Body,
        size: int | None = None,
        content_type: str = "application/octet-stream",
        *,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        validate_key(key)
        # Spool the whole body first: size and limit checks fail before anything reaches the bucket, so a refused
        # upload never leaves a partial object behind.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            md5, total = hashlib.md5(usedforsecurity=False), 0
            async for chunk in checked_chunks(data, size, max_bytes):
                md5.update(chunk)
                total += len(chunk)
                await asyncio.to_thread(spool.write, chunk)
            spool.seek(0)
            result = await self._call(
                self.client.put_object, self.bucket, key, spool, total, content_type=content_type, key=key
            )
        return ObjectInfo(total, content_type, (result.etag or md5.hexdigest()).strip('"'))

    async def get(self, key: str) -> bytes:
        validate_key(key)

        def read() -> bytes:
            response = self.client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await self._call(read, key=key)

    async def stat(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        try:
            obj = await self._call(self.client.stat_object, self.bucket, key, key=key)
        except NotFound:
            return None
        etag = obj.etag.strip('"') if obj.etag else None
        return ObjectInfo(obj.size or 0, obj.content_type or "application/octet-stream", etag)

    async def delete(self, key: str) -> None:
        validate_key(key)
        try:
            await self._call(self.client.remove_object, self.bucket, key, key=key)
        except NotFound:
            pass

    async def list_keys(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        def page() -> list[tuple[str, datetime]]:
            # The SDK pages through ListObjectsV2 itself; directories ("common prefixes") are not objects.
            return [
                (obj.object_name, obj.last_modified or datetime.now(UTC))
                for obj in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
                if obj.object_name and not obj.is_dir
            ]

        for key, modified in await self._call(page, key=prefix):
            yield key, modified

    async def presign_upload(self, key: str, expires: timedelta, content_type: str, size: int) -> UploadGrant:
        validate_key(key)
        check_grant(content_type, size)
        # A POST policy, unlike a presigned PUT, lets the server itself refuse any other key, type or length.
        policy = PostPolicy(self.bucket, datetime.now(UTC) + timedelta(seconds=check_expiry(expires)))
        policy.add_equals_condition("key", key)
        policy.add_equals_condition("Content-Type", content_type)
        policy.add_content_length_range_condition(size, size)
        signed = await self._call(self.client.presigned_post_policy, policy, key=key)
        fields = {"key": key, "Content-Type": content_type, **signed}
        return UploadGrant("POST", f"{self._url}/{self.bucket}", {}, fields)
