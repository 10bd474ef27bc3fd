"""A phone number read from a report's photo is offered to the classifier as evidence of an illegal advert."""

from __future__ import annotations

from typing import Any

from backend.redaction.detect import Finding, FixedAnalyser
from tests.helpers import get_case, login, point_in, redact_queued, wait_for

ADVERT = "E0201"  # 非法小广告


def _after(client: Any, headers: dict[str, str], case_id: int, action: str) -> dict[str, Any] | None:
    case = get_case(client, headers, case_id)
    return case if any(t["action"] == action for t in case["timeline"]) else None


def test_a_phone_number_in_the_photo_lifts_the_advert_suggestion(client, street_jpeg):
    citizen = login(client, "citizen01")
    lng, lat = point_in("ZR01")
    r = client.post("/api/v1/reports", files=[("photos", ("wall.jpg", street_jpeg, "image/jpeg"))],
                    data={"lng": str(lng), "lat": str(lat), "description": "这里有问题"}, headers=citizen)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    operator = login(client, "operator01")
    triaged = wait_for(lambda: _after(client, operator, case_id, "triage"))
    assert not triaged["category_code"]  # too vague to classify: an operator chooses
    before = next((s["confidence"] for s in triaged["suggestions"] if s["code"] == ADVERT), 0.0)

    # The text reader (a twin here: tests/redaction/test_detect.py runs the real one) finds a mobile number.
    phone = Finding("phone", (40, 40, 200, 30), "13812345678", 0.99)
    assert redact_queued(client, FixedAnalyser([phone])) == 1
    hinted = wait_for(lambda: _after(client, operator, case_id, "photo_hint"))
    top = hinted["suggestions"][0]
    assert top["code"] == ADVERT and top["confidence"] > before
    assert any(reason["kind"] == "image" for reason in top["reasons"])
    assert not hinted["category_code"]  # a suggestion only: the operator still decides
