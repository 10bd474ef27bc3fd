"""What each lifecycle action does to a case: the state-specific changes, called by ``services.perform``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.accounts.tables import SupervisorGrid, User
from backend.cases import clock
from backend.cases.lifecycle import OPEN_STATES, RESULT_TARGETS, Transition
from backend.cases.schemas import ActionIn
from backend.cases.tables import Case, ClassificationLabel
from backend.errors import InvalidInput
from backend.org.tables import Unit

if TYPE_CHECKING:
    from backend.cases.change import CaseChange


async def grid_supervisor(grid_code: str) -> int | None:
    if not grid_code:
        return None
    row = await SupervisorGrid.select(SupervisorGrid.user).where(SupervisorGrid.grid.code == grid_code).first()
    return row["user"] if row else None


async def _check_supervisor(user_id: int) -> int:
    user = await User.objects().get(User.id == user_id)
    if user is None or user.role != Role.SUPERVISOR.value or not user.active:
        raise InvalidInput(f"不是有效的监督员：{user_id}", f"Not an active supervisor: {user_id}",
                           code="user.not_supervisor")
    return user.id


async def apply(change: CaseChange, t: Transition, body: ActionIn) -> tuple[dict[str, Any], list[str]]:
    """Change the case for one action. Returns timeline data and extra event topics (e.g. a unit losing the case)."""
    ctx, actor, case = change.ctx, change.actor, change.case
    assert case is not None
    settings = ctx.settings
    now = clock.now()
    data: dict[str, Any] = {}
    extra: list[str] = []
    if t.target is not None:
        case.state = t.target.value
    match t.action:
        case "request_verify":
            sup = await _check_supervisor(body.supervisor_id) if body.supervisor_id else await grid_supervisor(
                case.responsibility_grid)
            case.assigned_supervisor = sup
            case.stage_due_at = clock.stage_due(settings, now, "verify")
            data["supervisor_id"] = sup
        case "assign_supervisor":
            assert body.supervisor_id is not None
            if case.assigned_supervisor:
                extra.append(f"supervisor:{case.assigned_supervisor}")
            case.assigned_supervisor = await _check_supervisor(body.supervisor_id)
            data["supervisor_id"] = case.assigned_supervisor
        case "verify":
            _require_result(t, body)
            case.state = RESULT_TARGETS["verify"][body.result].value  # type: ignore[index]
            flags = [f for f in case.flags or [] if f != "not_confirmed"]
            if body.result == "not_confirmed":
                flags.append("not_confirmed")
            case.flags = flags
            case.stage_due_at = None
            data["result"] = body.result
        case "accept_report":
            case.stage_due_at = None
        case "reclassify":
            assert actor is not None, "only people reclassify"
            await _reclassify(change, actor, case, body, data)
        case "file":
            case.filed_at = now
            case.stage_due_at = clock.stage_due(settings, now, "dispatch")
        case "void":
            case.stage_due_at = None
        case "link_duplicate":
            assert body.original_case_id is not None
            original = await Case.objects().output(load_json=True).get(Case.id == body.original_case_id)
            if original is None or original.id == case.id or original.state not in {s.value for s in OPEN_STATES}:
                raise InvalidInput("原案件不存在或已办结", "The original case does not exist or is no longer open",
                                   code="case.bad_original")
            case.duplicate_of = original.id
            case.stage_due_at = None
            data["original_case_id"] = original.id
            data["original_tracking_no"] = original.tracking_no
            extra.append(f"case:{original.id}")
        case "dismiss_duplicate":
            data["dismissed_candidate"] = case.likely_duplicate_of
            case.likely_duplicate_of = None
            case.flags = [f for f in case.flags or [] if f != "likely_duplicate"]
        case "dispatch":
            unit_id = body.unit_id or case.suggested_unit
            unit = await Unit.objects().get((Unit.id == unit_id) & (Unit.active == True))
            if unit is None:
                raise InvalidInput(f"责任单位不存在：{unit_id}", f"No such active unit: {unit_id}", code="unit.not_found")
            case.unit = unit.id
            start_clock(settings, case, now)
            # The deadline in force from this dispatch: the evaluation reads it from here, not from the calendar later.
            data.update(unit_id=unit.id, unit_name=unit.name, due_at=case.due_at.isoformat() if case.due_at else None)
        case "accept":
            case.accepted_at = now
            case.stage_due_at = None
        case "request_return":
            data["reason"] = body.reason
        case "approve_return":
            extra.append(f"unit:{case.unit}")
            data["returned_by_unit"] = case.unit
            case.unit = None
            case.return_count += 1
            case.due_at = None
            case.dispatched_at = None
            case.accepted_at = None
            case.stage_due_at = clock.stage_due(settings, now, "dispatch")
        case "request_extension":
            case.requested_extension_hours = body.extension_hours
            data["extension_hours"] = body.extension_hours
            data["reason"] = body.reason
        case "approve_extension":
            # The dispatcher may grant another length than was asked for.
            hours = body.extension_hours or case.requested_extension_hours or 0.0
            case.extension_minutes += int(round(hours * 60))
            case.requested_extension_hours = None
            clock.recompute_due(settings, case)
            data.update(extension_hours=hours, due_at=case.due_at.isoformat() if case.due_at else None)
        case "reject_extension":
            case.requested_extension_hours = None
        case "approve_suspension":
            case.paused_at = now
        case "resume":
            assert case.paused_at is not None
            case.pauses = [*(case.pauses or []), [case.paused_at.isoformat(), now.isoformat()]]
            case.paused_at = None
            clock.recompute_due(settings, case)
            data["due_at"] = case.due_at.isoformat() if case.due_at else None
        case "report_back":
            case.reported_back_at = now
            case.assigned_supervisor = (
                case.assigned_supervisor
                or await grid_supervisor(case.responsibility_grid)
                or (case.reporter if await _is_supervisor(case.reporter) else None)
            )
            case.stage_due_at = clock.stage_due(settings, now, "check")
        case "check":
            _require_result(t, body)
            case.state = RESULT_TARGETS["check"][body.result].value  # type: ignore[index]
            data["result"] = body.result
            if body.result == "fail":
                # 返工: the same unit again, on a fresh clock, counted against it.
                case.rework_count += 1
                case.reported_back_at = None
                case.accepted_at = None
                start_clock(settings, case, now)
                data["due_at"] = case.due_at.isoformat() if case.due_at else None
            else:
                case.stage_due_at = None
        case "close":
            case.closed_at = now
            case.stage_due_at = None
        case "rate":
            case.rating = 1 if body.satisfied else 0
            case.rating_comment = body.comment
            data["satisfied"] = bool(body.satisfied)
        case "reopen":
            data["previous_rating"] = case.rating
            case.reopen_count += 1
            case.closed_at = None
            case.rating = None
            case.rating_comment = ""
            case.reported_back_at = None
            case.stage_due_at = clock.stage_due(settings, now, "dispatch")
    return data, extra


def start_clock(settings: Any, case: Case, now: Any) -> None:
    """Dispatch starts a fresh handling clock (also after a failed check: 返工)."""
    case.dispatched_at = now
    case.accepted_at = None
    case.paused_at = None
    case.pauses = []
    case.extension_minutes = 0
    case.requested_extension_hours = None
    clock.recompute_due(settings, case)
    case.stage_due_at = clock.stage_due(settings, now, "accept")
    case.light = "green"


def _require_result(t: Transition, body: ActionIn) -> None:
    allowed = RESULT_TARGETS[t.action]
    if body.result not in allowed:
        raise InvalidInput(
            f"结果必须是：{' / '.join(allowed)}", f"result must be one of: {', '.join(allowed)}",
            code="case.bad_result", details={"allowed": sorted(allowed)},
        )


async def _is_supervisor(user_id: int) -> bool:
    return bool(await User.exists().where((User.id == user_id) & (User.role == Role.SUPERVISOR.value)))


async def _reclassify(change: CaseChange, actor: Actor, case: Case, body: ActionIn, data: dict[str, Any]) -> None:
    assert body.category_code is not None
    triage = change.ctx.triage
    # A switched-off 小类 may stay on a case that has it, but nobody chooses it anew.
    category = triage.category(body.category_code) if body.category_code == case.category_code else (
        triage.choosable(body.category_code))
    index = body.standard_index if body.standard_index is not None else 0
    if index >= len(category.standards):
        raise InvalidInput("立案条件序号超出范围", "standard_index is out of range", code="case.bad_standard_index")
    standard = category.standards[index]
    data.update(previous_code=case.category_code, code=category.code)
    await ClassificationLabel.insert(
        ClassificationLabel(case=case.id, text=case.description, code=category.code,
                            suggested_code=(case.suggestions[0]["code"] if case.suggestions else ""),
                            created_by=actor.id, created_at=clock.now())
    )
    if category.code != case.category_code:
        # Routing and the duplicate check depend on the category: run them again in the background.
        change.enqueue("reroute", {"case_id": case.id})
    case.category_code = category.code
    case.category_name = category.name
    case.category_kind = category.kind
    case.standard_index = index
    # A hazard the triage found (gas, a missing cover, a live wire…) keeps the case urgent whatever category it gets.
    hazard = any(r.get("kind") == "hazard" for top in (case.suggestions or [])[:1] for r in top.get("reasons", []))
    case.urgent = standard.urgent or hazard
    if hazard and not standard.urgent:
        data["kept_urgent"] = "hazard"
    case.time_limit = standard.time_limit.raw
    case.confidence = 1.0
