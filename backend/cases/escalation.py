"""Escalation: a periodic pass that turns the timer light of running cases yellow or red and tells everyone once.

Safe with several processes without any lock table: each change is a compare-and-set
(``UPDATE … WHERE id = ? AND light = <old>``), so only the process whose update lands writes the 'escalate' timeline
entry and the 'case.escalated' event (in the same transaction); the others see no row changed and do nothing.
A light that goes back down (an approved extension) is stored silently.
"""

from __future__ import annotations

import logging
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from backend.cases import clock
from backend.cases.lifecycle import CLOCK_RUNNING
from backend.cases.services import event_payload, topics_for
from backend.cases.tables import Case, TimelineEntry
from backend.context import AppContext
from backend.db import write_transaction
from backend.live.log import append_event, serialize_event_writes
from backend.loops import Loop

log = logging.getLogger("suishoupai.escalation")

RUNNING = [s.value for s in CLOCK_RUNNING]
RANK = {"green": 0, "yellow": 1, "red": 2}
TEXT = {
    "yellow": ("处置时限即将到期（黄灯）", "Handling deadline approaching (yellow)"),
    "red": ("已超过处置时限（红灯）", "Handling deadline passed (red)"),
}
_CLOCK_COLUMNS = (Case.id, Case.light, Case.dispatched_at, Case.time_limit, Case.pauses, Case.paused_at,
                  Case.extension_minutes)


async def changed_lights(ctx: AppContext, at: datetime) -> list[tuple[int, str, str]]:
    """(case id, stored light, light at ``at``) for every running case whose light moved."""
    rows = await Case.select(*_CLOCK_COLUMNS).output(load_json=True).where(Case.state.is_in(RUNNING))
    changes = []
    for row in rows:
        status = clock.timer(ctx.settings, SimpleNamespace(**row), at)
        if status is not None and status.light != row["light"]:
            changes.append((row["id"], row["light"], status.light))
    return changes


async def escalate_once(ctx: AppContext, now: datetime | None = None) -> list[dict[str, Any]]:
    """Recompute the lights as of ``now`` (default: the real time); returns the events published."""
    at = now or clock.now()
    changes = await changed_lights(ctx, at)
    if not changes:
        return []
    events: list[dict[str, Any]] = []
    async with write_transaction(ctx.engine):
        await serialize_event_writes(ctx.engine)
        for case_id, old, new in changes:
            landed = await Case.update({Case.light: new}).where(
                (Case.id == case_id) & (Case.light == old) & Case.state.is_in(RUNNING)
            ).returning(Case.id)
            if not landed or RANK[new] <= RANK[old]:
                continue
            case = await Case.objects().output(load_json=True).get(Case.id == case_id)
            assert case is not None
            zh, en = TEXT[new]
            await TimelineEntry.insert(TimelineEntry(
                case=case.id, at=at, actor=None, actor_role="system", action="escalate", from_state=case.state,
                to_state=case.state, note=zh, data={"from": old, "to": new, "due_at": _iso(case.due_at)},
            ))
            payload = event_payload(ctx, case, "escalate", "system", zh, en)
            payload["light"] = new
            events.append(await append_event("case.escalated", topics_for(case), payload, case.id))
    await ctx.bus.publish(events)
    return events


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class Escalator(Loop):
    """Runs ``escalate_once`` every ``settings.escalation_interval_seconds`` on the app's event loop."""

    def __init__(self, ctx: AppContext) -> None:
        async def round_() -> bool:
            await escalate_once(ctx)
            return False

        super().__init__("suishoupai-escalation", round_, ctx.settings.escalation_interval_seconds)
