"""The photo API end to end: uploads, multipart reports, presigned uploads, privacy, and bad input leaving nothing."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image

from backend.app import create_app
from backend.photos.exif import read_exif
from backend.redaction.detect import FixedAnalyser
from tests.helpers import login, point_in, redact_queued
from tests.photos.craft import gps_entries, jpeg, tiff, with_exif

MEDIA = Path(__file__).resolve().parents[2] / "media" / "samples"
DEMO = MEDIA / "demo" / "loudi_manhole_cover.jpg"  # EXIF GPS inside the demo city
HEIC = MEDIA / "heic" / "IMG_5195.HEIC"  # iPhone, GPS ~39.05N 94.3W


def _count(client: Any, h: dict[str, str]) -> int:
    return int(client.get("/api/v1/cases?view=mine", headers=h).json()["total"])


def _objects(settings: Any) -> list[Path]:
    root = settings.resolved_store_path
    return [p for p in root.rglob("*") if p.is_file() and ".meta" not in p.parts] if root.exists() else []


def _upload(client: Any, h: dict[str, str], data: bytes, name: str = "p.jpg", **headers: str) -> Any:
    return client.post("/api/v1/photos", files={"file": (name, data, "image/jpeg")}, data={"kind": "report"},
                       headers={**h, **headers})


def test_heic_upload_reads_gps_and_comes_out_upright_without_exif(client):
    h = login(client, "citizen01")
    r = _upload(client, h, HEIC.read_bytes(), "IMG_5195.HEIC")
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["status"] == "ready" and photo["content_type"] == "image/heic"
    assert photo["exif_lat"] == pytest.approx(39.05, abs=0.05)
    assert photo["exif_lng"] == pytest.approx(-94.3, abs=0.1)  # W reference → negative
    display = client.get(photo["display_url"], headers=h)
    im = Image.open(io.BytesIO(display.content))
    assert max(im.size) <= 1600
    assert (im.width > im.height) == (photo["width"] > photo["height"])  # derivative has the upright shape
    assert not im.getexif() and "exif" not in im.info


def test_a_retried_upload_with_the_same_key_returns_the_same_photo(client, settings):
    h = login(client, "citizen01")
    photo = jpeg()
    first = _upload(client, h, photo, **{"Idempotency-Key": "upload-once-0001"})
    second = _upload(client, h, photo, **{"Idempotency-Key": "upload-once-0001"})
    assert first.status_code == 201, first.text
    assert second.json()["id"] == first.json()["id"]
    assert len([p for p in _objects(settings) if "originals" in p.parts]) == 1
    # The same key with another photo is a client's mistake, not a retry.
    other = _upload(client, h, jpeg(color=(200, 40, 40)), **{"Idempotency-Key": "upload-once-0001"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency.key_reused"
    # Keys are the caller's own: another person's same key is a new upload.
    theirs = _upload(client, login(client, "citizen02"), photo, **{"Idempotency-Key": "upload-once-0001"})
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


def test_multipart_report_takes_its_location_from_the_photo_and_retries_once(client, settings):
    h = login(client, "citizen01")
    key = {"Idempotency-Key": "mp-report-0001"}
    files = [("photos", ("a.jpg", DEMO.read_bytes(), "image/jpeg"))]
    first = client.post("/api/v1/reports", files=files, data={"description": "井盖没了"}, headers={**h, **key})
    second = client.post("/api/v1/reports", files=files, data={"description": "井盖没了"}, headers={**h, **key})
    assert (first.status_code, second.status_code) == (201, 200)
    case = first.json()
    assert second.json()["id"] == case["id"]
    exif = read_exif(DEMO.read_bytes())
    assert case["location_source"] == "exif"
    assert case["lat"] == pytest.approx(exif.lat) and case["lng"] == pytest.approx(exif.lng)
    assert len(case["photos"]) == 1
    # the retry stored no second original
    assert len([p for p in _objects(settings) if "originals" in p.parts]) == 1
    assert _count(client, h) == 1


def test_browser_position_wins_and_a_far_photo_is_flagged(client):
    h = login(client, "citizen01")
    lng, lat = point_in("ZR05")
    r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", DEMO.read_bytes(), "image/jpeg"))],
                    data={"lng": str(lng), "lat": str(lat), "accuracy_m": "8"}, headers=h)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["location_source"] == "browser" and case["lng"] == pytest.approx(lng)
    assert "location_mismatch" in case["flags"]  # the photo was taken more than 500 m away
    assert "old_photo" in case["flags"]  # and long before the upload


def test_public_derivatives_only_for_filed_cases_and_never_originals(client):
    h = login(client, "supervisor01")
    r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", DEMO.read_bytes(), "image/jpeg"))],
                    data={"category_code": "C0101"}, headers=h)
    case = r.json()
    pid = case["photos"][0]["id"]
    assert client.get(f"/api/v1/public/photos/{pid}/thumb").status_code == 404  # not filed yet
    lead = login(client, "shiftlead01")
    assert client.post(f"/api/v1/cases/{case['id']}/actions/file", json={}, headers=lead).status_code == 200
    assert client.get(f"/api/v1/public/photos/{pid}/display").status_code == 404  # not redacted yet
    assert redact_queued(client, FixedAnalyser()) == 1
    public = client.get(f"/api/v1/public/photos/{pid}/display")
    assert public.status_code == 200
    im = Image.open(io.BytesIO(public.content))
    assert not im.getexif() and "exif" not in im.info and "icc_profile" not in im.info
    assert client.get(f"/api/v1/public/photos/{pid}/original").status_code == 404
    # a citizen who is not the uploader cannot fetch the private original
    other = login(client, "citizen02")
    assert client.get(f"/api/v1/photos/{pid}/original", headers=other, follow_redirects=False).status_code == 403
    # staff get it streamed by the app, never a signed link
    staff = client.get(f"/api/v1/photos/{pid}/original", headers=lead, follow_redirects=False)
    assert staff.status_code == 200 and staff.content == DEMO.read_bytes()
    assert staff.headers["content-type"] == "image/jpeg" and staff.headers["x-content-type-options"] == "nosniff"


def _png_bomb() -> bytes:
    """A valid PNG header claiming 30000×30000 pixels (the pixel data is never needed to refuse it)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + \
        chunk(b"IEND", b"")


