"""The one path for every change to a case: lock, change, version, timeline, event log, follow-up jobs, publish.

Every writer (a user's action, a new report, the triage and reroute jobs, escalation, a calendar change) does::

    async with case_change(ctx, case_id, actor) as change:
        ...                                   # read and change change.case
        await change.apply(transition, body)  # a lifecycle action (checks the source state), or
        change.record("escalate", ...)        # a system step that is not a lifecycle action
        change.enqueue("reroute", {...})      # follow-up work, committed with the change

On entry the recorder takes the case's row lock (PostgreSQL; SQLite has one writer anyway); a new case takes the
event-log write lock instead. On a clean exit with steps to record it takes the event-log lock (one advisory lock on
PostgreSQL, always after the row lock, so two writers never wait on each other in opposite order; it keeps event
sequence numbers in commit order), saves the case once, inserts the steps' timeline entries, appends their events and
the jobs in the same transaction; after the commit it publishes the events and wakes the job worker. A body that
records nothing (a job re-run after a crash, a light that did not move) only read the case. An exception rolls all of it back and publishes nothing.
Each step bumps the version and snapshots the event payload as the case stood after that step, so a triage followed by
an automatic file and dispatch reads, to every subscriber, as three changes in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from backend.accounts.services import Actor
from backend.cases import clock, daycounts
from backend.cases.follow import follower_ids
from backend.cases.lifecycle import STATE_NAMES, State, Transition
from backend.cases.schemas import PLACE_FIELDS, ActionIn
from backend.cases.tables import Case, TimelineEntry
from backend.cases.transitions import apply
from backend.context import AppContext
from backend.db import is_postgres, write_transaction
from backend.errors import IllegalTransition, InvalidInput, NotFound
from backend.jobs.queue import enqueue
from backend.live.log import EventKind, append_events, serialize_event_writes

SYSTEM_ROLE = "system"


def topics_for(case: Case, *extra: str) -> list[str]:
    """The live topics a change of this case is published on: its own, its reporter's, the centre's and its owners'."""
    topics = [f"case:{case.id}", f"reporter:{case.reporter}", "command"]
    if case.unit:
        topics.append(f"unit:{case.unit}")
    if case.assigned_supervisor:
        topics.append(f"supervisor:{case.assigned_supervisor}")
    if case.responsibility_grid:
        topics.append(f"grid:{case.responsibility_grid}")
    topics.extend(extra)
    return topics


def event_payload(ctx: AppContext, case: Case, action: str, actor_role: str, zh: str, en: str) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "tracking_no": case.tracking_no,
        "state": case.state,
        "action": action,
        "actor_role": actor_role,
        "unit_id": case.unit,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "light": clock.light_of(ctx.settings, case),
        "text_zh": zh,
        "text_en": en,
    }


@dataclass
class _Step:
    entry: TimelineEntry
    kind: EventKind
    topics: list[str]
    payload: dict[str, Any]


