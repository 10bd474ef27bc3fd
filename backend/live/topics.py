"""Which live topics an actor may watch: one rule per topic kind, and the natural topics of each role.

Live knows no cases: who may see one is the cases domain's rule, handed in as ``TopicRules`` when the app is wired.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backend.accounts.roles import Role
from backend.accounts.services import Actor

# Case actions after which someone who could see the case may no longer: its unit, supervisor or grid changed.
OWNER_CHANGING = frozenset({"triage", "reroute", "request_verify", "assign_supervisor", "dispatch", "approve_return",
                            "report_back"})


def natural_topics(actor: Actor) -> list[str]:
    """What a role watches when it does not ask for anything in particular."""
    if actor.is_centre:
        return ["command"]
    if actor.role is Role.UNIT_STAFF:
        return [f"unit:{actor.unit_id}"] if actor.unit_id is not None else []
    if actor.role is Role.SUPERVISOR:
        return [f"supervisor:{actor.id}", *(f"grid:{code}" for code in actor.grids)]
    return [f"reporter:{actor.id}"]


def _int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


@dataclass(frozen=True)
class TopicRules:
    """``load_case(id)`` gives the case or None; ``can_see(actor, case)`` says whether the actor may see it."""

    load_case: Callable[[int], Awaitable[Any | None]]
    can_see: Callable[[Actor, Any], bool]

    def may_see_case(self, actor: Actor, case: Any | None) -> bool:
        # An unknown case is refused like someone else's, so ids cannot be probed.
        return case is not None and self.can_see(actor, case)

    async def may_watch(self, actor: Actor, topic: str) -> bool:
        kind, _, key = topic.partition(":")
        if topic == "command":
            return actor.is_centre
        if kind == "grid" and key:
            return actor.is_centre or key in actor.grids
        ident = _int(key)
        if ident is None:
            return False
        if kind == "case":
            return self.may_see_case(actor, await self.load_case(ident))
        if kind == "reporter":
            return ident == actor.id
        if kind == "unit":
            return actor.is_centre or ident == actor.unit_id
        if kind == "supervisor":
            return ident == actor.id and actor.role is Role.SUPERVISOR
        return False

    async def refused(self, actor: Actor, topics: list[str]) -> list[str]:
        """The topics in ``topics`` the actor may not watch (empty: all allowed)."""
        return [topic for topic in topics if not await self.may_watch(actor, topic)]


async def _no_case(case_id: int) -> None:
    return None


# Until the app hands in the cases domain's rules, every case topic is refused (fail closed).
NO_CASES = TopicRules(_no_case, lambda actor, case: False)
