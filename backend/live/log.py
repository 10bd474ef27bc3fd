"""Writing events to the event log inside the caller's transaction, and reading them back for resume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.live.tables import Event

EVENT_VERSION = 1


async def serialize_event_writes(engine: Any) -> None:
    """On PostgreSQL, take a transaction-scoped lock so event sequence numbers commit in order (no gaps on resume).

    SQLite needs nothing: it has one writer at a time.
    """
    from backend.db import is_postgres

    if is_postgres(engine):
        await Event.raw("SELECT pg_advisory_xact_lock(727274)")


async def append_event(kind: str, topics: list[str], payload: dict[str, Any], case_id: int | None = None) -> dict[str, Any]:
    at = datetime.now(UTC)
    rows = await Event.insert(
        Event(at=at, kind=kind, case_id=case_id, topics=sorted(set(topics)), payload=payload)
    ).returning(Event.seq)
    seq = rows[0]["seq"]
    return {"v": EVENT_VERSION, "seq": seq, "kind": kind, "at": at.isoformat(), "topics": sorted(set(topics)), **payload}


async def events_since(seq: int, topics: set[str], limit: int = 1000) -> list[dict[str, Any]]:
    rows = await Event.select().output(load_json=True).where(Event.seq > seq).order_by(Event.seq).limit(limit)
    out = []
    for row in rows:
        if topics.intersection(row["topics"]):
            out.append(
                {"v": EVENT_VERSION, "seq": row["seq"], "kind": row["kind"], "at": row["at"].isoformat(),
                 "topics": row["topics"], **row["payload"]}
            )
    return out
