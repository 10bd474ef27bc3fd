"""HTTP endpoints of the evaluation (综合考评): tables per subject, drill-downs to the cases, the scoring scheme."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only, centre_only, roles
from backend.accounts.roles import CENTRE_ROLES, Role
from backend.audit.service import record_request
from backend.context import Ctx
from backend.db import write_transaction
from backend.evaluation import services
from backend.evaluation.followup import CALLERS
from backend.evaluation.schemas import (
    Drill,
    EvaluationTable,
    FollowUpCallIn,
    FollowUpItem,
    FollowUpList,
    SchemeIn,
    SchemeOut,
)
from backend.evaluation.tables import FollowUpCall

First = Annotated[date | None, QueryParameter(name="from", description="first day (local); default: this month")]
Last = Annotated[date | None, QueryParameter(name="to", description="last day (local), included; default: today")]
AsOf = Annotated[datetime | None, QueryParameter(description="count only what the timeline held at this instant")]
Compare = Annotated[bool, QueryParameter(description="add each row's figures for the previous period")]
Level = Annotated[str, QueryParameter(description="grid | community | street | district")]

centre_or_unit = roles(*CENTRE_ROLES, Role.UNIT_STAFF)


class EvaluationController(Controller):
    path = "/api/v1/evaluation"
    tags = ["evaluation"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/units", operation_id="evaluateUnits", guards=[centre_or_unit],
         summary="责任单位考评 Units' figures, scores and grades (a unit's staff: their own unit)")
    async def units(self, ctx: Ctx, actor: CurrentActor, date_from: First = None, date_to: Last = None,
                    as_of: AsOf = None, compare: Compare = False) -> EvaluationTable:
        only = services.own_unit(actor, None)
        return await services.table(ctx, "unit", services.period(ctx, date_from, date_to, as_of), only=only,
                                    compare=compare)

    @get("/units/{unit_id:int}", operation_id="evaluateUnit", guards=[centre_or_unit],
         summary="一个责任单位的考评 One unit's figures (its own staff or the centre)")
    async def unit(self, ctx: Ctx, actor: CurrentActor, unit_id: FromPath[int], date_from: First = None, date_to: Last = None,
                   as_of: AsOf = None, compare: Compare = False) -> EvaluationTable:
        services.own_unit(actor, unit_id)
        await services.check_key("unit", str(unit_id), None)
        return await services.table(ctx, "unit", services.period(ctx, date_from, date_to, as_of), only=unit_id,
                                    compare=compare)

    @get("/units/{unit_id:int}/figures/{figure:str}", operation_id="drillUnit", guards=[centre_or_unit],
         summary="指标明细 The cases behind one of a unit's figures")
    async def unit_drill(self, ctx: Ctx, actor: CurrentActor, unit_id: FromPath[int], figure: FromPath[str],
                         date_from: First = None, date_to: Last = None, as_of: AsOf = None) -> Drill:
        services.own_unit(actor, unit_id)
        return await services.drill(ctx, "unit", str(unit_id), figure,
                                    services.period(ctx, date_from, date_to, as_of))

    @get("/areas", operation_id="evaluateAreas", guards=[centre_only],
         summary="区域考评 Areas' figures at one level (centre)")
    async def areas(self, ctx: Ctx, level: Level = "street", date_from: First = None, date_to: Last = None,
                    as_of: AsOf = None, compare: Compare = False) -> EvaluationTable:
        return await services.table(ctx, "area", services.period(ctx, date_from, date_to, as_of), level=level,
                                    compare=compare)

    @get("/areas/{level:str}/{code:str}/figures/{figure:str}", operation_id="drillArea", guards=[centre_only],
         summary="区域指标明细 The cases behind one of an area's figures (centre)")
    async def area_drill(self, ctx: Ctx, level: FromPath[str], code: FromPath[str], figure: FromPath[str],
                         date_from: First = None, date_to: Last = None, as_of: AsOf = None) -> Drill:
        return await services.drill(ctx, "area", code, figure, services.period(ctx, date_from, date_to, as_of),
                                    level=level)

    @get("/supervisors", operation_id="evaluateSupervisors", guards=[centre_only],
         summary="监督员考评 Supervisors' figures (centre)")
    async def supervisors(self, ctx: Ctx, date_from: First = None, date_to: Last = None, as_of: AsOf = None,
                          compare: Compare = False) -> EvaluationTable:
        return await services.table(ctx, "supervisor", services.period(ctx, date_from, date_to, as_of),
                                    compare=compare)

    @get("/supervisors/{user_id:int}/figures/{figure:str}", operation_id="drillSupervisor", guards=[centre_only],
         summary="监督员指标明细 The cases behind one of a supervisor's figures (centre)")
    async def supervisor_drill(self, ctx: Ctx, user_id: FromPath[int], figure: FromPath[str], date_from: First = None,
                               date_to: Last = None, as_of: AsOf = None) -> Drill:
        return await services.drill(ctx, "supervisor", str(user_id), figure,
                                    services.period(ctx, date_from, date_to, as_of))

    @get("/dispatchers", operation_id="evaluateDispatchers", guards=[centre_only],
         summary="派遣员考评 Dispatchers' figures (centre)")
    async def dispatchers(self, ctx: Ctx, date_from: First = None, date_to: Last = None, as_of: AsOf = None,
                          compare: Compare = False) -> EvaluationTable:
        return await services.table(ctx, "dispatcher", services.period(ctx, date_from, date_to, as_of),
                                    compare=compare)

    @get("/dispatchers/{user_id:int}/figures/{figure:str}", operation_id="drillDispatcher", guards=[centre_only],
         summary="派遣员指标明细 The cases behind one of a dispatcher's figures (centre)")
    async def dispatcher_drill(self, ctx: Ctx, user_id: FromPath[int], figure: FromPath[str], date_from: First = None,
                               date_to: Last = None, as_of: AsOf = None) -> Drill:
        return await services.drill(ctx, "dispatcher", str(user_id), figure,
                                    services.period(ctx, date_from, date_to, as_of))

    @get("/scheme", operation_id="evaluationScheme", guards=[centre_only],
         summary="考评方案 The weights and grade thresholds in force (centre)")
    async def scheme(self) -> SchemeOut:
        return await services.get_scheme()

    @put("/scheme", operation_id="setEvaluationScheme", guards=[admin_only],
         summary="修改考评方案 Change weights or grade thresholds (admin; audited)")
    async def set_scheme(self, request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[SchemeIn]) -> SchemeOut:
        before = await services.get_scheme()
        out = await services.set_scheme(actor, data.weights, data.grades)
        await record_request(request, "settings.changed", actor_id=actor.id, actor_name=actor.username,
                             target="evaluation.scheme", details={
                                 "weights": out.weights, "grades": out.grades,
                                 "before": {"weights": before.weights, "grades": before.grades},
                                 "after": {"weights": out.weights, "grades": out.grades}})
        return out


class FollowUpController(Controller):
    """回访: the centre calls back citizens who rated a case dissatisfied or reopened it, and records the outcome."""

    path = "/api/v1/evaluation/followups"
    tags = ["evaluation"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/", operation_id="followUps", guards=[centre_only],
         summary="待回访 Dissatisfied ratings and reopened cases of a period (the citizen's contact: hotline seats only)")
    async def worklist(
        self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor, date_from: First = None,
        date_to: Last = None, status: Annotated[str, QueryParameter(description="pending | done | all")] = "pending",
    ) -> FollowUpList:
        out = await services.followups(ctx, actor, services.period(ctx, date_from, date_to, None), status)
        shown = sorted({i.case_id for i in out.items if i.contact is not None and (i.contact.name or i.contact.phone)})
        if shown:  # citizens' names and phone numbers were shown: who saw whose, kept (PIPL), not the numbers
            await record_request(request, "followup.contacts_viewed", actor_id=actor.id, actor_name=actor.username,
                                 details={"cases": shown[:200], "count": len(shown)})
        return out

    @post("/{entry:int}/calls", operation_id="recordFollowUp", guards=[roles(*CALLERS)], status_code=201,
          summary="记录回访 Record a call back and its outcome (operator, shift lead; audited)")
    async def record(self, request: Request[Any, Any, Any], ctx: Ctx, actor: CurrentActor, entry: FromPath[int],
                     data: JSONBody[FollowUpCallIn]) -> FollowUpItem:
        # The call and its audit entry are one write: neither is kept without the other.
        async with write_transaction(FollowUpCall._meta.db):
            item = await services.record_call(ctx, actor, entry, data.outcome, data.note)
            # The note may name the citizen: the audit keeps the outcome and the note's length, not its words.
            await record_request(request, "followup.recorded", actor_id=actor.id, actor_name=actor.username,
                                 target=f"case:{item.case_id}", details={
                                     "entry": entry, "kind": item.kind, "outcome": data.outcome,
                                     "note_chars": len(data.note.strip())})
        return item
