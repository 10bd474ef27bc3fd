"""The websocket protocol's messages, as small msgspec structs tagged by ``type`` (version ``v`` on events).

Client → server: ``auth`` (first, and only first), then ``subscribe``, ``unsubscribe``, ``ping``.
Server → client: ``welcome``, ``subscribed``, ``event``, ``heartbeat``, ``pong``, ``resync``, ``revoked``, ``error``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.live.log import EVENT_VERSION, EventKind


class Auth(msgspec.Struct, tag="auth", tag_field="type"):
    """The first message: the login token or device credential (never in the URL, where access logs keep it)."""

    token: str


class Subscribe(msgspec.Struct, tag="subscribe", tag_field="type", forbid_unknown_fields=False):
    """Add topics (none: the caller's natural topics). ``since``: resume after this seq (first subscribe only)."""

    topics: list[str] = []
    since: int | None = None


class Unsubscribe(msgspec.Struct, tag="unsubscribe", tag_field="type"):
    topics: list[str] = []


class Ping(msgspec.Struct, tag="ping", tag_field="type"):
    pass


ClientMessage = Subscribe | Unsubscribe | Ping
client_decoder = msgspec.json.Decoder(ClientMessage)
auth_decoder = msgspec.json.Decoder(Auth)


class EventOut(msgspec.Struct, tag="event", tag_field="type", omit_defaults=False):
    """One case event. ``seq`` is global and strictly increasing on a connection; ``v`` is the payload version."""

    seq: int
    kind: str  # case.created | case.triaged | case.updated | case.escalated
    at: str  # ISO 8601, UTC
    v: int = EVENT_VERSION
    topics: list[str] = []
    case_id: int | None = None
    tracking_no: str = ""
    state: str = ""
    action: str = ""
    actor_role: str = ""
    unit_id: int | None = None
    due_at: str | None = None
    light: str | None = None
    text_zh: str = ""
    text_en: str = ""


class Welcome(msgspec.Struct, tag="welcome", tag_field="type"):
    role: str
    natural_topics: list[str]
    heartbeat_seconds: float
    v: int = EVENT_VERSION


class Subscribed(msgspec.Struct, tag="subscribed", tag_field="type"):
    """The connection's topics now, and the seq it is complete up to (resume from here)."""

    topics: list[str]
    last_seq: int


class Heartbeat(msgspec.Struct, tag="heartbeat", tag_field="type"):
    last_seq: int


class Pong(msgspec.Struct, tag="pong", tag_field="type"):
    last_seq: int


class Resync(msgspec.Struct, tag="resync", tag_field="type"):
    """The history asked for is gone: reload state over HTTP, then carry on from ``last_seq``."""

    last_seq: int
    code: str = "ws.resync"
    message_zh: str = "部分历史消息已过期，请刷新数据"
    message_en: str = "Some history has expired; reload the data"


class Revoked(msgspec.Struct, tag="revoked", tag_field="type"):
    """Topics dropped because the caller may no longer watch them (the case went to another unit, their grids
    changed); a ``subscribed`` with the remaining topics follows."""

    topics: list[str]
    code: str = "ws.topic_revoked"
    message_zh: str = "你已无权继续接收这些主题的消息"
    message_en: str = "You may no longer watch these topics"


class ErrorOut(msgspec.Struct, tag="error", tag_field="type"):
    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


encode = msgspec.json.Encoder().encode


def text(message: msgspec.Struct) -> str:
    return encode(message).decode()


def event_text(event: dict[str, Any]) -> str:
    """Encode a published event once; every connection that wants it gets the same string."""
    return text(msgspec.convert(event, EventOut))


def is_reporter_view(actor: Actor) -> bool:
    """Citizens (with an account or an anonymous device) get the reporter's view of a case, staff the full record."""
    return actor.role is Role.CITIZEN


def reporter_topics(event: dict[str, Any], user_id: int, watching: set[str]) -> tuple[str, ...] | None:
    """Which of a live event's topics a citizen's websocket may carry (None: not the event at all). Only events of
    their own reports: the event names them as reporter, or is about a case they watch (they may watch only their
    own); deadline warnings are left out whole. Other parties' topics (staff ids, grids, a case merged with theirs)
    are dropped. These topics are all that differs between two citizens' views of one event (``reporter_event``), so
    the hub encodes each distinct view once, however many citizens get it."""
    mine, case = f"reporter:{user_id}", f"case:{event.get('case_id')}"
    topics = event.get("topics") or ()
    if event.get("kind") == EventKind.CASE_ESCALATED or (mine not in topics and case not in watching):
        return None
    return tuple(t for t in topics if t == case or t == mine)


def reporter_event(event: dict[str, Any], topics: tuple[str, ...]) -> dict[str, Any]:
    """A live event as a citizen sees it, carrying ``topics`` (from ``reporter_topics``): without the unit id and the
    supervision light."""
    return {**event, "topics": list(topics), "unit_id": None, "light": None}


class EventViews:
    """One event as each viewer may see it, each view encoded at most once and only if someone gets it: staff see the
    event whole, a citizen only their own reports' events, stripped (PIPL: ``reporter_topics``). A broadcast to
    10,000 citizens is then one encode, not 10,000."""

    __slots__ = ("_full", "_reporter", "event")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self._full: str | None = None
        self._reporter: dict[tuple[str, ...], str] = {}  # the topics a citizen may see -> that view's text

    def text_for(self, actor: Actor, watching: set[str]) -> str | None:
        """The text to send to ``actor``'s connection watching ``watching`` (None: nothing)."""
        if not is_reporter_view(actor):
            if self._full is None:
                self._full = event_text(self.event)
            return self._full
        topics = reporter_topics(self.event, actor.id, watching)
        if topics is None:
            return None
        shown = self._reporter.get(topics)
        if shown is None:
            shown = self._reporter[topics] = event_text(reporter_event(self.event, topics))
        return shown
