"""Escalation: a periodic pass that turns the timer light of running cases yellow or red and tells everyone once.

Safe with several processes: each change goes through the case recorder, which holds the case's lock, and is made only
if the stored light is still the one read before, so only one process writes the 'escalate' timeline entry and the
'case.escalated' event; the others find the light already moved and do nothing.
A light that goes back down (an approved extension) is stored silently.
"""

from __future__ import annotations

import logging
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from backend.cases import clock
from backend.cases.change import case_change
from backend.cases.lifecycle import CLOCK_RUNNING
from backend.cases.tables import Case
from backend.context import AppContext
from backend.live.log import EventKind
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
    changes: list[tuple[int, str, str]] = []
    for row in rows:
        status = clock.timer(ctx.settings, SimpleNamespace(**row), at)
        if status is not None and status.light != row["light"]:
            changes.append((row["id"], row["light"], status.light))
    return changes


async def escalate_once(ctx: AppContext, now: datetime | None = None) -> list[dict[str, Any]]:
    """Recompute the lights as of ``now`` (default: the real time); returns the events published."""
    at = now or clock.now()
    events: list[dict[str, Any]] = []
    for case_id, old, new in await changed_lights(ctx, at):
        async with case_change(ctx, case_id, missing_ok=True) as change:
            case = change.case
            # Checked again under the lock: another process may have moved this light already.
            if case is None or case.light != old or case.state not in RUNNING:
                continue
            case.light = new
            if RANK[new] <= RANK[old]:
                change.store_only()
                continue
            change.record("escalate", from_state=case.state, kind=EventKind.CASE_ESCALATED, text=TEXT[new], note=TEXT[new][0],
                          data={"from": old, "to": new, "due_at": _iso(case.due_at)}, new_stage=False,
                          payload={"light": new})
        events += change.events
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
