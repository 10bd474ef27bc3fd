"""The object stores behave the same: local files and S3 (SeaweedFS on loopback) run the same tests."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.errors import InvalidInput, NotFound, PayloadTooLarge, Unavailable
from backend.photos.local import LocalStore
from backend.photos.s3 import S3Store
from backend.photos.store import ObjectStore, open_store
from backend.settings import Settings
from tests.s3server import free_port

from .conftest import make_s3_store, post_form

BAD_KEYS = ["../escape.jpg", "a/../../b.jpg", "/etc/passwd", ".hidden", "a//b.jpg", "", "a\x00b", "a\\b.jpg", "a/./b"]


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


class AsyncReader:
    """Shaped like Litestar's UploadFile: an async ``read``."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


class ExplodingReader:
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body must not be read when its declared size is already too large")


async def test_ensure_ready_is_idempotent(store: ObjectStore) -> None:
    await store.ensure_ready()
    await store.ensure_ready()


async def test_put_get_stat_delete_roundtrip(store: ObjectStore) -> None:
    body = b"\xff\xd8\xff" + bytes(range(256)) * 40
    info = await store.put("photos/2025/a.jpg", body, len(body), "image/jpeg")
    assert info.size == len(body)
    assert await store.get("photos/2025/a.jpg") == body
    stat = await store.stat("photos/2025/a.jpg")
    assert stat is not None
    assert (stat.size, stat.content_type) == (len(body), "image/jpeg")
    assert stat.etag == hashlib.md5(body).hexdigest() == info.etag
    await store.delete("photos/2025/a.jpg")
    assert await store.stat("photos/2025/a.jpg") is None


@pytest.mark.parametrize("kind", ["async_iterator", "sync_file", "async_file"])
async def test_put_accepts_streams(store: ObjectStore, kind: str) -> None:
    parts = [b"a" * 700_000, b"b" * 700_000, b"c" * 5]
    whole = b"".join(parts)
    source = {
        "async_iterator": lambda: _chunks(*parts),
        "sync_file": lambda: io.BytesIO(whole),
        "async_file": lambda: AsyncReader(whole),
    }[kind]()
    info = await store.put("streamed.bin", source, None, "application/octet-stream")
    assert info.size == len(whole)
    assert await store.get("streamed.bin") == whole


async def test_put_replaces_an_existing_object(store: ObjectStore) -> None:
    await store.put("k.txt", b"old", 3, "text/plain")
    await store.put("k.txt", b"newer", 5, "image/png")
    assert await store.get("k.txt") == b"newer"
    stat = await store.stat("k.txt")
    assert stat is not None and (stat.size, stat.content_type) == (5, "image/png")


async def test_size_mismatch_is_refused_and_leaves_nothing(store: ObjectStore) -> None:
    with pytest.raises(InvalidInput) as short:
        await store.put("short.jpg", _chunks(b"12345"), 10, "image/jpeg")
    assert short.value.code == "store.size_mismatch"
    with pytest.raises(InvalidInput):
        await store.put("long.jpg", b"1234567890", 4, "image/jpeg")
    assert await store.stat("short.jpg") is None
    assert await store.stat("long.jpg") is None


async def test_over_the_limit_is_refused_early_and_leaves_nothing(store: ObjectStore) -> None:
    with pytest.raises(PayloadTooLarge) as exc:
        await store.put("big.jpg", ExplodingReader(), 11 * 1024 * 1024, "image/jpeg", max_bytes=10 * 1024 * 1024)
    assert exc.value.status == 413 and exc.value.code == "store.too_large"

    read: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            read.append(1)
            yield b"x" * 65536

    with pytest.raises(PayloadTooLarge):
        await store.put("big.jpg", endless(), None, "image/jpeg", max_bytes=1_000_000)
    assert len(read) <= 17  # stopped right after the limit, not at the end of the stream
    assert await store.stat("big.jpg") is None


async def test_failed_overwrite_keeps_the_old_object(store: ObjectStore) -> None:
    await store.put("keep.jpg", b"original", 8, "image/jpeg")

    async def broken() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put("keep.jpg", broken(), None, "image/jpeg")
    assert await store.get("keep.jpg") == b"original"


async def test_missing_objects(store: ObjectStore) -> None:
    with pytest.raises(NotFound) as exc:
        await store.get("nope/missing.jpg")
    assert exc.value.status == 404 and exc.value.code == "store.not_found"
    assert await store.stat("nope/missing.jpg") is None
    await store.delete("nope/missing.jpg")  # no error


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_refused_everywhere(store: ObjectStore, key: str) -> None:
    for call in (
        store.put(key, b"x", 1, "text/plain"),
        store.get(key),
        store.stat(key),
        store.delete(key),
        store.presign_upload(key, timedelta(minutes=5), "image/jpeg", 10),
    ):
        with pytest.raises(InvalidInput) as exc:
            await call
        assert exc.value.code == "store.bad_key"


