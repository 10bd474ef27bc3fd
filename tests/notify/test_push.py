"""Web Push end to end: a subscribed device's local push endpoint receives RFC 8291 payloads that decrypt with the
device's keys; retries after 500s and timeouts; 410 forgets the subscription; no delivery twice; quiet hours; bad input.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.jobs.tables import Job
from backend.notify import service
from backend.notify.runtime import CHANNELS
from backend.notify.tables import NotifyCursor, NotifyDelivery, PushSubscription
from tests.cases.flows import Flow
from tests.helpers import login, wait_for
from tests.interop.conftest import Receiver
from tests.notify.conftest import Device, b64


def subscribe(client: Any, f: Flow, username: str, device: Device, url: str, lang: str = "zh") -> None:
    r = client.post("/api/v1/push/subscriptions", json=device.subscription(url, lang), headers=f.h(username))
    assert r.status_code == 201, r.text


def rows(client: Any, table: Any) -> list[dict[str, Any]]:
    async def load() -> list[dict[str, Any]]:
        return list(await table.select().order_by(table.id))

    return client.blocking_portal.call(load)


def settled(client: Any, count: int) -> list[dict[str, Any]] | None:
    got = rows(client, NotifyDelivery)
    return got if len(got) == count and all(r["status"] != "pending" for r in got) else None


def opened_by(devices: dict[str, Device], body: bytes) -> tuple[str, dict[str, Any]]:
    """Which device can decrypt ``body`` (only the one it was encrypted for), and what it reads."""
    for name, device in devices.items():
        try:
            return name, device.read(body)
        except Exception:  # noqa: BLE001, S112 - the wrong key: authentication of the ciphertext fails
            continue
    raise AssertionError("no device can decrypt this push")


def test_reporter_supervisor_and_unit_get_encrypted_pushes_in_plain_words(pushing: Any, receiver: Receiver) -> None:
    f = Flow(pushing)
    citizen, supervisor, staff = Device.new(), Device.new(), Device.new()
    subscribe(pushing, f, "citizen01", citizen, receiver.url + "/citizen")
    subscribe(pushing, f, "supervisor01", supervisor, receiver.url + "/supervisor", lang="en")
    subscribe(pushing, f, "staff_ld_water", staff, receiver.url + "/staff")
    case = f.report()
    cid, tracking = case["id"], case["tracking_no"]
    f.act("operator01", cid, "request_verify")  # citizen: 已受理; supervisor: a new 核实 task
    f.act("supervisor01", cid, "verify", result="confirmed", photo="verify")  # still 已受理: no news for the citizen
    f.act("operator01", cid, "reclassify", category_code="C0101")
    f.act("shiftlead01", cid, "file")
    f.act("dispatcher01", cid, "dispatch", unit="water")  # citizen: 处理中; the unit: a new case

    got = receiver.wait_for(4)
    sent = wait_for(lambda: settled(pushing, 4))
    assert {r["status"] for r in sent} == {"sent"}
    public_key = pushing.get("/api/v1/push/key").json()["public_key"]
    messages: dict[str, list[dict[str, Any]]] = {}
    for headers, body in got:
        assert headers["content-encoding"] == "aes128gcm"
        assert re.fullmatch(r"vapid t=[\w.-]+,k=" + re.escape(public_key), headers["authorization"])
        who, message = opened_by({"citizen": citizen, "supervisor": supervisor, "staff": staff}, body)
        messages.setdefault(who, []).append(message)
    mine = messages["citizen"]
    assert [m["title"] for m in mine] == [f"您的上报 {tracking}：已受理", f"您的上报 {tracking}：处理中"]
    assert mine[1]["body"].startswith("预计 ") and mine[1]["body"].endswith(" 前办结")
    assert all(m["url"] == f"/#/case/{cid}" and m["tag"] == f"case-{cid}" for m in mine)
    text = " ".join(m["title"] + m["body"] for m in mine)
    assert not re.search(r"[CE]\d{4}|灯|green|核实|派遣", text)  # no codes, lights or internal steps
    [task] = messages["supervisor"]
    assert task["title"] == "New task: verify on site" and task["url"] == f"/#/task/{cid}"
    [new_case] = messages["staff"]
    assert new_case["title"] == "本单位新案件" and new_case["url"] == f"/#/unit/case/{cid}"


def test_retried_after_500_and_timeout_and_sent_once(pushing: Any, receiver: Receiver) -> None:
    f = Flow(pushing)
    device = Device.new()
    subscribe(pushing, f, "citizen01", device, receiver.url + "/p")
    receiver.script = [(500, 0.0), (200, 1.0)]  # a server error, an answer after the 0.5 s timeout, then 201
    cid = f.report()["id"]
    f.act("operator01", cid, "accept_report")
    got = receiver.wait_for(3)
    [row] = wait_for(lambda: settled(pushing, 1))
    assert row["status"] == "sent" and row["attempts"] == 3
    assert {device.read(body)["title"].rsplit("：", 1)[1] for _, body in got} == {"已受理"}

    # The loop read the same events again (its cursor put back, as a crash before the commit would): nothing new.
    async def rerun() -> None:
        ctx = pushing.app.state.ctx
        await NotifyCursor.update({NotifyCursor.seq: 0}).where(NotifyCursor.name == service.FEED)
        await asyncio.gather(*(service.feed_once(ctx, ctx.extras[CHANNELS]) for _ in range(3)))

    pushing.blocking_portal.call(rerun)
    assert len(rows(pushing, NotifyDelivery)) == 1
    f.settle()
    assert len(receiver.received) == 3


def test_gone_subscription_is_removed(pushing: Any, receiver: Receiver) -> None:
    f = Flow(pushing)
    subscribe(pushing, f, "citizen01", Device.new(), receiver.url + "/gone")
    receiver.script = [(410, 0.0)]
    cid = f.report()["id"]
    f.act("operator01", cid, "accept_report")
    receiver.wait_for(1)
    [row] = wait_for(lambda: settled(pushing, 1))
    assert row["status"] == "gone"
    assert rows(pushing, PushSubscription) == []
    f.act("operator01", cid, "void", reason="重复")  # news, but no device left to tell
    f.settle()
    assert len(receiver.received) == 1 and len(rows(pushing, NotifyDelivery)) == 1


def test_quiet_hours_hold_the_push_until_they_end(pushing: Any, receiver: Receiver) -> None:
    f = Flow(pushing)
    subscribe(pushing, f, "citizen01", Device.new(), receiver.url + "/q")
    now = datetime.now(UTC).astimezone(service.words.CITY_TZ)
    minute = now.hour * 60 + now.minute
    start, end = (minute - 60) % 1440, (minute + 90) % 1440
    r = pushing.put("/api/v1/push/preferences", json={"quiet_start": start, "quiet_end": end}, headers=f.h("citizen01"))
    assert r.status_code == 200 and r.json()["quiet_end"] == end
    cid = f.report()["id"]
    f.act("operator01", cid, "accept_report")
    [row] = wait_for(lambda: rows(pushing, NotifyDelivery) or None)
    jobs = [j for j in rows(pushing, Job) if j["kind"] == "push"]
    assert len(jobs) == 1 and jobs[0]["status"] == "pending"
    wait = jobs[0]["run_after"] - datetime.now(UTC)
    assert timedelta(minutes=85) < wait <= timedelta(minutes=90)
    assert row["status"] == "pending" and receiver.received == []


def test_quiet_hours_across_midnight() -> None:
    prefs = service.Preferences(quiet_start=22 * 60, quiet_end=7 * 60)
    at = datetime(2026, 12, 4, 23, 30, tzinfo=service.words.CITY_TZ)
    assert service.quiet_delay(prefs, at) == timedelta(hours=7, minutes=30)
    assert service.quiet_delay(prefs, at.replace(hour=6, minute=59)) == timedelta(minutes=1)
    assert service.quiet_delay(prefs, at.replace(hour=7, minute=0)) == timedelta(0)
    assert service.quiet_delay(service.Preferences(), at) == timedelta(0)


def test_bad_subscriptions_are_refused_in_both_languages(client: Any) -> None:
    headers = login(client, "citizen01")
    good = Device.new().subscription("https://push.example.com/send/abc")
    cases = [
        ({**good, "endpoint": "http://push.example.com/x"}, "push.bad_endpoint"),
        ({**good, "endpoint": "javascript:alert(1)"}, "push.bad_endpoint"),
        ({**good, "endpoint": "https://user:pw@push.example.com/x"}, "push.bad_endpoint"),
        ({**good, "endpoint": "https://127.0.0.1:8443/internal"}, "push.bad_endpoint"),
        ({**good, "endpoint": "https://[::1]/internal"}, "push.bad_endpoint"),
        ({**good, "keys": {**good["keys"], "p256dh": b64(b"\x04" + b"1" * 32)}}, "push.bad_keys"),
        ({**good, "keys": {**good["keys"], "p256dh": "not base64!"}}, "push.bad_keys"),
        ({**good, "keys": {**good["keys"], "auth": b64(b"x" * 15)}}, "push.bad_keys"),
    ]
    for body, code in cases:
        r = client.post("/api/v1/push/subscriptions", json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        err = r.json()["error"]
        assert err["code"] == code and re.search(r"[\u4e00-\u9fff]", err["message_zh"]) and err["message_en"], err
    assert client.post("/api/v1/push/subscriptions", json=good).status_code == 401
    assert client.post("/api/v1/push/subscriptions", json=good, headers=headers).status_code == 201
    r = client.request("DELETE", "/api/v1/push/subscriptions", json={"endpoint": good["endpoint"]},
                       headers=login(client, "citizen02"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "push.not_found"  # not theirs to remove
    r = client.request("DELETE", "/api/v1/push/subscriptions", json={"endpoint": good["endpoint"]}, headers=headers)
    assert r.status_code == 204
    r = client.put("/api/v1/push/preferences", json={"quiet_start": 600, "quiet_end": 600}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "push.bad_quiet_hours"
