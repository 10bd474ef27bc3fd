"""The dead letter, for admins: jobs that ran out of attempts, what they said, and a way to run them again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter

from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only
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
    guards = [admin_only]
    security = [{"bearer": []}]

    @get("/failed", operation_id="listFailedJobs", summary="失败任务 Jobs that ran out of attempts (admin)")
    async def failed(
        self,
        kind: Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[a-z_]+$")] = None,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[FailedJobOut]:
        rows = await queue.dead_letters(kind, limit, before_id)
        return [FailedJobOut(id=r["id"], kind=r["kind"], payload=r["payload"] or {}, attempts=r["attempts"],
                             last_error=r["last_error"], created_at=r["created_at"], failed_at=r["finished_at"])
                for r in rows]

    @post("/{job_id:int}/retry", operation_id="retryJob", status_code=200,
          summary="重新执行任务 Put a failed job back in the queue (admin)")
    async def retry(self, request: Request[Any, Any, Any], actor: CurrentActor, job_id: FromPath[int]) -> RetriedOut:
        if not await queue.retry(job_id):
            raise Conflict("只有失败的任务可以重新执行", "Only a failed job can be retried", code="job.not_failed",
                           details={"job_id": job_id})
        await record_request(request, "jobs.retried", actor_id=actor.id, actor_name=actor.username,
                             target=f"job:{job_id}")
        wake = request.app.state.ctx.extras.get("wake")
        if wake is not None:
            wake()
        return RetriedOut(id=job_id, status="pending")