async def test_presigned_expiry_is_bounded(store: ObjectStore) -> None:
    with pytest.raises(InvalidInput):
        await store.presign_upload("a.jpg", timedelta(days=8), "image/jpeg", 10)
    with pytest.raises(InvalidInput):
        await store.presign_upload("a.jpg", timedelta(seconds=0), "image/jpeg", 10)


@pytest.mark.parametrize(("content_type", "size"), [
    ("image/jpeg\nX-Evil: 1", 10), ("image/jpeg; charset=utf-8", 10), ("", 10), ("IMAGE/JPEG", 10),
    ("image/jpeg", 0), ("image/jpeg", -5), ("image/jpeg", True),
])  # fmt: skip
async def test_an_upload_grant_needs_one_plain_type_and_a_size(
    store: ObjectStore, content_type: str, size: int
) -> None:
    with pytest.raises(InvalidInput) as exc:
        await store.presign_upload("incoming/a", timedelta(minutes=5), content_type, size)
    assert exc.value.code == "store.bad_grant"


# ---- local store specifics ----------------------------------------------------------------------------------------


async def test_local_writes_inside_its_root_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "objects", "s")
    await store.ensure_ready()
    await store.put("a/b/c.jpg", b"abc", 3, "image/jpeg")

    async def broken() -> AsyncIterator[bytes]:
        yield b"x"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await store.put("a/b/d.jpg", broken(), None, "image/jpeg")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["objects/.meta/a/b/c.jpg.json", "objects/a/b/c.jpg"]


async def test_local_upload_grant_is_bound_to_key_type_size_deadline_and_secret(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "secret-1")
    grant = await store.presign_upload("incoming/abc", timedelta(minutes=5), "image/jpeg", 1234)
    parts = urlsplit(grant.url)
    assert (grant.method, grant.headers, grant.fields) == ("PUT", {"Content-Type": "image/jpeg"}, {})
    assert parts.path == "/api/v1/objects/incoming/abc" and not parts.netloc
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    expires, sig = query["expires"], query["sig"]
    assert 290 <= int(expires) - time.time() <= 300
    assert store.verify_upload("incoming/abc", expires, sig, "image/jpeg", 1234)
    assert not store.verify_upload("incoming/abc", expires, sig, "text/html", 1234)
    assert not store.verify_upload("incoming/abc", expires, sig, "image/png", 1234)
    assert not store.verify_upload("incoming/abc", expires, sig, "image/jpeg", 1235)
    assert not store.verify_upload("incoming/other", expires, sig, "image/jpeg", 1234)
    assert not store.verify_upload("originals/abc.jpg", expires, sig, "image/jpeg", 1234)
    assert not store.verify_upload("incoming/abc", str(int(expires) + 60), sig, "image/jpeg", 1234)
    assert not store.verify_upload("incoming/abc", expires, sig, "image/jpeg", 1234, now=int(expires) + 1)
    assert not store.verify_upload("../x", expires, sig, "image/jpeg", 1234)
    assert not store.verify_upload("incoming/abc", "soon", sig, "image/jpeg", 1234)
    assert not LocalStore(tmp_path, "secret-2").verify_upload("incoming/abc", expires, sig, "image/jpeg", 1234)


def test_only_the_local_store_accepts_uploads_through_the_app() -> None:
    s3 = S3Store("127.0.0.1:1", "k", "s", "bucket")
    assert not s3.verify_upload("incoming/abc", str(int(time.time()) + 60), "0" * 64, "image/jpeg", 10)


# ---- S3 specifics -------------------------------------------------------------------------------------------------


