"""Fold a case's timeline into evaluation facts, and keep the fact tables current with the timeline.

``fold`` is a pure function of one case's timeline entries: the same entries give the same facts. Two inputs come from
outside the timeline, and both are frozen the first time a fact is built so that a later change cannot move a past
figure: the handling deadline at a dispatch (the working calendar and the case's time limit), for the entries written
before dispatches recorded their deadline (``due_at`` in the entry's data, which wins), and the stage limits
(settings). Extensions, resumptions and calendar changes record the deadline they move to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.table import Table

from backend.cases import clock
from backend.cases.tables import Case, TimelineEntry
from backend.cases.timelimits import TimeLimit
from backend.db import insert_many, is_postgres, write_transaction
from backend.evaluation.tables import EvalCase, EvalCursor, EvalEpisode, EvalRating, EvalTask
from backend.settings import Settings

CURSOR = "timeline"
SYNC_LOCK = 727275  # PostgreSQL advisory lock of the fact builder (the event log's is 727274)
EVENT_LOCK = 727274
BATCH_ENTRIES = 20_000

DueFn = Callable[[datetime], "datetime | None"]


@dataclass
class Facts:
    case: dict[str, Any]
    episodes: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _settle(done: datetime | None, due: datetime | None) -> tuple[datetime | None, bool]:
    """A task or episode settles when it is done or when its deadline passes, whichever comes first."""
    if done is not None and (due is None or done <= due):
        return done, True
    return due, False


def fold(
    case: Mapping[str, Any],
    entries: Iterable[Mapping[str, Any]],
    stage_minutes: Mapping[str, int],
    base_due: DueFn,
    frozen: Mapping[int, datetime | None] | None = None,
) -> Facts:
    """The facts of one case from its timeline (entries in id order).

    ``base_due(start)`` is the handling deadline of a clock started at ``start``; ``frozen`` maps a starting entry's id
    to a deadline computed earlier, which wins.
    """
    frozen = frozen or {}
    tn = case["tracking_no"]
    where = {k: case.get(k) or "" for k in ("district", "street", "community", "unit_grid")}
    facts = Facts(case={
        "case_id": case["id"], "tracking_no": tn, "source": case.get("source") or "", "reporter_id": None,
        "reporter_role": "", "responsibility_grid": case.get("responsibility_grid") or "", **where,
        "reported_at": None, "filed_at": None, "closed_at": None, "late_at": None,
    })
    episode: dict[str, Any] | None = None  # the one currently with a unit
    last_episode: dict[str, Any] | None = None  # the one whose work was last reported back
    open_tasks: dict[str, dict[str, Any]] = {}
    suspended = False

    def start_task(kind: str, e: Mapping[str, Any], assignee: int | None = None) -> None:
        at = e["at"]
        due = frozen.get(e["id"]) if e["id"] in frozen else at + timedelta(minutes=stage_minutes[kind])
        task = {"case_id": case["id"], "tracking_no": tn, "kind": kind, "start_entry": e["id"], "assignee_id": assignee,
                "done_by": None, "started_at": at, "due_at": due, "done_at": None}
        facts.tasks.append(task)
        open_tasks[kind] = task

    def finish_task(kind: str, e: Mapping[str, Any]) -> None:
        task = open_tasks.pop(kind, None)
        if task is not None:
            task["done_at"], task["done_by"] = e["at"], e["actor"]

    def start_episode(e: Mapping[str, Any], unit_id: int, kind: str, dispatcher: int | None) -> dict[str, Any]:
        # The deadline the dispatch (or failed check) wrote on the timeline; older entries carry none.
        recorded = _when((e.get("data") or {}).get("due_at"))
        due = recorded or (frozen[e["id"]] if e["id"] in frozen else base_due(e["at"]))
        ep = {"case_id": case["id"], "tracking_no": tn, "unit_id": unit_id, "kind": kind, "dispatcher_id": dispatcher,
              "start_entry": e["id"], "started_at": e["at"], "base_due_at": due, "due_at": due, "handled_at": None,
              "returned_at": None, "failed_at": None, "closed_at": None}
        facts.episodes.append(ep)
        return ep

    for e in entries:
        action, at, data = e["action"], e["at"], e.get("data") or {}
        match action:
            case "report":
                facts.case.update(reported_at=at, reporter_id=e["actor"], reporter_role=e.get("actor_role") or "")
            case "request_verify":
                start_task("verify", e, data.get("supervisor_id"))
            case "assign_supervisor" if "verify" in open_tasks:
                open_tasks["verify"]["assignee_id"] = data.get("supervisor_id")
            case "verify":
                finish_task("verify", e)
            case "file":
                facts.case["filed_at"] = facts.case["filed_at"] or at
                start_task("dispatch", e)
            case "reopen":
                start_task("dispatch", e)
            case "dispatch" if data.get("unit_id"):
                finish_task("dispatch", e)
                episode = start_episode(e, int(data["unit_id"]), "dispatch", e["actor"])
                suspended = False
            case "approve_return" if episode is not None:
                episode["returned_at"] = at
                episode = None
                start_task("dispatch", e)
            case "approve_suspension" if episode is not None:
                suspended = True
            case "resume" | "approve_extension" if episode is not None:
                suspended = False
                episode["due_at"] = _when(data.get("due_at")) or episode["due_at"]
            case "deadline_recomputed" if episode is not None and data.get("to"):
                episode["due_at"] = _when(data["to"])
            case "report_back" if episode is not None:
                episode["handled_at"] = at
                last_episode, episode = episode, None
                start_task("check", e)
            case "check":
                finish_task("check", e)
                if data.get("result") == "fail" and last_episode is not None:
                    last_episode["failed_at"] = at
                    # 返工: the same unit again on a fresh clock.
                    episode = start_episode(e, last_episode["unit_id"], "rework", None)
                    suspended = False
            case "close":
                facts.case["closed_at"] = facts.case["closed_at"] or at
                if last_episode is not None and last_episode["closed_at"] is None:
                    last_episode["closed_at"] = at
            case "rate":
                facts.ratings.append({
                    "case_id": case["id"], "tracking_no": tn, "entry": e["id"], "at": at,
                    "satisfied": bool(data.get("satisfied")),
                    "unit_id": last_episode["unit_id"] if last_episode else None, **where,
                })
    if episode is not None and suspended:
        episode["due_at"] = None  # no deadline while suspended: it is settled by the resumption's deadline
    late: list[datetime] = []
    for ep in facts.episodes:
        ep["settled_at"], ep["on_time"] = _settle(ep["handled_at"], ep["due_at"])
        if ep["settled_at"] is not None and not ep["on_time"] and ep["returned_at"] is None:
            late.append(ep["settled_at"])
    facts.case["late_at"] = min(late) if late else None
    for task in facts.tasks:
        task["settled_at"], task["on_time"] = _settle(task["done_at"], task["due_at"])
    return facts


def frozen_deadlines(episodes: Iterable[Mapping[str, Any]], tasks: Iterable[Mapping[str, Any]]) -> dict[int, Any]:
    """The deadlines facts were built with before: rebuilding keeps them (see the module's docstring)."""
    frozen: dict[int, Any] = {r["start_entry"]: r["base_due_at"] for r in episodes}
    frozen.update({r["start_entry"]: r["due_at"] for r in tasks})
    return frozen


def base_due_for(settings: Settings, case: Mapping[str, Any]) -> DueFn:
    calendar = clock.calendar(settings)
    limit = _limit(case.get("time_limit") or "")

    def due(start: datetime) -> datetime | None:
        try:
            return calendar.due_at(start, limit)
        except ValueError:
            return None

    return due


@dataclass
class _Limit:
    time_limit: str


@lru_cache(maxsize=256)
def _limit(text: str) -> TimeLimit:
    """A case's time limit, parsed once per text (a city has a few dozen; parsing was a tenth of a build)."""
    return clock.limit_of(_Limit(text))


async def _high_water(engine: Any) -> int:
    """The highest timeline id below which every entry is committed.

    Case writers insert timeline entries while holding the event-log lock (PostgreSQL), so once we have held it, no
    entry with a lower id can still be in flight. A session lock, released at once, so writers wait only an instant.
    """
    if is_postgres(engine):
        await TimelineEntry.raw(f"SELECT pg_advisory_lock({EVENT_LOCK})")
        try:
            rows = await TimelineEntry.raw("SELECT COALESCE(MAX(id), 0) AS m FROM timeline_entry")
        finally:
            await TimelineEntry.raw(f"SELECT pg_advisory_unlock({EVENT_LOCK})")
    else:
        rows = await TimelineEntry.raw("SELECT COALESCE(MAX(id), 0) AS m FROM timeline_entry")
    return int(rows[0]["m"])


async def sync(settings: Settings, engine: Any, batch: int = BATCH_ENTRIES) -> int:
    """Fold every case with timeline entries newer than the cursor; returns how many cases were rebuilt."""
    rebuilt = 0
    while True:
        async with write_transaction(engine):
            if is_postgres(engine):
                await EvalCursor.raw(f"SELECT pg_advisory_xact_lock({SYNC_LOCK})")
            cursor = await EvalCursor.select().where(EvalCursor.name == CURSOR).first()
            last = cursor["last_entry"] if cursor else 0
            high = await _high_water(engine)
            rows = await TimelineEntry.select(TimelineEntry.id, TimelineEntry.case).where(
                (TimelineEntry.id > last) & (TimelineEntry.id <= high)).order_by(TimelineEntry.id).limit(batch)
            if not rows:
                return rebuilt
            case_ids = sorted({r["case"] for r in rows})
            await _rebuild(settings, case_ids)
            rebuilt += len(case_ids)
            if cursor:
                await EvalCursor.update({EvalCursor.last_entry: rows[-1]["id"]}).where(EvalCursor.name == CURSOR)
            else:
                await EvalCursor.insert(EvalCursor(name=CURSOR, last_entry=rows[-1]["id"]))
        if len(rows) < batch:
            return rebuilt


CASE_COLUMNS = (Case.id, Case.tracking_no, Case.source, Case.district, Case.street, Case.community, Case.unit_grid,
                Case.responsibility_grid, Case.time_limit)


# The actions whose ``data`` ``fold`` reads; the others' JSON is not parsed (a build spent a tenth of its time on it).
DATA_ACTIONS = frozenset({"request_verify", "assign_supervisor", "dispatch", "approve_extension", "resume",
                          "deadline_recomputed", "check", "rate"})


def _ids_in(column: str, ids: list[int]) -> WhereRaw:
    """``column IN (ids)`` written out: Piccolo's ``is_in`` converts each value on its own (a build spent a tenth of
    its time there); these are integers read from the database."""
    return WhereRaw(f'"{column}" IN ({", ".join(str(int(i)) for i in ids)})')


async def _rebuild(settings: Settings, case_ids: list[int]) -> None:
    for i in range(0, len(case_ids), 500):
        chunk = case_ids[i:i + 500]
        cases = await Case.select(*CASE_COLUMNS).where(_ids_in("id", chunk))
        entries = await TimelineEntry.select(
            TimelineEntry.id, TimelineEntry.case, TimelineEntry.at, TimelineEntry.actor, TimelineEntry.actor_role,
            TimelineEntry.action, TimelineEntry.data,
        ).where(_ids_in("case", chunk)).order_by(TimelineEntry.id)
        old_eps = await EvalEpisode.select(EvalEpisode.start_entry, EvalEpisode.base_due_at).where(
            _ids_in("case_id", chunk))
        old_tasks = await EvalTask.select(EvalTask.start_entry, EvalTask.due_at).where(_ids_in("case_id", chunk))
        frozen = frozen_deadlines(old_eps, old_tasks)
        by_case: dict[int, list[dict[str, Any]]] = {}
        for e in entries:
            data = e["data"]
            e["data"] = json.loads(data) if isinstance(data, str) and e["action"] in DATA_ACTIONS else None
            by_case.setdefault(e["case"], []).append(e)
        for table in (EvalEpisode, EvalTask, EvalRating, EvalCase):
            await table.delete().where(_ids_in("case_id", chunk))
        new_cases, episodes, tasks, ratings = [], [], [], []
        for case in cases:
            timeline = by_case.get(case["id"], [])
            if not timeline:
                continue
            facts = fold(case, timeline, settings.stage_limit_minutes, base_due_for(settings, case), frozen)
            if facts.case["reported_at"] is None:
                facts.case["reported_at"] = timeline[0]["at"]
            new_cases.append(facts.case)
            episodes += facts.episodes
            tasks += facts.tasks
            ratings += facts.ratings
        for table, rows in ((EvalCase, new_cases), (EvalEpisode, episodes), (EvalTask, tasks), (EvalRating, ratings)):
            await _insert(table, rows)


async def _insert(table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert fact rows (dicts holding every column but the key) in one ``executemany``: no Piccolo object and no
    query text per row (building them was most of a build's time)."""
    columns = [c for c in table._meta.columns if not c._meta.primary_key]
    names = [c._meta.name for c in columns]
    await insert_many(table._meta.db, table._meta.tablename, [c._meta.db_column_name for c in columns],
                      [tuple(row[n] for n in names) for row in rows])
