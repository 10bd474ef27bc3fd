"""The embedded object store: files under a directory, written atomically, with HMAC-signed upload URLs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import quote

from backend.errors import InvalidInput, NotFound, Unavailable
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
_META = ".meta"  # keys cannot start with a dot, so this tree never collides with an object


class LocalStore(ObjectStore):
    """Objects as files under ``root``; the sidecar ``root/.meta/<key>.json`` keeps content type and etag."""

    def __init__(self, root: Path | str, secret: str, *, url_prefix: str = "/api/v1/objects") -> None:
        if not secret:
            raise ValueError("LocalStore needs a non-empty secret to sign URLs")
        self.root = Path(root)
        self._secret = secret.encode()
        self._prefix = url_prefix.rstrip("/")

    def _paths(self, key: str) -> tuple[Path, Path]:
        key = validate_key(key)
        return self.root / key, self.root / _META / f"{key}.json"

    async def ensure_ready(self) -> None:
        await _fs((self.root / _META).mkdir, parents=True, exist_ok=True)

    async def put(
        self,
        key: str,
        data: Body,
        size: int | None = None,
        content_type: str = "application/octet-stream",
        *,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        path, meta_path = self._paths(key)
        await _fs(path.parent.mkdir, parents=True, exist_ok=True)
        tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
        md5, total = hashlib.md5(usedforsecurity=False), 0
        try:
            with await _fs(open, tmp, "wb") as fh:
                # Errors from the body itself (client gone, too large) pass through untouched; only the disk's are 503.
                async for chunk in checked_chunks(data, size, max_bytes):
                    md5.update(chunk)
                    total += len(chunk)
                    await _fs(fh.write, chunk)
                await _fs(_flush, fh)
            info = ObjectInfo(total, content_type, md5.hexdigest())
            await _fs(_write_meta, meta_path, info)
            # The rename is the commit point: readers see the old object or the new one, never a partial file.
            await _fs(os.replace, tmp, path)
        finally:
            # On a read-only or vanished disk the clean-up fails too: it must not hide the 503 raised above.
            with contextlib.suppress(OSError):
                tmp.unlink()
        return info

    async def get(self, key: str) -> bytes:
        path, _ = self._paths(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound("文件不存在", "No such object", code="store.not_found", details={"key": key}) from None
        except OSError as exc:
            raise Unavailable(code="store.unavailable", details={"reason": str(exc)}) from exc

    async def stat(self, key: str) -> ObjectInfo | None:
        path, meta_path = self._paths(key)
        return await asyncio.to_thread(_stat, path, meta_path)

    async def delete(self, key: str) -> None:
        path, meta_path = self._paths(key)
        for target in (path, meta_path):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                await asyncio.to_thread(target.unlink)

    async def list_keys(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        for key, mtime in await _fs(_walk, self.root, prefix):
            yield key, datetime.fromtimestamp(mtime, UTC)

    async def presign_upload(self, key: str, expires: timedelta, content_type: str, size: int) -> UploadGrant:
        validate_key(key)
        check_grant(content_type, size)
        deadline = int(time.time()) + check_expiry(expires)
        sig = self._signature("PUT", key, deadline, content_type, size)
        url = f"{self._prefix}/{quote(key, safe='/')}?expires={deadline}&sig={sig}"
        return UploadGrant("PUT", url, {"Content-Type": content_type}, {})

    def _signature(self, method: str, key: str, expires: int, content_type: str, size: int) -> str:
        # Every part is free of line breaks (keys and media types are checked), so the message cannot be forged by
        # moving text from one part into the next.
        message = f"{method.upper()}\n{key}\n{expires}\n{content_type}\n{size}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def verify_upload(
        self, key: str, expires: int | str, sig: str, content_type: str, size: int, *, now: float | None = None
    ) -> bool:
        try:
            validate_key(key)
            check_grant(content_type, size)
            deadline = int(expires)
        except (InvalidInput, ValueError, TypeError):
            return False
        if deadline < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._signature("PUT", key, deadline, content_type, size), str(sig))

async def _fs(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run a blocking filesystem call in a thread; a disk error means the store is unavailable."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except OSError as exc:
        raise Unavailable(code="store.unavailable", details={"reason": str(exc)}) from exc


def _flush(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def _write_meta(meta_path: Path, info: ObjectInfo) -> None:
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = meta_path.parent / f".tmp-{uuid.uuid4().hex}"
    tmp.write_text(json.dumps({"size": info.size, "content_type": info.content_type, "etag": info.etag}))
    os.replace(tmp, meta_path)


def _stat(path: Path, meta_path: Path) -> ObjectInfo | None:
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("size") == size:
            return ObjectInfo(size, str(meta["content_type"]), meta.get("etag"))
    except (OSError, ValueError, KeyError):
        pass
    # The sidecar is missing or belongs to an earlier version: the file itself is the truth.
    return ObjectInfo(size, "application/octet-stream", None)


def _walk(root: Path, prefix: str) -> list[tuple[str, float]]:
    """(key, mtime) of every object under ``root`` whose key starts with ``prefix``.

    The ``.meta`` tree and in-flight ``.tmp-*`` files are not objects: names starting with a dot are never keys.
    """
    # Start at the deepest directory the prefix names, so listing "originals/" never walks "display/".
    start = root.joinpath(*prefix.split("/")[:-1]) if "/" in prefix else root
    found: list[tuple[str, float]] = []
    for folder, dirs, files in os.walk(start):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(folder).relative_to(root).as_posix()
        for name in files:
            if name.startswith("."):
                continue
            key = name if rel == "." else f"{rel}/{name}"
            if not key.startswith(prefix):
                continue
            try:
                found.append((key, os.stat(os.path.join(folder, name)).st_mtime))
            except FileNotFoundError:
                continue  # removed while we looked
    return found
