"""Who may see a case and who may act on it: visibility, ownership, and the actions allowed now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.cases.clock import now
from backend.cases.lifecycle import BY_ACTION, TRANSITIONS, Owner, State, Transition
from backend.cases.schemas import ActionOut
from backend.cases.tables import Case
from backend.errors import Forbidden
from backend.live.topics import TopicRules
from backend.settings import Settings


def can_see(actor: Actor, case: Case) -> bool:
    if actor.is_centre:
        return True
    if case.reporter == actor.id:
        return True
    if actor.role is Role.UNIT_STAFF:
        return actor.unit_id is not None and case.unit == actor.unit_id
    if actor.role is Role.SUPERVISOR:
        return case.assigned_supervisor == actor.id or case.responsibility_grid in actor.grids
    return False


def ensure_visible(actor: Actor, case: Case) -> None:
    if not can_see(actor, case):
        raise Forbidden("无权查看此案件", "This case is not yours to see", code="case.not_yours")


def owns(actor: Actor, case: Case, owner: Owner) -> bool:
    if owner is Owner.ANY:
        return True
    if owner is Owner.UNIT:
        return actor.unit_id is not None and case.unit == actor.unit_id
    if owner is Owner.REPORTER:
        return bool(case.reporter == actor.id)
    # A task with no supervisor assigned may be taken by any supervisor of the case's grid, or any at all
    # when the case lies outside every grid.
    if case.assigned_supervisor is not None:
        return bool(case.assigned_supervisor == actor.id)
    return not case.responsibility_grid or case.responsibility_grid in actor.grids


def may(actor: Actor, case: Case, t: Transition) -> bool:
    return actor.role in t.roles and owns(actor, case, t.owner)


def blocked_reason(settings: Settings, case: Case, t: Transition) -> tuple[str, str, str] | None:
    """Conditions beyond the state: (code, zh, en) when the action cannot be done now."""
    if t.action == "rate" and case.rating is not None:
        return "case.already_rated", "已评价过", "Already rated"
    if t.action == "reopen" and case.closed_at is not None:
        if now() - case.closed_at > timedelta(days=settings.reopen_days):
            return (
                "case.reopen_expired",
                f"结案超过{settings.reopen_days}天，不能重新打开",
                f"Closed more than {settings.reopen_days} days ago; it can no longer be reopened",
            )
    if t.action == "dismiss_duplicate" and case.likely_duplicate_of is None:
        return "case.no_duplicate_candidate", "没有待确认的疑似重复", "There is no likely duplicate to dismiss"
    if t.action == "file" and not case.category_code:
        return "case.category_required", "请先确定案件分类再立案", "Choose a category before filing"
    return None


def allowed_actions(settings: Settings, actor: Actor, case: Case) -> list[ActionOut]:
    if not can_see(actor, case):
        return []
    state = State(case.state)
    return [
        ActionOut(action=t.action, name_zh=t.name_zh, name_en=t.name_en, required=list(t.required))
        for t in TRANSITIONS
        if state in t.sources and may(actor, case, t) and blocked_reason(settings, case, t) is None
    ]


def transition(action: str) -> Transition | None:
    return BY_ACTION.get(action)


def describe_allowed(settings: Settings, actor: Actor, case: Case) -> dict[str, Any]:
    return {
        "state": case.state,
        "allowed": [a.action for a in allowed_actions(settings, actor, case)],
    }


async def find_case(case_id: int) -> Case | None:
    """The case or None: what the rules handed to lower domains (live topics, photos) look cases up with."""
    return await Case.objects().get(Case.id == case_id)


def topic_rules() -> TopicRules:
    """Who may watch a ``case:N`` topic: whoever may see the case (handed to the live hub when the app is wired)."""
    return TopicRules(find_case, can_see)
