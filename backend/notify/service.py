"""Subscriptions, preferences and the notifier: the event log turned into deliveries, each sent by the job queue.

The feed (a ``Loop``) reads the log after its cursor and, in one transaction, writes one delivery row and one job per
recipient address and moves the cursor: a crash repeats nothing and loses nothing. A delivery's key is derived from
(event seq, channel, address), so a feed run twice cannot make a second one. Who hears what:
- the reporter and the case's followers (cases/follow.py), when the case's citizen status (words.py) changes;
- the assigned supervisor, of a new 核实 or 核查 task;
- the responsible unit's staff, of a case dispatched to them (or sent back after a failed check) and of deadlines.
Quiet hours delay a delivery to their end; they never drop it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from backend.accounts.roles import Role
from backend.accounts.tables import User
from backend.cases.tables import TimelineEntry
from backend.context import AppContext
from backend.db import is_postgres, write_transaction
from backend.errors import InvalidInput, NotFound
from backend.jobs import queue
from backend.live.log import last_seq, scan_log
from backend.notify import words
from backend.notify.channels import Address, Channel, Message, Outcome, is_private
from backend.notify.tables import CitizenStatusSeen, NotifyCursor, NotifyDelivery, NotifyPreference, PushSubscription

log = logging.getLogger("suishoupai.notify")
FEED = "notify"
JOB_KIND = "push"
BATCH = 200
NAMESPACE = uuid.UUID("3d1f8a52-6c0b-4c55-9f7e-21b8a0c4e913")
SUPERVISOR_TASKS = {"request_verify", "assign_supervisor", "report_back"}


# ---------------------------------------------------------------- subscriptions


def _b64url(value: str, size: int, field: str) -> str:
    bad = InvalidInput(f"推送订阅的 {field} 无效", f"The push subscription's {field} is not valid",
                       code="push.bad_keys", details={"field": field})
    if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", value or ""):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    if len(raw) != size or (field == "p256dh" and raw[0] != 4):  # an uncompressed P-256 point starts with 0x04
        raise bad
    return value.rstrip("=")


def check_subscription(endpoint: str, p256dh: str, auth: str, allow_http: bool) -> tuple[str, str, str]:
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password or len(endpoint) > 1000:
        raise InvalidInput("推送地址应为 https 网址", "The push endpoint must be an https URL", code="push.bad_endpoint")
    with contextlib.suppress(ValueError):  # a name, not an address literal: checked again when sending
        if not allow_http and is_private(parts.hostname):
            raise InvalidInput("推送地址不能指向内网或本机", "The push endpoint must not be a private or loopback address",
                               code="push.bad_endpoint")
    return endpoint, _b64url(p256dh, 65, "p256dh"), _b64url(auth, 16, "auth")


async def subscribe(ctx: AppContext, user_id: int, endpoint: str, p256dh: str, auth: str, lang: str) -> int:
    """Store (or move to this user, with fresh keys) the device's subscription; returns its id."""
    endpoint, p256dh, auth = check_subscription(endpoint, p256dh, auth, ctx.settings.push_allow_http)
    async with write_transaction(ctx.engine):
        existing = await PushSubscription.select(PushSubscription.id).where(
            PushSubscription.endpoint == endpoint).first()
        if existing:
            await PushSubscription.update({PushSubscription.user: user_id, PushSubscription.p256dh: p256dh,
                                           PushSubscription.auth: auth, PushSubscription.lang: lang}).where(
                PushSubscription.id == existing["id"])
            return int(existing["id"])
        rows = await PushSubscription.insert(PushSubscription(
            user=user_id, channel="webpush", endpoint=endpoint, p256dh=p256dh, auth=auth, lang=lang,
            created_at=datetime.now(UTC))).returning(PushSubscription.id)
        return int(rows[0]["id"])


