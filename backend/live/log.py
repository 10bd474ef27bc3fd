"""The event log: writing events inside the caller's transaction, reading them back for resume, and pruning them.

Sequence numbers are global and increase in commit order, because every writer first takes
``serialize_event_writes`` (PostgreSQL) or holds SQLite's single write lock. Readers rely on that: once seq N is
visible, every smaller seq that will ever exist is visible too.

Pruning keeps a marker row: the newest pruned event is rewritten as ``kind="log.pruned"`` with no topics, so
``pruned_through()`` knows which history is gone, and the table is never emptied (SQLite would reuse seqs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from backend.live.tables import Event

EVENT_VERSION = 1


class EventKind(StrEnum):
    """What an event in the log says happened (its ``kind``)."""

    CASE_CREATED = "case.created"
    CASE_TRIAGED = "case.triaged"
    CASE_UPDATED = "case.updated"
    CASE_ESCALATED = "case.escalated"
    LOG_PRUNED = "log.pruned"  # the marker row left by pruning (never delivered)


PRUNED_KIND = EventKind.LOG_PRUNED


async def serialize_event_writes(engine: Any) -> None:
    """On PostgreSQL, take a transaction-scoped lock so event sequence numbers commit in order (no gaps on resume).

    SQLite needs nothing: it has one writer at a time.
    """
    from backend.db import is_postgres

    if is_postgres(engine):
        await Event.raw("SELECT pg_advisory_xact_lock(727274)")


def _as_event(row: dict[str, Any]) -> dict[str, Any]:
    at = row["at"]
    return {"v": EVENT_VERSION, "seq": row["seq"], "kind": row["kind"],
            "at": at.isoformat() if isinstance(at, datetime) else at, "topics": row["topics"], **row["payload"]}


async def append_event(kind: str, topics: list[str], payload: dict[str, Any], case_id: int | None = None) -> dict[str, Any]:
    """Write one event in the caller's transaction and return it as published (with its seq)."""
    return (await append_events([(kind, topics, payload, case_id)]))[0]


async def append_events(items: list[tuple[str, list[str], dict[str, Any], int | None]]) -> list[dict[str, Any]]:
    """Write events (kind, topics, payload, case id) with one statement in the caller's transaction, in this order,
    and return them as published. The log's seq is assigned in the order of the rows (one sequence, one statement),
    so the sorted seqs returned are theirs in order."""
    at = datetime.now(UTC)
    rows = [(kind, sorted(set(topics)), payload, case_id) for kind, topics, payload, case_id in items]
    events = [Event(at=at, kind=kind, case_id=case_id, topics=topics, payload=payload)
              for kind, topics, payload, case_id in rows]
    seqs = sorted(int(r["seq"]) for r in await Event.insert(*events).returning(Event.seq))
    return [_as_event({"seq": seq, "at": at, "kind": kind, "topics": topics, "payload": payload})
            for seq, (kind, topics, payload, _) in zip(seqs, rows, strict=True)]


async def scan_log(after: int, limit: int = 500) -> list[dict[str, Any]]:
    """The next ``limit`` events with seq > ``after``, in seq order, whatever their topics (markers excluded)."""
    rows = await Event.select().output(load_json=True).where(Event.seq > after).order_by(Event.seq).limit(limit)
    return [_as_event(row) for row in rows if row["kind"] != PRUNED_KIND]


async def last_seq() -> int:
    row = await Event.select(Event.seq).order_by(Event.seq, ascending=False).first()
    return int(row["seq"]) if row else 0


async def pruned_through() -> int:
    """Every event with seq ≤ this number has been pruned (0 when nothing was)."""
    row = await Event.select(Event.seq).where(Event.kind == PRUNED_KIND).order_by(Event.seq, ascending=False).first()
    return int(row["seq"]) if row else 0


async def prune_events(retention_days: int, now: datetime | None = None) -> int:
    """Delete events older than the retention period; returns how many went. Safe to run in several processes."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    row = await Event.select(Event.seq).where(Event.at < cutoff).order_by(Event.seq, ascending=False).first()
    if row is None:
        return 0
    newest = int(row["seq"])
    from backend.db import write_transaction

    async with write_transaction(Event._meta.db):
        gone = await Event.count().where(Event.seq < newest)
        await Event.delete().where(Event.seq < newest)
        await Event.update({Event.kind: PRUNED_KIND, Event.topics: [], Event.payload: {}, Event.case_id: None}).where(
            Event.seq == newest
        )
    return int(gone)