BAD_UPLOADS = [
    (b"", "photo.empty"),
    (b"hello, this is text", "photo.not_an_image"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.not_an_image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "photo.not_an_image"),
    (jpeg()[:400], "photo.corrupt"),
    (_png_bomb(), "photo.too_many_pixels"),
    (jpeg() + b"PK\x03\x04" + b"\x00" * 60 + b"PK\x05\x06" + b"\x00" * 18, "photo.polyglot"),
    (with_exif(jpeg(), tiff([], gps_entries(91.0, "N", 112.0, "E"))), None),  # bad EXIF: accepted, GPS dropped
]


@pytest.mark.parametrize(("data", "code"), BAD_UPLOADS)
def test_bad_uploads_get_a_clear_4xx_and_leave_nothing(client, settings, data, code):
    h = login(client, "citizen01")
    before = _objects(settings)
    r = client.post("/api/v1/reports", files=[("photos", ("../../etc/passwd\x07.jpg", data, "image/jpeg"))],
                    data={"lng": "112.0", "lat": "27.73"}, headers=h)
    if code is None:
        assert r.status_code == 201, r.text
        photo = r.json()["photos"][0]
        assert client.get(f"/api/v1/photos/{photo['id']}", headers=h).json()["exif_lat"] is None
        return
    assert 400 <= r.status_code < 500, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"]
    assert _objects(settings) == before
    assert _count(client, h) == 0


def test_a_role_that_may_not_report_is_refused_before_its_photos_are_stored(client, settings):
    h = login(client, "staff_ld_water")
    r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))],
                    data={"lng": "112.0", "lat": "27.73"}, headers=h)
    assert r.status_code == 403, r.text
    err = r.json()["error"]
    assert err["code"] == "auth.role_forbidden" and "citizen" in err["details"]["roles"]
    assert "unit_staff" not in err["details"]["roles"]
    assert _objects(settings) == []