@dataclass
class CaseChange:
    """One transaction's changes to one case; made by ``case_change``, never directly."""

    ctx: AppContext
    actor: Actor | None
    case: Case | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    _steps: list[_Step] = field(default_factory=list)
    _jobs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _dirty: bool = False
    _new: bool = False  # made in this change: no one follows it yet
    _counted: frozenset[daycounts.Key] | None = None  # the day-count rows the case stands in, as last saved

    @property
    def actor_role(self) -> str:
        return self.actor.role.value if self.actor else SYSTEM_ROLE

    @property
    def changed(self) -> bool:
        return bool(self._steps)

    async def create(self, case: Case) -> Case:
        """Insert a new case (its first step, usually "report", follows with ``bump=False``), with its place's name."""
        await name_place(self.ctx, case)
        await case.save()
        self.case = case
        self._new = True
        await self._count(case)
        return case

    async def _count(self, case: Case) -> None:
        """Move the case in the statistics' day counts (daycounts.py) as it was just saved."""
        now = daycounts.keys(case, self.ctx.settings.timezone)
        # case_change took the event-log lock already for a new case and for a change with steps (before the flush).
        await daycounts.apply(self.ctx.engine, daycounts.delta(self._counted, now),
                              event_lock_held=self._new or bool(self._steps))
        self._counted = now

    def record(
        self, action: str, *, from_state: str, text: tuple[str, str], kind: EventKind = EventKind.CASE_UPDATED, note: str = "",
        photo_ids: Sequence[int] = (), data: dict[str, Any] | None = None, topics: Sequence[str] = (),
        bump: bool = True, new_stage: bool = True, payload: dict[str, Any] | None = None,
    ) -> None:
        """One step: a timeline entry and an event as the case stands now.

        ``new_stage``: the step starts the case's current stage, so ``updated_at`` (the stage clock's start) moves; a
        light or deadline change leaves it. ``bump=False`` only for the creation step of a new case.
        """
        case = self.case
        assert case is not None, "record() needs a case"
        now = clock.now()
        if bump:
            case.version += 1
            self._dirty = True
        if new_stage:
            case.updated_at = now
        entry = TimelineEntry(case=case.id, at=now, actor=self.actor.id if self.actor else None,
                              actor_role=self.actor_role, action=action, from_state=from_state, to_state=case.state,
                              note=note, photo_ids=list(photo_ids), data=data or {})
        body = event_payload(self.ctx, case, action, self.actor_role, *text)
        body.update(payload or {})
        self._steps.append(_Step(entry, kind, topics_for(case, *topics), body))

    async def apply(
        self, t: Transition, body: ActionIn, *, note: str | None = None, data: dict[str, Any] | None = None,
        text: tuple[str, str] | None = None,
    ) -> None:
        """Perform lifecycle action ``t`` (its state change and side effects) and record it as one step.

        Who may do it is the caller's business (``access.may`` for people, a policy for the system); that the case is
        in one of the action's source states is checked here, for everyone.
        """
        case = self.case
        assert case is not None
        state = State(case.state)
        if state not in t.sources:
            zh, en = STATE_NAMES[state]
            raise IllegalTransition(f"案件当前为“{zh}”，不能执行“{t.name_zh}”",
                                    f"The case is '{en}'; '{t.name_en}' is not possible now")
        from_state = case.state
        effects, extra_topics = await apply(self, t, body)
        zh, en = STATE_NAMES[State(case.state)]
        self.record(t.action, from_state=from_state, text=text or (f"{t.name_zh}：{zh}", f"{t.name_en}: {en}"),
                    note=body.note or body.reason or body.comment if note is None else note,
                    photo_ids=body.photo_ids, data={**effects, **(data or {})}, topics=extra_topics)

    def store_only(self) -> None:
        """Save the case's changed fields with no step: nothing anyone needs to be told (a light going back down)."""
        self._dirty = True

    def enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        """A durable job committed with this change (and only if it commits)."""
        self._jobs.append((kind, payload))

    async def _flush(self) -> None:
        case = self.case
        if case is not None and self._dirty:
            await case.save()
            await self._count(case)
        if self._steps:
            await TimelineEntry.insert(*(step.entry for step in self._steps))
        # Followers (follow.py) hear what the reporter hears: on the live channel and from the notifier.
        followers = ([f"reporter:{u}" for u in await follower_ids(case.id)]
                     if case is not None and self._steps and not self._new else [])
        if self._steps:
            self.events.extend(await append_events([(step.kind, [*step.topics, *followers], step.payload,
                                                     case.id if case else None) for step in self._steps]))
        for kind, payload in self._jobs:
            await enqueue(kind, payload)


async def name_place(ctx: AppContext, case: Case) -> None:
    """Store the case's place as the gazetteer names it (``place_text`` and ``place``). Nothing without a city, or for a
    point the gazetteer refuses as far outside it (the report's own check refuses those first)."""
    if ctx.place_names is None:
        return
    try:
        found = await ctx.place_names.describe(case.lat, case.lng)
    except InvalidInput:
        return
    if found:
        case.place_text = str(found["text"])[:200]
        case.place = {k: found[k] for k in PLACE_FIELDS if k in found}


async def lock_case(ctx: AppContext, case_id: int) -> Case | None:
    query = Case.objects().output(load_json=True).where(Case.id == case_id)
    if is_postgres(ctx.engine):
        query = query.lock_rows()
    rows = await query
    return rows[0] if rows else None


@asynccontextmanager
async def case_change(
    ctx: AppContext, case_id: int | None, actor: Actor | None = None, *, missing_ok: bool = False,
) -> AsyncIterator[CaseChange]:
    """Change case ``case_id`` (None: a new case, made with ``change.create``) in one transaction.

    An unknown case raises ``case.not_found``; with ``missing_ok`` the body gets ``change.case is None`` instead
    (a background job whose case is gone has nothing to do).
    """
    change = CaseChange(ctx, actor)
    async with write_transaction(ctx.engine, inline=True):
        if case_id is None:
            # A new case: the event-log lock first, so a retry of the same report (any process) waits for the first
            # one's commit and then finds its idempotency record instead of making a second case.
            await serialize_event_writes(ctx.engine)
        else:
            change.case = await lock_case(ctx, case_id)
            change._counted = daycounts.keys(change.case, ctx.settings.timezone)
            if change.case is None and not missing_ok:
                raise NotFound(f"案件不存在：{case_id}", f"No such case: {case_id}", code="case.not_found")
        yield change
        if change._steps and case_id is not None:
            # Always after the case's row lock (never before), so two writers cannot wait on each other.
            await serialize_event_writes(ctx.engine)
        await change._flush()
    if change.events:
        await ctx.bus.publish(change.events)
    if change._jobs:
        ctx.extras.get("wake", lambda: None)()
