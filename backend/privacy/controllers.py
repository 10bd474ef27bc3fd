"""HTTP endpoints for the caller's personal information (PIPL): download it all, or delete the account. Both audited.

Plain route handlers rather than a Controller: ``DELETE /api/v1/me`` shares its path with ``GET /api/v1/me`` of the
UserController, and two controllers on one path each bring their own OPTIONS handler, which Litestar refuses.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, delete, get
from litestar.di import Provide
from litestar.params import JSONBody
from msgspec import Meta, Struct

from backend.accounts.auth import CurrentActor, provide_actor
from backend.audit import service as audit
from backend.context import Ctx
from backend.privacy import service as privacy

ACTOR = {"actor": Provide(provide_actor)}


class DeleteAccountIn(Struct, forbid_unknown_fields=True):
    """A password account sends its password; a device credential (no password) sends ``confirm: true``."""

    password: Annotated[str, Meta(max_length=128)] | None = None
    confirm: bool = False


@get("/api/v1/me/data", operation_id="exportMyData", tags=["accounts"], dependencies=ACTOR, security=[{"bearer": []}],
     summary="下载我的数据 Everything held about you (profile, reports, photos, ratings, sessions) as a JSON file")
async def export_my_data(ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor) -> Response[privacy.MyDataOut]:
    data = await privacy.export_data(ctx, actor)
    ip, agent = audit.request_meta(request)
    await audit.record("data.exported", actor_id=actor.id, actor_name=actor.username, ip=ip, user_agent=agent,
                       target=f"user:{actor.id}", details={"what": "personal_data"})
    name = f"suishoupai-my-data-{data.exported_at:%Y%m%d}.json"
    return Response(data, headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@delete("/api/v1/me", operation_id="deleteMyAccount", status_code=204, tags=["accounts"], dependencies=ACTOR,
        security=[{"bearer": []}],
        summary="注销账号 Delete your account: your reports stay, anonymised; staff ask an administrator")
async def delete_my_account(ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor,
                            data: JSONBody[DeleteAccountIn | None] = None) -> None:
    body = data or DeleteAccountIn()
    await privacy.delete_account(ctx, actor, body.password, body.confirm, *audit.request_meta(request))


PRIVACY_HANDLERS = (export_my_data, delete_my_account)
