"""Outgoing webhooks against a local receiver: signatures, retries after 500s and timeouts, the dead letter, no
duplicate processing (receivers de-duplicate on the delivery id), and replay from an event sequence number."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.interop.tables import WebhookDelivery, WebhookSubscriber
from backend.jobs import queue
from tests.helpers import login, point_in, wait_for
from tests.interop.conftest import Receiver, body_of


@pytest.fixture
def hooks(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient[Any]]:
    """The app with private receivers allowed, short timeouts and quick retries (the queue's backoff shortened)."""
    from backend.app import create_app

    monkeypatch.setattr(queue, "backoff", lambda attempts: timedelta(milliseconds=50))
    with TestClient(create_app(settings.with_(webhook_allow_private=True, webhook_timeout_seconds=0.5,
                                              webhook_poll_seconds=0.05))) as client:
        yield client


def subscribe(client: Any, url: str, **filters: Any) -> dict[str, Any]:
    r = client.post("/api/v1/admin/webhooks", json={"name": "district", "url": url, **filters},
                    headers=login(client, "admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def report(client: Any, grid: str = "ZR01", text: str = "人行道上的井盖没了，很危险") -> dict[str, Any]:
    lng, lat = point_in(grid)
    r = client.post("/api/v1/reports", json={"lng": lng, "lat": lat, "description": text},
                    headers=login(client, "citizen01"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def verified(secret: str, received: tuple[dict[str, str], bytes]) -> bool:
    headers, body = received
    stamp = headers["x-suishoupai-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-suishoupai-signature"]) and abs(time.time() - int(stamp)) < 300


def settled(client: Any, count: int) -> list[dict[str, Any]] | None:
    """The deliveries once there are ``count`` and none is pending (read on the app's own loop and engine)."""

    async def load() -> list[dict[str, Any]]:
        return list(await WebhookDelivery.select().order_by(WebhookDelivery.id))

    rows = client.blocking_portal.call(load)
    return rows if len(rows) == count and all(r["status"] != "pending" for r in rows) else None


def test_signed_filtered_and_delivered_once(hooks: Any, receiver: Receiver) -> None:
    everything = subscribe(hooks, receiver.url + "/all", kinds=["case.created"])
    manholes = subscribe(hooks, receiver.url + "/manholes", kinds=["case.triaged"], categories=["C01"])
    subscribe(hooks, receiver.url + "/vendors", categories=["E04"])
    subscribe(hooks, receiver.url + "/elsewhere", areas=["999999"])
    first, second = report(hooks, "ZR01"), report(hooks, "ZR02")
    # an Open311 request is an ordinary report: it raises the same events
    key = hooks.post("/api/v1/admin/api-clients", json={"name": "hotline"}, headers=login(hooks, "admin")).json()[
        "api_key"]
    lng, lat = point_in("ZR04")
    r = hooks.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "C0101", "lat": lat,
                                                      "long": lng, "description": "井盖缺失"})
    assert r.status_code == 200, r.text
    third = r.json()[0]["service_request_id"]

    async def feeds_at_once() -> None:  # as several app processes would, next to this app's own feed loop
        from backend.interop.webhooks import feed_once

        ctx = hooks.app.state.ctx
        await asyncio.gather(*(feed_once(ctx) for _ in range(4)))

    hooks.blocking_portal.call(feeds_at_once)

    got = receiver.wait_for(6)
    rows = wait_for(lambda: settled(hooks, 6))
    assert {r["status"] for r in rows} == {"delivered"}
    by_path: dict[str, list[dict[str, Any]]] = {}
    for headers, body in got:
        sub = everything if headers["x-suishoupai-event"] == "case.created" else manholes
        assert verified(sub["secret"], (headers, body))
        assert not verified(manholes["secret"] if sub is everything else everything["secret"], (headers, body))
        by_path.setdefault(headers["x-suishoupai-event"], []).append(body_of((headers, body)))
    assert sorted(b["service_request"]["service_request_id"] for b in by_path["case.created"]) == sorted(
        [first["tracking_no"], second["tracking_no"], third])
    assert all(b["service_request"]["service_code"].startswith("C01") for b in by_path["case.triaged"])
    assert "description" not in got[0][1].decode() and "citizen01" not in got[0][1].decode()  # public data only
    assert len({h["x-suishoupai-delivery"] for h, _ in got}) == 6
    time.sleep(0.3)  # a few more feed and worker rounds: nothing is sent twice
    assert len(receiver.received) == 6


def test_retries_after_500_and_timeout_then_dead_letter_and_replay(hooks: Any, receiver: Receiver) -> None:
    sub = subscribe(hooks, receiver.url + "/hook", kinds=["case.created"])
    receiver.script = [(500, 0.0), (200, 1.0)]  # a server error, then an answer too late (timeout 0.5 s), then 200
    report(hooks)
    got = receiver.wait_for(3)
    [row] = wait_for(lambda: settled(hooks, 1))
    assert row["status"] == "delivered" and row["attempts"] == 3
    assert len({h["x-suishoupai-delivery"] for h, _ in got}) == 1  # one delivery id across the retries
    assert all(verified(sub["secret"], g) for g in got)
    processed = {h["x-suishoupai-delivery"] for h, _ in got}  # what a de-duplicating receiver acts on

    receiver.script = [(500, 0.0)] * queue.MAX_ATTEMPTS
    report(hooks, "ZR03")
    got = receiver.wait_for(3 + queue.MAX_ATTEMPTS)
    rows = wait_for(lambda: settled(hooks, 2))
    assert [r["status"] for r in rows] == ["delivered", "dead"]
    admin = login(hooks, "admin")
    dead = hooks.get("/api/v1/admin/webhooks/dead", headers=admin).json()
    assert [(d["delivery_id"], d["attempts"], d["last_status"]) for d in dead] == [
        (rows[1]["delivery_id"], queue.MAX_ATTEMPTS, 500)]
    r = hooks.post(f"/api/v1/admin/webhooks/deliveries/{rows[1]['delivery_id']}/retry", headers=admin)
    assert r.status_code == 202
    got = receiver.wait_for(4 + queue.MAX_ATTEMPTS)
    assert got[-1][0]["x-suishoupai-delivery"] == rows[1]["delivery_id"]
    assert [r["status"] for r in wait_for(lambda: settled(hooks, 2))] == ["delivered", "delivered"]
    assert hooks.post(f"/api/v1/admin/webhooks/deliveries/{rows[1]['delivery_id']}/retry",
                      headers=admin).status_code == 409
    processed |= {h["x-suishoupai-delivery"] for h, _ in got}
    assert len(processed) == 2

    # replay from the first event's seq: both events again, with the same delivery ids
    first_seq = min(r["event_seq"] for r in rows)
    before = len(receiver.received)
    r = hooks.post(f"/api/v1/admin/webhooks/{sub['id']}/replay", json={"from_seq": first_seq}, headers=admin)
    assert r.status_code == 202 and r.json() == {"queued": 2}
    again = receiver.wait_for(before + 2)[before:]
    assert sorted(int(h["x-suishoupai-seq"]) for h, _ in again) == sorted(r["event_seq"] for r in rows)
    assert {h["x-suishoupai-delivery"] for h, _ in again} == processed  # nothing new to process
    r = hooks.post(f"/api/v1/admin/webhooks/{sub['id']}/replay", json={"from_seq": max(r["event_seq"] for r in rows)},
                   headers=admin)
    assert r.json() == {"queued": 1}
    audit = hooks.get("/api/v1/admin/audit", params={"action": "interop.webhook_replayed"}, headers=admin).json()
    assert len(audit) == 2 and audit[0]["target"] == f"webhook:{sub['id']}"


def test_private_addresses_refused_unless_allowed(client: Any) -> None:
    admin = login(client, "admin")
    for url in ("http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://localhost/hook"):
        r = client.post("/api/v1/admin/webhooks", json={"name": "x", "url": url}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == "webhook.private_address", (url, r.text)
        assert r.json()["error"]["message_zh"] and r.json()["error"]["message_en"]
    r = client.post("/api/v1/admin/webhooks", json={"name": "x", "url": "ftp://example.com/"}, headers=admin)
    assert r.json()["error"]["code"] == "webhook.bad_url"
    r = client.post("/api/v1/admin/webhooks", json={"name": "x", "url": "http://user:pw@example.com/"}, headers=admin)
    assert r.json()["error"]["code"] == "webhook.bad_url"
    r = client.post("/api/v1/admin/webhooks", json={"name": "x", "url": "http://127.0.0.1:9/",
                                                    "states": ["nonsense"]}, headers=admin)
    assert r.status_code == 422

    async def count() -> int:
        return int(await WebhookSubscriber.count())

    assert client.blocking_portal.call(count) == 0
    assert client.get("/api/v1/admin/webhooks", headers=login(client, "operator01")).status_code == 403


def test_delivered_rows_are_pruned_after_the_log_retention(hooks: Any, receiver: Receiver) -> None:
    from datetime import UTC, datetime

    from backend.interop.webhooks import prune

    subscribe(hooks, receiver.url + "/hook", kinds=["case.created"])
    receiver.script = [(500, 0.0)] * queue.MAX_ATTEMPTS
    report(hooks)
    wait_for(lambda: settled(hooks, 1))
    report(hooks, "ZR02")
    [dead, delivered] = wait_for(lambda: settled(hooks, 2))
    assert (dead["status"], delivered["status"]) == ("dead", "delivered")
    later = datetime.now(UTC) + timedelta(days=31)
    assert hooks.blocking_portal.call(prune, 30, later) == 1
    assert [r["status"] for r in settled(hooks, 1) or []] == ["dead"]  # kept for an admin