@pytest.mark.s3
async def test_s3_post_policy_is_enforced_by_the_server(s3_endpoint: str) -> None:
    store = make_s3_store(s3_endpoint)
    await store.ensure_ready()
    body = b"\xff\xd8\xff" + b"photo" * 1000
    grant = await store.presign_upload("incoming/p1", timedelta(minutes=5), "image/jpeg", len(body))
    assert grant.method == "POST" and grant.fields["key"] == "incoming/p1"
    assert grant.fields["Content-Type"] == "image/jpeg" and "policy" in grant.fields

    html = b"<html><script>alert(1)</script></html>".ljust(len(body))
    assert post_form(grant.url, grant.fields, html, **{"Content-Type": "text/html"})[0] == 403  # another type
    assert post_form(grant.url, grant.fields, body[:-1])[0] == 400  # one byte short
    assert post_form(grant.url, grant.fields, body + b"x")[0] == 400  # one byte long
    assert post_form(grant.url, grant.fields, body, key="originals/p1.jpg")[0] == 403  # another key
    assert post_form(grant.url, grant.fields, body, **{"x-amz-signature": "0" * 64})[0] == 403  # forged
    assert await store.stat("incoming/p1") is None and await store.stat("originals/p1.jpg") is None

    assert post_form(grant.url, grant.fields, body)[0] == 204
    stat = await store.stat("incoming/p1")
    assert stat is not None and stat.size == len(body)
    assert await store.get("incoming/p1") == body


@pytest.mark.s3
async def test_s3_post_policy_expires(s3_endpoint: str) -> None:
    store = make_s3_store(s3_endpoint)
    await store.ensure_ready()
    grant = await store.presign_upload("incoming/p2", timedelta(seconds=1), "image/jpeg", 3)
    await asyncio.sleep(2.1)
    status, answer = post_form(grant.url, grant.fields, b"abc")
    assert status == 403 and b"expired" in answer
    assert await store.stat("incoming/p2") is None


@pytest.mark.s3
async def test_s3_unreachable_is_unavailable_quickly() -> None:
    store = S3Store(f"127.0.0.1:{free_port()}", "k", "s", "bucket")
    started = time.monotonic()
    with pytest.raises(Unavailable) as exc:
        await store.stat("a.jpg")
    assert exc.value.status == 503 and exc.value.code == "store.unreachable"
    with pytest.raises(Unavailable):
        await store.put("a.jpg", b"x", 1, "image/jpeg")
    assert time.monotonic() - started < 10


@pytest.mark.s3
async def test_s3_missing_bucket_is_unavailable(s3_endpoint: str) -> None:
    store = make_s3_store(s3_endpoint, bucket="never-created-bucket")
    with pytest.raises(Unavailable) as exc:
        await store.put("a.jpg", b"x", 1, "image/jpeg")
    assert exc.value.code == "store.bucket_missing"


def test_open_store_follows_settings(tmp_path: Path) -> None:
    local = open_store(Settings(data_dir=tmp_path), "secret")
    assert isinstance(local, LocalStore) and local.root == tmp_path / "objects"
    s3 = open_store(
        Settings(data_dir=tmp_path, store="s3", s3_access_key="a", s3_secret_key="b", s3_bucket="photos"), "secret"
    )
    assert isinstance(s3, S3Store) and s3.bucket == "photos"


async def test_list_keys_walks_every_object_under_a_prefix_with_its_time(store: ObjectStore) -> None:
    from datetime import UTC, datetime

    before = datetime.now(UTC) - timedelta(minutes=5)  # SeaweedFS keeps whole seconds: allow for clock rounding
    for key in ("originals/2026/11/a.jpg", "originals/2026/12/b.jpg", "display/2026/11/a.jpg", "thumbx.jpg"):
        await store.put(key, b"x", 1, "image/jpeg")
    listed = {key: modified async for key, modified in store.list_keys("originals/")}
    assert sorted(listed) == ["originals/2026/11/a.jpg", "originals/2026/12/b.jpg"]
    assert all(modified.tzinfo is not None and before <= modified <= datetime.now(UTC) + timedelta(minutes=5)
               for modified in listed.values())
    everything = sorted([key async for key, _ in store.list_keys("")])
    assert everything == ["display/2026/11/a.jpg", "originals/2026/11/a.jpg", "originals/2026/12/b.jpg", "thumbx.jpg"]
    # A prefix that is not a whole folder name still matches by key, and a prefix with nothing under it is empty.
    assert [key async for key, _ in store.list_keys("originals/2026/1")] != []
    assert [key async for key, _ in store.list_keys("thumb")] == ["thumbx.jpg"]
    assert [key async for key, _ in store.list_keys("incoming/")] == []
    await store.delete("originals/2026/11/a.jpg")
    assert [key async for key, _ in store.list_keys("originals/2026/11/")] == []


async def test_local_list_keys_skips_metadata_and_temp_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "objects", "test-secret")
    await store.ensure_ready()
    await store.put("originals/a.jpg", b"x", 1, "image/jpeg")
    (tmp_path / "objects" / "originals" / ".tmp-deadbeef").write_bytes(b"half")  # an upload in flight
    assert (tmp_path / "objects" / ".meta" / "originals" / "a.jpg.json").exists()
    assert [key async for key, _ in store.list_keys("")] == ["originals/a.jpg"]
