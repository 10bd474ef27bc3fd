"""Through the API: what the public, citizens and staff see of a photo with a face, a plate and an advert."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from backend.redaction import service as redaction
from backend.redaction.detect import BrokenAnalyser, Finding, FixedAnalyser, Unavailable
from tests.cases.flows import Flow
from tests.helpers import get_case, login, point_in, redact_queued


def _filed_case(client: Any, jpeg: bytes) -> tuple[dict[str, Any], int, dict[str, str]]:
    supervisor = login(client, "supervisor01")
    lng, lat = point_in("ZR01")
    r = client.post("/api/v1/reports", files=[("photos", ("street.jpg", jpeg, "image/jpeg"))],
                    data={"category_code": "C0101", "lng": str(lng), "lat": str(lat)}, headers=supervisor)
    assert r.status_code == 201, r.text
    case = r.json()
    lead = login(client, "shiftlead01")
    assert client.post(f"/api/v1/cases/{case['id']}/actions/file", json={}, headers=lead).status_code == 200
    return case, case["photos"][0]["id"], lead


def _pixels(response: Any) -> np.ndarray:
    assert response.status_code == 200, response.text
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB")).astype(np.int16)


def _difference(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    return float(np.abs(a[y:y + h, x:x + w] - b[y:y + h, x:x + w]).mean())


def _public_thumbs(client: Any, tracking_no: str) -> list[str]:
    items = client.get("/api/v1/public/cases").json()["items"]
    return next(i["thumb_urls"] for i in items if i["tracking_no"] == tracking_no)


def test_public_image_has_face_and_plate_redacted_staff_see_it_whole_and_find_the_advert(client, street,
                                                                                         street_jpeg):
    case, pid, lead = _filed_case(client, street_jpeg)
    # Filed but not yet redacted: nothing public at all.
    refused = client.get(f"/api/v1/public/photos/{pid}/display")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "photo.not_public"
    assert _public_thumbs(client, case["tracking_no"]) == []
    assert get_case(client, lead, case["id"])["photos"][0]["redaction"]["status"] == "pending"

    assert redact_queued(client) == 1

    public = _pixels(client.get(f"/api/v1/public/photos/{pid}/display"))
    staff = _pixels(client.get(f"/api/v1/photos/{pid}/display", headers=lead))
    scene = np.asarray(street.image).astype(np.int16)
    for box in (street.faces[0], street.plates[0][1]):
        assert _difference(public, staff, box) > 20  # pixelated for the public
        assert _difference(staff, scene, box) < _difference(public, scene, box) / 2  # whole for staff
    x, y, w, h = street.phones[0][1]
    assert _difference(public, staff, (x, y, w, h)) < 8  # the advert is not hidden
    assert _public_thumbs(client, case["tracking_no"]) == [f"/api/v1/public/photos/{pid}/thumb"]
    assert client.get(f"/api/v1/public/photos/{pid}/thumb").status_code == 200

    shown = get_case(client, lead, case["id"])["photos"][0]["redaction"]
    assert shown["public"] and shown["faces"] == 1 and shown["plates"] == 1
    read = {(t["kind"], t["text"]) for t in shown["texts"]}
    assert ("plate", street.plates[0][0]) in read and ("phone", street.phones[0][0]) in read
    phone = next(t for t in shown["texts"] if t["kind"] == "phone")
    px, py, pw, ph = phone["box"]  # where to highlight it, as fractions of the display image
    assert x / 640 - 0.05 < px < (x + w) / 640 and y / 480 - 0.05 < py < (y + h) / 480 and pw > 0 and ph > 0

    # Staff find the case by the number however they type it; a citizen's search never reads photos.
    number = street.phones[0][0]
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    found = client.get("/api/v1/cases", params={"view": "all", "q": spaced}, headers=lead).json()["items"]
    assert [c["id"] for c in found] == [case["id"]]
    citizen = login(client, "citizen01")
    assert client.get("/api/v1/cases", params={"q": number}, headers=citizen).json()["items"] == []


def test_failed_redaction_keeps_the_image_private_and_tells_staff_why(client, street_jpeg):
    case, pid, lead = _filed_case(client, street_jpeg)
    assert redact_queued(client, BrokenAnalyser()) == 1  # failed once; retried later with backoff

    assert client.get(f"/api/v1/public/photos/{pid}/display").json()["error"]["code"] == "photo.not_public"
    assert client.get(f"/api/v1/public/photos/{pid}/thumb").status_code == 404
    assert _public_thumbs(client, case["tracking_no"]) == []
    shown = get_case(client, lead, case["id"])["photos"][0]["redaction"]
    assert shown["status"] == "failed" and not shown["public"]
    assert "失败" in shown["message_zh"] and "failed" in shown["message_en"]
    assert client.get(f"/api/v1/photos/{pid}/display", headers=lead).status_code == 200  # staff still see it


def test_without_models_the_photo_stays_private(client, street_jpeg):
    class Missing:
        name = "missing"

        def analyse(self, image: Any) -> Any:
            raise Unavailable("rapidocr_onnxruntime is not installed")

    case, pid, lead = _filed_case(client, street_jpeg)
    assert redact_queued(client, Missing()) == 1
    shown = get_case(client, lead, case["id"])["photos"][0]["redaction"]
    assert shown["status"] == "unavailable" and "未安装" in shown["message_zh"]
    assert client.get(f"/api/v1/public/photos/{pid}/display").status_code == 404
    assert redact_queued(client) == 0  # not retried by itself: installing the models is an operator's step, then
    ctx = client.app.state.ctx  # `suishoupai redact-requeue`
    assert client.blocking_portal.call(redaction.requeue, ctx.engine, [(pid, _display_key(client, pid))]) == 1
    assert redact_queued(client, FixedAnalyser()) == 1
    assert client.get(f"/api/v1/public/photos/{pid}/display").status_code == 200


def _display_key(client: Any, photo_id: int) -> str:
    from backend.photos.tables import Photo

    async def key() -> str:
        return str((await Photo.select(Photo.display_key).where(Photo.id == photo_id).first())["display_key"])

    return str(client.blocking_portal.call(key))


def test_a_citizen_sees_the_after_photo_only_redacted(client):
    f = Flow(client)
    case = f.case_in("checking")  # the unit reported back with an after-photo
    after = next(p["id"] for p in case["photos"] if p["kind"] == "after")
    mine = f.get(case["id"], "citizen01")
    assert next(p for p in mine["photos"] if p["id"] == after)["display_url"] is None  # not redacted yet
    refused = client.get(f"/api/v1/photos/{after}/display", headers=f.h("citizen01"))
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "photo.not_public"

    # A face on the garbage pile (a twin analyser: the real models are exercised above).
    assert redact_queued(client, FixedAnalyser([Finding("face", (600, 700, 300, 300))])) >= 1
    mine = f.get(case["id"], "citizen01")
    assert next(p for p in mine["photos"] if p["id"] == after)["display_url"] == f"/api/v1/photos/{after}/display"
    citizen = _pixels(client.get(f"/api/v1/photos/{after}/display", headers=f.h("citizen01")))
    staff = _pixels(client.get(f"/api/v1/photos/{after}/display", headers=f.h("staff_ld_water")))
    assert _difference(citizen, staff, (600, 700, 300, 300)) > 10 and _difference(citizen, staff, (0, 0, 400, 300)) < 4


def test_the_models_run_at_idle_priority_and_the_other_threads_keep_theirs():
    """A photo's analysis (about two seconds of CPU) yields the CPU to requests and other jobs: its threads, and the
    ONNX Runtime threads they start, run at the lowest priority; the threads that serve people are left as they were."""
    import os
    import threading

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = nice()
    assert redaction.model_threads().submit(nice).result() == redaction.IDLE_NICE
    spawned: list[int] = []

    def start_child() -> None:  # a thread started by the library from a model thread, as ONNX Runtime's pool is
        child = threading.Thread(target=lambda: spawned.append(nice()))
        child.start()
        child.join()

    redaction.model_threads().submit(start_child).result()
    assert spawned == [redaction.IDLE_NICE]
    assert nice() == before  # this thread (as the event loop's) was not touched
