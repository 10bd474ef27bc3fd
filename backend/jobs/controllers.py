"""The dead letter, for admins: jobs that ran out of attempts, what they said, and a way to run them again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter

from backend.accounts.auth import provide_actor, require_role
from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.audit.service import record_request
from backend.errors import Conflict
from backend.jobs import queue


class FailedJobOut(msgspec.Struct):
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    last_error: str
    created_at: datetime
    failed_at: datetime | None


class RetriedOut(msgspec.Struct):
    id: int
    status: str


class JobAdminController(Controller):
    path = "/api/v1/admin/jobs"
    tags = ["admin"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/failed", operation_id="listFailedJobs", summary="失败任务 Jobs that ran out of attempts (admin)")
    async def failed(
        self,
        actor: Actor,
        kind: Annotated[str | None, Parameter(max_length=32, pattern=r"^[a-z_]+$")] = None,
        before_id: Annotated[int | None, Parameter(ge=1, le=2**62)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[FailedJobOut]:
        require_role(actor, Role.ADMIN)
        rows = await queue.dead_letters(kind, limit, before_id)
        return [FailedJobOut(id=r["id"], kind=r["kind"], payload=r["payload"] or {}, attempts=r["attempts"],
                             last_error=r["last_error"], created_at=r["created_at"], failed_at=r["finished_at"])
                for r in rows]

    @post("/{job_id:int}/retry", operation_id="retryJob", status_code=200,
          summary="重新执行任务 Put a failed job back in the queue (admin)")
    async def retry(self, request: Request[Any, Any, Any], actor: Actor, job_id: int) -> RetriedOut:
        require_role(actor, Role.ADMIN)
        if not await queue.retry(job_id):
            raise Conflict("只有失败的任务可以重新执行", "Only a failed job can be retried", code="job.not_failed",
                           details={"job_id": job_id})
        await record_request(request, "jobs.retried", actor_id=actor.id, actor_name=actor.username,
                             target=f"job:{job_id}")
        wake = request.app.state.ctx.extras.get("wake")
        if wake is not None:
            wake()
        return RetriedOut(id=job_id, status="pending")