async def unsubscribe(user_id: int, endpoint: str) -> None:
    gone = await PushSubscription.delete().where(
        (PushSubscription.endpoint == endpoint) & (PushSubscription.user == user_id)).returning(PushSubscription.id)
    if not gone:
        raise NotFound("没有这个推送订阅", "No such push subscription", code="push.not_found")


# ---------------------------------------------------------------- preferences and quiet hours


@dataclass(frozen=True)
class Preferences:
    enabled: bool = True
    status: bool = True
    tasks: bool = True
    cases: bool = True
    sms: bool = False
    quiet_start: int | None = None  # minutes of the day, Asia/Shanghai
    quiet_end: int | None = None


PREF_FIELDS = ("enabled", "status", "tasks", "cases", "sms", "quiet_start", "quiet_end")


async def preferences(user_id: int) -> Preferences:
    row = await NotifyPreference.select().where(NotifyPreference.user == user_id).first()
    return Preferences(**{k: row[k] for k in PREF_FIELDS}) if row else Preferences()


async def set_preferences(ctx: AppContext, user_id: int, prefs: Preferences) -> Preferences:
    if (prefs.quiet_start is None) != (prefs.quiet_end is None) or (
            prefs.quiet_start is not None and prefs.quiet_start == prefs.quiet_end):
        raise InvalidInput("免打扰时段需要不同的开始和结束时间", "Quiet hours need a start and a different end",
                           code="push.bad_quiet_hours")
    values = {getattr(NotifyPreference, k): getattr(prefs, k) for k in PREF_FIELDS}
    async with write_transaction(ctx.engine):
        done = await NotifyPreference.update(values).where(NotifyPreference.user == user_id).returning(
            NotifyPreference.id)
        if not done:
            await NotifyPreference.insert(NotifyPreference(user=user_id, **{k: getattr(prefs, k) for k in PREF_FIELDS}))
    return prefs


def quiet_delay(prefs: Preferences, at: datetime) -> timedelta:
    """How long from ``at`` until the user's quiet hours end (zero outside them). Spans may cross midnight."""
    if prefs.quiet_start is None or prefs.quiet_end is None:
        return timedelta(0)
    local = at.astimezone(words.CITY_TZ)
    minute = local.hour * 60 + local.minute
    start, end = prefs.quiet_start, prefs.quiet_end
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return timedelta(0)
    wait = (end - minute) % (24 * 60)
    return timedelta(minutes=wait) - timedelta(seconds=local.second, microseconds=local.microsecond)


# ---------------------------------------------------------------- the feed


