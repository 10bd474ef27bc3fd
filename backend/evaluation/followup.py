"""Satisfaction follow-up (回访): the dissatisfied ratings and reopened cases of a period, for the centre to call back,
and the outcome of each call.

The worklist is read from the timeline (a dissatisfied rating through its evaluation fact, a reopening from its own
entry), so it lists what the citizen said at the time even when the case moved on. The citizen's name and phone are
shown only to the roles that make the calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.cases.tables import Case, TimelineEntry
from backend.errors import Conflict, NotFound
from backend.evaluation.engine import Period
from backend.evaluation.schemas import Contact, FollowUpCallOut, FollowUpItem, FollowUpList
from backend.evaluation.tables import EvalRating, FollowUpCall
from backend.org.tables import Unit

# outcome: (zh, en, whether the item is done with it)
OUTCOMES: dict[str, tuple[str, str, bool]] = {
    "resolved": ("回访满意", "Satisfied after the call", True),
    "dissatisfied": ("仍不满意", "Still dissatisfied", True),
    "unreachable": ("未接通", "Not reached", False),  # call again
    "refused": ("拒绝回访", "Declined the call", True),
}
CALLERS = frozenset({Role.OPERATOR, Role.SHIFT_LEAD})  # the centre's hotline seats make the calls
STATUSES = ("pending", "done", "all")
LIST_LIMIT = 1000


def sees_contact(actor: Actor) -> bool:
    return actor.role in CALLERS


async def _calls(ids: list[int]) -> dict[int, list[FollowUpCallOut]]:
    """The calls made about each entry, oldest first."""
    calls: dict[int, list[FollowUpCallOut]] = {}
    if not ids:
        return calls
    for c in await FollowUpCall.select().where(FollowUpCall.entry.is_in(ids)).order_by(FollowUpCall.id):
        zh, en, _ = OUTCOMES.get(c["outcome"], (c["outcome"], c["outcome"], False))
        calls.setdefault(c["entry"], []).append(FollowUpCallOut(
            at=c["called_at"], caller_name=c["caller_name"], outcome=c["outcome"], outcome_zh=zh, outcome_en=en,
            note=c["note"]))
    return calls


def _done(made: list[FollowUpCallOut]) -> bool:
    return bool(made) and OUTCOMES.get(made[-1].outcome, ("", "", False))[2]


async def _items(entries: list[dict[str, Any]], actor: Actor,
                 calls: dict[int, list[FollowUpCallOut]] | None = None) -> list[FollowUpItem]:
    """``entries``: {entry, kind, case_id, at, unit_id} rows; the rest is looked up in a few queries (``calls``:
    already looked up)."""
    if not entries:
        return []
    ids = [e["entry"] for e in entries]
    case_ids = sorted({e["case_id"] for e in entries})
    notes = {r["id"]: r["note"] for r in await TimelineEntry.select(TimelineEntry.id, TimelineEntry.note).where(
        TimelineEntry.id.is_in(ids))}
    cases = {r["id"]: r for r in await Case.select(
        Case.id, Case.tracking_no, Case.category_name, Case.unit, Case.reporter,
        Case.reporter.display_name.as_alias("reporter_name"), Case.reporter.phone.as_alias("reporter_phone"),
        Case.reporter.anonymous.as_alias("reporter_anonymous"),
    ).where(Case.id.is_in(case_ids))}
    units = {r["id"]: r["name"] for r in await Unit.select(Unit.id, Unit.name)}
    if calls is None:
        calls = await _calls(ids)
    show = sees_contact(actor)
    out = []
    for e in entries:
        case = cases.get(e["case_id"])
        if case is None:
            continue
        made = calls.get(e["entry"], [])
        done = _done(made)
        contact = None
        if show:
            anonymous = bool(case["reporter_anonymous"])
            contact = Contact(name="" if anonymous else case["reporter_name"] or "", phone=case["reporter_phone"] or "")
        unit_id = e.get("unit_id") or case["unit"]
        out.append(FollowUpItem(
            entry=e["entry"], kind=e["kind"], case_id=case["id"], tracking_no=case["tracking_no"], at=e["at"],
            category_name=case["category_name"], unit_name=units.get(unit_id or 0, ""), words=notes.get(e["entry"], ""),
            status="done" if done else "pending", contact=contact, contact_hidden=not show, calls=made))
    return out


async def worklist(actor: Actor, p: Period, status: str) -> FollowUpList:
    """Every dissatisfied rating and every reopening in the period, newest first."""
    rated = await EvalRating.select(EvalRating.entry, EvalRating.case_id, EvalRating.at, EvalRating.unit_id).where(
        (EvalRating.satisfied == False) & (EvalRating.at >= p.start) & (EvalRating.at < p.cutoff))
    reopened = await TimelineEntry.select(TimelineEntry.id, TimelineEntry.case, TimelineEntry.at).where(
        (TimelineEntry.action == "reopen") & (TimelineEntry.at >= p.start) & (TimelineEntry.at < p.cutoff))
    entries = [{"entry": r["entry"], "kind": "dissatisfied", "case_id": r["case_id"], "at": r["at"],
                "unit_id": r["unit_id"]} for r in rated]
    entries += [{"entry": r["id"], "kind": "reopened", "case_id": r["case"], "at": r["at"], "unit_id": None}
                for r in reopened]
    entries.sort(key=lambda e: (_utc(e["at"]), e["entry"]), reverse=True)
    # The status of every entry from its calls (one query); the items (case, words, contact) only for the page shown.
    calls = await _calls([e["entry"] for e in entries])
    done = {e["entry"] for e in entries if _done(calls.get(e["entry"], []))}
    counts = {"done": len(done), "pending": len(entries) - len(done)}
    shown = [e for e in entries if status == "all" or (e["entry"] in done) == (status == "done")]
    items = await _items(shown[:LIST_LIMIT], actor, calls)
    return FollowUpList(items=items, total=len(shown), truncated=len(shown) > LIST_LIMIT,
                        pending=counts["pending"], done=counts["done"], contact_hidden=not sees_contact(actor))


def _utc(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(UTC)


async def record(actor: Actor, entry: int, outcome: str, note: str) -> FollowUpItem:
    """Record one call about ``entry``: 404 unless it is a dissatisfied rating or a reopening, 409 once settled."""
    if not 0 < entry < 2**31:  # beyond the id column's range: nothing to look up
        raise NotFound("没有这条待回访记录", "No such follow-up", code="followup.unknown")
    row = await TimelineEntry.select(TimelineEntry.id, TimelineEntry.case, TimelineEntry.at, TimelineEntry.action,
                                     TimelineEntry.data).where(TimelineEntry.id == entry).output(load_json=True).first()
    kind = None
    if row is not None and row["action"] == "reopen":
        kind = "reopened"
    elif row is not None and row["action"] == "rate" and not (row["data"] or {}).get("satisfied"):
        kind = "dissatisfied"
    if row is None or kind is None:
        raise NotFound("没有这条待回访记录", "No such follow-up", code="followup.unknown")
    before = await _items([{"entry": entry, "kind": kind, "case_id": row["case"], "at": row["at"], "unit_id": None}],
                          actor)
    if before and before[0].status == "done":
        raise Conflict("这条回访已完成", "This follow-up is already done", code="followup.done")
    await FollowUpCall.insert(FollowUpCall(
        case_id=row["case"], entry=entry, caller_id=actor.id, caller_name=(actor.display_name or actor.username)[:64],
        called_at=datetime.now(UTC), outcome=outcome, note=note))
    unit = await EvalRating.select(EvalRating.unit_id).where(EvalRating.entry == entry).first()
    items = await _items([{"entry": entry, "kind": kind, "case_id": row["case"], "at": row["at"],
                           "unit_id": unit["unit_id"] if unit else None}], actor)
    return items[0]