def test_multipart_text_fields_are_checked_before_the_photos(client, settings):
    h = login(client, "citizen01")
    r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))],
                    data={"lng": "east", "lat": "27.73", "description": "x" * 2001}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid"
    assert _objects(settings) == [] and _count(client, h) == 0


def test_too_many_files_and_no_location(client, settings):
    h = login(client, "citizen01")
    five = [("photos", (f"{i}.jpg", jpeg(), "image/jpeg")) for i in range(5)]
    r = client.post("/api/v1/reports", files=five, data={"lng": "112.0", "lat": "27.73"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "photo.too_many"
    r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))], headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "location.required"
    assert _objects(settings) == [] and _count(client, h) == 0


def test_an_oversized_body_is_refused_before_it_is_read(settings):
    with TestClient(create_app(settings.with_(max_upload_mb=1, max_photos=1))) as client:
        h = login(client, "citizen01")
        big = b"\xff\xd8" + b"\x00" * (3 * 1024 * 1024)
        r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", big, "image/jpeg"))],
                        data={"lng": "112.0", "lat": "27.73"}, headers=h)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload.too_large"
        assert _objects(settings) == []


def test_presigned_upload_that_never_arrived_or_is_not_an_image(client, settings):
    h = login(client, "citizen01")
    data = DEMO.read_bytes()
    r = client.post("/api/v1/photos/presign", json={"content_type": "image/jpeg", "size": len(data)}, headers=h)
    assert r.status_code == 201
    grant = r.json()
    missing = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h)
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "photo.upload_missing"
    fake = b"<html>" + b"x" * (len(data) - 6)
    assert client.put(grant["upload_url"], content=fake, headers={"Content-Type": "image/jpeg"}).status_code == 200
    wrong = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h)
    assert wrong.status_code == 415
    assert _objects(settings) == []  # the impostor was removed, and its grant spent
    assert client.get(f"/api/v1/photos/{grant['photo_id']}", headers=h).status_code == 404
    # the real bytes through a fresh grant are accepted and processed
    r = client.post("/api/v1/photos/presign", json={"content_type": "image/jpeg", "size": len(data)}, headers=h)
    grant = r.json()
    assert client.put(grant["upload_url"], content=data, headers={"Content-Type": "image/jpeg"}).status_code == 200
    ok = client.post(f"/api/v1/photos/{grant['photo_id']}/confirm", headers=h)
    assert ok.status_code == 200 and ok.json()["status"] == "ready"
    # a forged signature is refused
    forged = grant["upload_url"].replace("sig=", "sig=0")
    assert client.put(forged, content=data, headers={"Content-Type": "image/jpeg"}).status_code == 403


def test_photo_processing_finishes_after_a_crash(client, settings):
    """A photo stored and recorded but never processed (the process died) is finished by the worker's job."""
    import asyncio
    from datetime import UTC, datetime

    from backend.cli import _with_db
    from backend.jobs.tables import Job
    from backend.photos.tables import Photo

    h = login(client, "citizen01")
    r = _upload(client, h, DEMO.read_bytes())
    pid = r.json()["id"]

    async def simulate_crash(engine: Any) -> None:
        await Photo.update({Photo.status: "pending", Photo.display_key: "", Photo.thumb_key: ""}).where(
            Photo.id == pid)
        # A crash before processing finished leaves the recovery job that ingest removes after processing inline.
        assert await Job.count().where(Job.kind == "photo") == 0
        now = datetime.now(UTC)
        await Job(kind="photo", payload={"photo_id": pid}, run_after=now, created_at=now).save()

    asyncio.run(_with_db(settings, simulate_crash))
    from backend.db import bind_tables
    from tests.helpers import wait_for

    bind_tables(client.app.state.ctx.engine)  # _with_db pointed the tables at its own engine

    wait_for(lambda: client.get(f"/api/v1/photos/{pid}", headers=h).json()["status"] == "ready")
    assert client.get(f"/api/v1/photos/{pid}/thumb", headers=h).status_code == 200
