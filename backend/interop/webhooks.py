"""Outgoing webhooks: the event log fanned out to subscribers, each delivery signed and sent by the job queue.

The feed (a ``Loop``) reads the event log after its cursor, writes one delivery row and one job per matching
subscriber, and moves the cursor, all in one transaction: a crash repeats nothing and loses nothing. A delivery's id
is derived from (subscriber, event seq), so even a feed run twice cannot create a second delivery of one event.

Each request carries ``X-Suishoupai-Delivery`` (de-duplicate on it), ``X-Suishoupai-Event``, ``-Seq``,
``-Timestamp`` (Unix seconds) and ``X-Suishoupai-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``.
A non-2xx answer or a timeout is retried by the queue with backoff; after the queue's last attempt the delivery is
``dead``, listed for an admin, who can send it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from backend.cases.lifecycle import State
from backend.cases.tables import Case
from backend.context import AppContext
from backend.db import is_postgres, write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.interop.open311 import public_request
from backend.interop.tables import InteropCursor, WebhookDelivery, WebhookSubscriber
from backend.jobs import queue
from backend.live.log import last_seq, scan_log
from backend.loops import Loop
from backend.org.tables import Unit

log = logging.getLogger("suishoupai.webhooks")
FEED = "webhooks"
JOB_KIND = "webhook"
BATCH = 200
NAMESPACE = uuid.UUID("8f6c7c1e-2f1a-4d8e-9a51-3c0f0e5b7d21")


class DeliveryFailed(RuntimeError):
    """The receiver did not take it (non-2xx or no answer): the queue retries the job."""


# ---------------------------------------------------------------- subscribers


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast \
        or ip.is_unspecified


async def check_url(url: str, allow_private: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("回调地址应为不含账号密码的 http(s) 网址", "The webhook URL must be an http(s) URL without credentials",
                           code="webhook.bad_url")
    if allow_private:
        return url
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                             type=socket.SOCK_STREAM)
    except OSError:
        raise InvalidInput(f"无法解析回调主机：{parts.hostname}", f"Cannot resolve the webhook host: {parts.hostname}",
                           code="webhook.unresolvable") from None
    private = sorted({i[4][0] for i in infos if _is_private(str(i[4][0]))})
    if private:
        raise InvalidInput("回调地址指向内网或本机地址，不允许", "The webhook URL resolves to a private or loopback address",
                           code="webhook.private_address", details={"addresses": private})
    return url


def _codes(values: list[str], pattern: str, field: str) -> list[str]:
    bad = [v for v in values if not re.fullmatch(pattern, v)]
    if bad:
        raise InvalidInput(f"{field} 中有无效值：{', '.join(bad)}", f"Invalid value(s) in {field}: {', '.join(bad)}",
                           code="webhook.bad_filter", details={"field": field, "values": bad})
    return values


async def create_subscriber(ctx: AppContext, data: dict[str, Any], created_by: int) -> tuple[dict[str, Any], str]:
    url = await check_url(data["url"], ctx.settings.webhook_allow_private)
    states = data.get("states", [])
    unknown = sorted(set(states) - {s.value for s in State})
    if unknown:
        raise InvalidInput(f"未知状态：{', '.join(unknown)}", f"Unknown state(s): {', '.join(unknown)}",
                           code="webhook.bad_filter", details={"field": "states", "values": unknown})
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = WebhookSubscriber(
        name=data["name"], url=url, secret=secret, kinds=_codes(data.get("kinds", []), r"case\.[a-z_]{1,24}", "kinds"),
        states=states, categories=_codes(data.get("categories", []), r"[CE]\d{2}(\d{2})?", "categories"),
        areas=_codes(data.get("areas", []), r"\d{6}(\d{3}){0,3}", "areas"), active=True,
        created_at=datetime.now(UTC), created_by=created_by)
    await row.save()
    return await subscriber_row(row.id), secret


SUBSCRIBER_COLUMNS = (WebhookSubscriber.id, WebhookSubscriber.name, WebhookSubscriber.url, WebhookSubscriber.kinds,
                      WebhookSubscriber.states, WebhookSubscriber.categories, WebhookSubscriber.areas,
                      WebhookSubscriber.active, WebhookSubscriber.created_at)


async def subscriber_row(subscriber_id: int) -> dict[str, Any]:
    row = await WebhookSubscriber.select(*SUBSCRIBER_COLUMNS).where(
        WebhookSubscriber.id == subscriber_id).output(load_json=True).first()
    if row is None:
        raise NotFound(f"订阅不存在：{subscriber_id}", f"No such webhook: {subscriber_id}", code="webhook.not_found")
    return row


async def list_subscribers() -> list[dict[str, Any]]:
    return list(await WebhookSubscriber.select(*SUBSCRIBER_COLUMNS).output(load_json=True).order_by(
        WebhookSubscriber.id))


async def set_active(subscriber_id: int, active: bool) -> dict[str, Any]:
    await subscriber_row(subscriber_id)
    await WebhookSubscriber.update({WebhookSubscriber.active: active}).where(WebhookSubscriber.id == subscriber_id)
    return await subscriber_row(subscriber_id)


def matches(sub: dict[str, Any], event: dict[str, Any], case: dict[str, Any] | None) -> bool:
    if sub["kinds"] and event["kind"] not in sub["kinds"]:
        return False
    if sub["states"] and event.get("state") not in sub["states"]:
        return False
    if sub["categories"] or sub["areas"]:
        if case is None:
            return False
        code = case["category_code"] or ""
        if sub["categories"] and not any(code.startswith(c) for c in sub["categories"]):
            return False
        grid = case["unit_grid"] or ""
        if sub["areas"] and not any(grid.startswith(a) for a in sub["areas"]):
            return False
    return True


# ---------------------------------------------------------------- the feed


def delivery_id(subscriber_id: int, seq: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{subscriber_id}:{seq}"))


async def _bodies(events: list[dict[str, Any]]) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """The cases the events are about (public fields only), and their public Open311 form."""
    ids = sorted({e["case_id"] for e in events if e.get("case_id")})
    cases = {r["id"]: r for r in await Case.select().where(Case.id.is_in(ids))} if ids else {}
    unit_ids = sorted({r["unit"] for r in cases.values() if r["unit"]})
    units = {u["id"]: u["name"] for u in await Unit.select(Unit.id, Unit.name).where(Unit.id.is_in(unit_ids))} \
        if unit_ids else {}
    return cases, units


def _body(ctx: AppContext, event: dict[str, Any], case: dict[str, Any] | None, units: dict[int, str]) -> str:
    request = public_request(ctx, ctx.settings.public_url.rstrip("/"), case, "", None, units.get(case["unit"] or 0)) \
        if case else None
    return json.dumps({
        "seq": event["seq"], "kind": event["kind"], "at": event["at"], "action": event.get("action"),
        "state": event.get("state"), "text_zh": event.get("text_zh"), "text_en": event.get("text_en"),
        "service_request": request,
    }, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


async def _fan_out(ctx: AppContext, events: list[dict[str, Any]], subs: list[dict[str, Any]]) -> int:
    cases, units = await _bodies(events)
    made = 0
    now = datetime.now(UTC)
    for event in events:
        case = cases.get(event.get("case_id") or 0)
        body = None
        for sub in subs:
            if not matches(sub, event, case):
                continue
            body = body or _body(ctx, event, case, units)
            did = delivery_id(sub["id"], event["seq"])
            if await WebhookDelivery.exists().where(WebhookDelivery.delivery_id == did):
                continue
            await WebhookDelivery.insert(WebhookDelivery(
                delivery_id=did, subscriber=sub["id"], event_seq=event["seq"], kind=event["kind"], body=body,
                status="pending", created_at=now))
            await queue.enqueue(JOB_KIND, {"delivery_id": did})
            made += 1
    return made


async def feed_once(ctx: AppContext) -> bool:
    """One batch of the log after the cursor; True when there may be more."""
    cursor = await InteropCursor.select(InteropCursor.seq).where(InteropCursor.name == FEED).first()
    if cursor is not None and await last_seq() <= int(cursor["seq"]):
        return False  # nothing new: no write lock taken (SQLite has one writer, the reports need it)
    async with write_transaction(ctx.engine, inline=True):
        query = InteropCursor.select(InteropCursor.seq).where(InteropCursor.name == FEED)
        if is_postgres(ctx.engine):
            query = query.lock_rows()  # another process's feed waits, then reads the moved cursor
        rows = await query
        if not rows:
            # Start at the log's end: subscribers get what happens from now on (older events: replay).
            await InteropCursor.insert(InteropCursor(name=FEED, seq=await last_seq()))
            return False
        after = int(rows[0]["seq"])
        events = await scan_log(after, BATCH)
        if not events:
            return False
        subs = list(await WebhookSubscriber.select().where(WebhookSubscriber.active == True).output(
            load_json=True))
        made = await _fan_out(ctx, events, subs) if subs else 0
        await InteropCursor.update({InteropCursor.seq: events[-1]["seq"]}).where(InteropCursor.name == FEED)
    if made:
        ctx.extras.get("wake", lambda: None)()
    return len(events) == BATCH


async def replay(ctx: AppContext, subscriber_id: int, from_seq: int, limit: int = 1000) -> int:
    """Events with seq ≥ ``from_seq`` sent to one subscriber again (same delivery ids); returns how many."""
    sub = await WebhookSubscriber.select().where(WebhookSubscriber.id == subscriber_id).output(load_json=True).first()
    if sub is None:
        raise NotFound(f"订阅不存在：{subscriber_id}", f"No such webhook: {subscriber_id}", code="webhook.not_found")
    events = await scan_log(from_seq - 1, limit)
    cases, units = await _bodies(events)
    count = 0
    async with write_transaction(ctx.engine):
        for event in events:
            case = cases.get(event.get("case_id") or 0)
            if not matches(sub, event, case):
                continue
            did = delivery_id(sub["id"], event["seq"])
            done = await WebhookDelivery.update({WebhookDelivery.status: "pending", WebhookDelivery.attempts: 0}).where(
                WebhookDelivery.delivery_id == did).returning(WebhookDelivery.id)
            if not done:
                await WebhookDelivery.insert(WebhookDelivery(
                    delivery_id=did, subscriber=sub["id"], event_seq=event["seq"], kind=event["kind"],
                    body=_body(ctx, event, case, units), status="pending", created_at=datetime.now(UTC)))
            await queue.enqueue(JOB_KIND, {"delivery_id": did})
            count += 1
    ctx.extras.get("wake", lambda: None)()
    return count


async def dead(limit: int = 100) -> list[dict[str, Any]]:
    return list(await WebhookDelivery.select(
        WebhookDelivery.id, WebhookDelivery.delivery_id, WebhookDelivery.subscriber, WebhookDelivery.event_seq,
        WebhookDelivery.kind, WebhookDelivery.attempts, WebhookDelivery.last_status, WebhookDelivery.last_error,
        WebhookDelivery.created_at,
    ).where(WebhookDelivery.status == "dead").order_by(WebhookDelivery.id, ascending=False).limit(limit))


async def resend(ctx: AppContext, did: str) -> None:
    """A dead delivery back in the queue, with the same delivery id."""
    rows = await WebhookDelivery.update({WebhookDelivery.status: "pending", WebhookDelivery.attempts: 0}).where(
        (WebhookDelivery.delivery_id == did) & (WebhookDelivery.status == "dead")).returning(WebhookDelivery.id)
    if not rows:
        raise Conflict("只有失败的投递可以重发", "Only a dead delivery can be sent again", code="webhook.not_dead",
                       details={"delivery_id": did})
    await queue.enqueue(JOB_KIND, {"delivery_id": did})
    ctx.extras.get("wake", lambda: None)()


# ---------------------------------------------------------------- sending


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def deliver(ctx: AppContext, payload: dict[str, Any]) -> None:
    """The job: send one delivery; raising makes the queue retry it later."""
    did = str(payload["delivery_id"])
    row = await WebhookDelivery.select(
        WebhookDelivery.id, WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.body,
        WebhookDelivery.kind, WebhookDelivery.event_seq, WebhookDelivery.subscriber.url,
        WebhookDelivery.subscriber.secret, WebhookDelivery.subscriber.active,
    ).where(WebhookDelivery.delivery_id == did).first()
    if row is None or row["status"] != "pending" or not row["subscriber.active"]:
        return  # sent already (a job run twice), or the subscriber was switched off
    attempts = row["attempts"] + 1
    body = row["body"].encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "suishoupai-webhooks/1",
               "X-Suishoupai-Delivery": did, "X-Suishoupai-Event": row["kind"],
               "X-Suishoupai-Seq": str(row["event_seq"]), "X-Suishoupai-Timestamp": timestamp,
               "X-Suishoupai-Signature": signature(row["subscriber.secret"], timestamp, body)}
    status: int | None = None
    error = ""
    try:
        await check_url(row["subscriber.url"], ctx.settings.webhook_allow_private)  # DNS may have changed since
        async with httpx.AsyncClient(timeout=ctx.settings.webhook_timeout_seconds, follow_redirects=False) as http:
            response = await http.post(row["subscriber.url"], content=body, headers=headers)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.TimeoutException:
        error = "timeout"
    except (httpx.HTTPError, InvalidInput) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    if not error:
        await WebhookDelivery.update({WebhookDelivery.status: "delivered", WebhookDelivery.attempts: attempts,
                                      WebhookDelivery.last_status: status, WebhookDelivery.last_error: "",
                                      WebhookDelivery.delivered_at: datetime.now(UTC)}).where(
            WebhookDelivery.id == row["id"])
        return
    final = attempts >= queue.MAX_ATTEMPTS
    await WebhookDelivery.update({WebhookDelivery.status: "dead" if final else "pending",
                                  WebhookDelivery.attempts: attempts, WebhookDelivery.last_status: status,
                                  WebhookDelivery.last_error: error}).where(WebhookDelivery.id == row["id"])
    if final:
        log.error("webhook delivery %s dead after %s attempts: %s", did, attempts, error)
        return  # the dead letter is ours (listed and re-sent by admins): the job itself is finished
    raise DeliveryFailed(error)


async def prune(retention_days: int, now: datetime | None = None) -> int:
    """Delivered rows older than the event log's retention go (replay cannot reach their events any more either);
    dead ones stay until an admin has seen them."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    gone = await WebhookDelivery.delete().where(
        (WebhookDelivery.status == "delivered") & (WebhookDelivery.created_at < cutoff)).returning(WebhookDelivery.id)
    return len(gone)


PRUNE_EVERY = 3600.0


def feed(ctx: AppContext) -> Loop:
    pruned_at = [0.0]

    async def round_() -> bool:
        more = await feed_once(ctx)
        if not more and time.monotonic() - pruned_at[0] > PRUNE_EVERY:
            pruned_at[0] = time.monotonic()
            await prune(ctx.settings.event_retention_days)
        return more

    return Loop("webhook-feed", round_, ctx.settings.webhook_poll_seconds)