def delivery_key(seq: int, channel: str, address: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{seq}:{channel}:{address}"))


def _topic_ids(event: dict[str, Any], prefix: str) -> list[int]:
    return [int(t.split(":", 1)[1]) for t in event.get("topics", []) if t.startswith(prefix + ":")]


async def void_reason(case_id: int) -> str:
    row = await TimelineEntry.select(TimelineEntry.note).where(
        (TimelineEntry.case == case_id) & (TimelineEntry.action == "void")).order_by(
        TimelineEntry.id, ascending=False).first()
    return str(row["note"]) if row else ""


def _due(event: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(event["due_at"]) if event.get("due_at") else None


async def recipients(event: dict[str, Any]) -> list[tuple[int, str, Any]]:
    """(user id, preference field, message maker by language) for one event."""
    case_id = event.get("case_id")
    if not case_id or not event.get("state"):
        return []
    out: list[tuple[int, str, Any]] = []
    tracking = str(event.get("tracking_no") or "")
    status = words.citizen_status(event["state"]).value
    seen = await CitizenStatusSeen.select().where(CitizenStatusSeen.case_id == case_id).first()
    if seen is None:
        await CitizenStatusSeen.insert(CitizenStatusSeen(case_id=case_id, status=status, seq=event["seq"]))
    elif seen["seq"] < event["seq"]:
        await CitizenStatusSeen.update({CitizenStatusSeen.status: status, CitizenStatusSeen.seq: event["seq"]}).where(
            CitizenStatusSeen.case_id == case_id)
    # The first event of a case (its creation) is the reporter's own act: nothing to tell them.
    if seen is not None and seen["seq"] < event["seq"] and seen["status"] != status:
        reason = await void_reason(case_id) if event["state"] == "voided" else ""
        # The recorder puts the reporter's topic first and then each follower's (cases/follow.py).
        for n, reporter in enumerate(_topic_ids(event, "reporter")):
            out.append((reporter, "status", lambda lang, r=reason, f=n > 0: Message(
                *words.status_message(tracking, event["state"], _due(event), r, lang, f),
                tag=f"case-{case_id}", url=f"/#/case/{case_id}", case_id=case_id, tracking_no=tracking)))
    action, state = event.get("action"), event["state"]
    if action in SUPERVISOR_TASKS and state in ("verifying", "checking"):
        for supervisor in _topic_ids(event, "supervisor"):
            verify = state == "verifying"
            out.append((supervisor, "tasks", lambda lang, v=verify: Message(
                ("New task: verify on site" if v else "New task: check the result") if lang == "en"
                else ("新核实任务" if v else "新核查任务"),
                f"{tracking} · " + ("Tap to open the task" if lang == "en" else "点此打开任务"),
                tag=f"case-{case_id}", url=f"/#/task/{case_id}", case_id=case_id, tracking_no=tracking)))
    new_case = action == "dispatch" or (action == "check" and state == "dispatched")
    if new_case or event["kind"] == "case.escalated":
        units = _topic_ids(event, "unit")
        staff = await User.select(User.id).where(User.unit.is_in(units) & (User.role == Role.UNIT_STAFF.value) & (
            User.active == True)) if units else []
        for person in staff:
            out.append((person["id"], "cases", lambda lang, n=new_case: Message(
                (("New case for your unit" if lang == "en" else "本单位新案件") if n
                 else (event.get("text_en") if lang == "en" else event.get("text_zh")) or ""),
                f"{tracking} · " + ("Tap to open the case" if lang == "en" else "点此打开案件"),
                tag=f"case-{case_id}", url=f"/#/unit/case/{case_id}", case_id=case_id, tracking_no=tracking)))
    return out


async def _fan_out(ctx: AppContext, events: list[dict[str, Any]], channels: dict[str, Channel]) -> int:
    made = 0
    now = datetime.now(UTC)
    for event in events:
        for user_id, topic, make in await recipients(event):
            prefs = await preferences(user_id)
            if not prefs.enabled or not getattr(prefs, topic):
                continue
            targets: list[tuple[str, str, int | None, str]] = [
                (s["channel"], s["endpoint"], s["id"], s["lang"]) for s in await PushSubscription.select(
                    PushSubscription.id, PushSubscription.channel, PushSubscription.endpoint, PushSubscription.lang,
                ).where(PushSubscription.user == user_id) if s["channel"] in channels]
            if prefs.sms and "sms" in channels:
                phone = await User.select(User.phone).where(User.id == user_id).first()
                if phone and phone["phone"]:
                    targets.append(("sms", phone["phone"], None, "zh"))
            delay = quiet_delay(prefs, now)
            for channel, address, sub_id, lang in targets:
                key = delivery_key(event["seq"], channel, address)
                if await NotifyDelivery.exists().where(NotifyDelivery.key == key):
                    continue
                await NotifyDelivery.insert(NotifyDelivery(
                    key=key, event_seq=event["seq"], user_id=user_id, channel=channel, address=address,
                    subscription_id=sub_id, message=make(lang).as_json(), status="pending", created_at=now))
                await queue.enqueue(JOB_KIND, {"key": key}, delay=delay)
                made += 1
    return made


async def feed_once(ctx: AppContext, channels: dict[str, Channel]) -> bool:
    """One batch of the log after the cursor; True when there may be more."""
    cursor = await NotifyCursor.select(NotifyCursor.seq).where(NotifyCursor.name == FEED).first()
    if cursor is not None and await last_seq() <= int(cursor["seq"]):
        return False  # nothing new: no write lock taken
    async with write_transaction(ctx.engine, inline=True):
        query = NotifyCursor.select(NotifyCursor.seq).where(NotifyCursor.name == FEED)
        if is_postgres(ctx.engine):
            query = query.lock_rows()
        rows = await query
        if not rows:
            # Start at the log's end: people hear of what happens from now on.
            # Two processes may start at once: the second one's insert does nothing.
            await NotifyCursor.insert(NotifyCursor(name=FEED, seq=await last_seq())).on_conflict(
                target=NotifyCursor.name, action="DO NOTHING")
            return False
        events = await scan_log(int(rows[0]["seq"]), BATCH)
        if not events:
            return False
        made = await _fan_out(ctx, events, channels)
        await NotifyCursor.update({NotifyCursor.seq: events[-1]["seq"]}).where(NotifyCursor.name == FEED)
    if made:
        ctx.extras.get("wake", lambda: None)()
    return len(events) == BATCH


# ---------------------------------------------------------------- sending


class DeliveryFailed(RuntimeError):
    """The channel did not take it: the queue retries the job with backoff."""


async def deliver(channels: dict[str, Channel], payload: dict[str, Any]) -> None:
    """The job: send one delivery; raising makes the queue retry it later."""
    key = str(payload["key"])
    row = await NotifyDelivery.select().where(NotifyDelivery.key == key).first()
    if row is None or row["status"] != "pending":
        return  # sent already (a job run twice)
    address = Address(row["address"])
    if row["subscription_id"] is not None:
        sub = await PushSubscription.select().where(PushSubscription.id == row["subscription_id"]).first()
        if sub is None or sub["endpoint"] != row["address"]:
            await NotifyDelivery.update({NotifyDelivery.status: "gone"}).where(NotifyDelivery.id == row["id"])
            return  # the device unsubscribed meanwhile
        address = Address(sub["endpoint"], sub["p256dh"], sub["auth"])
    channel = channels.get(row["channel"])
    attempts = row["attempts"] + 1
    if channel is None:
        result_status, error, outcome = None, f"channel {row['channel']} is off", Outcome.RETRY
    else:
        result = await channel.send(address, Message.from_json(row["message"]))
        result_status, error, outcome = result.status, result.error, result.outcome
    now = datetime.now(UTC)
    if outcome is Outcome.SENT:
        await NotifyDelivery.update({NotifyDelivery.status: "sent", NotifyDelivery.attempts: attempts,
                                     NotifyDelivery.last_status: result_status, NotifyDelivery.last_error: "",
                                     NotifyDelivery.sent_at: now}).where(NotifyDelivery.id == row["id"])
        if row["subscription_id"] is not None:
            await PushSubscription.update({PushSubscription.last_sent_at: now}).where(
                PushSubscription.id == row["subscription_id"])
        return
    if outcome is Outcome.GONE:
        async with write_transaction(NotifyDelivery._meta.db):
            await NotifyDelivery.update({NotifyDelivery.status: "gone", NotifyDelivery.attempts: attempts,
                                         NotifyDelivery.last_status: result_status}).where(
                NotifyDelivery.id == row["id"])
            if row["subscription_id"] is not None:
                await PushSubscription.delete().where(PushSubscription.id == row["subscription_id"])
        log.info("push delivery %s: the address is gone (HTTP %s); subscription removed", key, result_status)
        return
    final = attempts >= queue.MAX_ATTEMPTS
    await NotifyDelivery.update({NotifyDelivery.status: "dead" if final else "pending",
                                 NotifyDelivery.attempts: attempts, NotifyDelivery.last_status: result_status,
                                 NotifyDelivery.last_error: error[:500]}).where(NotifyDelivery.id == row["id"])
    if final:
        log.error("push delivery %s dead after %s attempts: %s", key, attempts, error)
        return
    raise DeliveryFailed(error or "retry")
