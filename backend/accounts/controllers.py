"""HTTP endpoints for login, logout, password changes, device credentials, the current user, user administration
and the security audit log. Every credential event is audited; every ended session also closes its websockets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.stores.base import Store

from backend.accounts import bulk, services, sessions, users
from backend.accounts.auth import CurrentActor, provide_actor
from backend.accounts.guards import admin_only, centre_only
from backend.accounts.roles import ROLE_NAMES, Role
from backend.accounts.schemas import (
    AuditOut,
    ImportedUserOut,
    LoginIn,
    LogoutIn,
    PasswordChangeIn,
    TokenOut,
    UserImportOut,
    UserIn,
    UserOut,
    UserPatch,
)
from backend.accounts.services import Actor
from backend.accounts.throttle import LOCKOUT_STORE
from backend.audit import service as audit
from backend.context import Ctx
from backend.errors import InvalidInput
from backend.org.files import MAX_BYTES
from backend.org.schemas import ProblemOut

AuditAction = Annotated[str | None, QueryParameter(max_length=40)]


def user_out(actor: Actor) -> UserOut:
    zh, en = ROLE_NAMES[actor.role]
    return UserOut(
        id=actor.id, username=actor.username, display_name=actor.display_name, role=actor.role.value,
        role_zh=zh, role_en=en, unit_id=actor.unit_id, anonymous=actor.anonymous, grids=list(actor.grids),
        must_change_password=actor.must_change_password,
    )


def _lockouts(request: Request[Any, Any, Any]) -> Store:
    return request.app.stores.get(LOCKOUT_STORE)


def _caller(request: Request[Any, Any, Any], actor: Actor) -> users.Caller:
    ip, agent = audit.request_meta(request)
    return users.Caller(actor, ip, agent)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/login", operation_id="login", summary="登录 Log in with username and password", status_code=200)
    async def login(self, ctx: Ctx, request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> TokenOut:
        done = await sessions.log_in(ctx, _lockouts(request), data.username, data.password,
                                     *audit.request_meta(request))
        actor = await services.actor_for_user(done.user.id)
        return TokenOut(token=done.token, expires_at=done.expires_at, user=user_out(actor),
                        must_change_password=done.must_change_password)

    @post("/device", operation_id="createDevice", summary="匿名设备凭证 An anonymous citizen's device credential",
          status_code=201)
    async def device(self, ctx: Ctx, request: Request[Any, Any, Any]) -> TokenOut:
        token, expires, user = await sessions.new_device(ctx, audit.request_meta(request)[1])
        return TokenOut(token=token, expires_at=expires, user=user_out(await services.actor_for_user(user.id)))

    @post("/logout", operation_id="logout", status_code=204, dependencies={"actor": Provide(provide_actor)},
          summary="退出 Log out: this session, or every session of this user (everywhere=true)")
    async def logout(self, ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor,
                     data: JSONBody[LogoutIn | None] = None) -> None:
        everywhere = bool(data and data.everywhere)
        ended = await sessions.log_out(ctx, actor, everywhere, *audit.request_meta(request))
        await ctx.bus.end_sessions(actor.id, None if everywhere else ended)

    @post("/password", operation_id="changePassword", status_code=200, dependencies={"actor": Provide(provide_actor)},
          summary="修改密码 Change your password: every session ends and this answer carries a new one")
    async def change_password(self, ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor,
                              data: JSONBody[PasswordChangeIn]) -> TokenOut:
        token, expires = await sessions.change_password(ctx, actor, data.current_password, data.new_password,
                                                        *audit.request_meta(request))
        await ctx.bus.end_sessions(actor.id)
        return TokenOut(token=token, expires_at=expires, user=user_out(await services.actor_for_user(actor.id)))


class UserController(Controller):
    path = "/api/v1"
    tags = ["accounts"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/me", operation_id="me", summary="当前用户 The current user")
    async def me(self, actor: CurrentActor) -> UserOut:
        return user_out(actor)

    @get("/users", guards=[centre_only], operation_id="listUsers",
         summary="用户列表 List users (admin; centre staff may list supervisors)")
    async def list_users(
        self, actor: CurrentActor, role: Annotated[str | None, QueryParameter(max_length=16)] = None
    ) -> list[UserOut]:
        if actor.role is not Role.ADMIN and role != Role.SUPERVISOR.value:
            raise InvalidInput("只能查询监督员列表", "Only the supervisor list is available to your role",
                               code="user.list_forbidden")
        return await users.list_users(role)

    @post("/users", guards=[admin_only], operation_id="createUser",
          summary="创建用户 Create a user (admin; must change the password)")
    async def create_user(self, ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor,
                          data: JSONBody[UserIn]) -> UserOut:
        return await users.create(ctx, _caller(request, actor), data)

    @post("/users/import", guards=[admin_only], operation_id="importUsers", status_code=200,
          request_max_body_size=MAX_BYTES,
          summary="批量导入用户 Create users from a CSV or XLSX file (the raw file as the body; dry_run=true only checks)")
    async def import_users(self, ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor,
                           dry_run: FromQuery[bool] = False, filename: FromQuery[str] = "") -> UserImportOut:
        data = await request.body()
        if not data:
            raise InvalidInput("请上传文件", "Send the file as the request body", code="org.empty_file")
        result = await bulk.import_users(ctx, _caller(request, actor), data, filename[:200], dry_run=dry_run)
        if result.problems and not dry_run:
            raise InvalidInput(f"导入被拒绝：{len(result.problems)} 处错误，未创建任何用户",
                               f"Import refused: {len(result.problems)} problems, no user was created",
                               code="user.import_refused", details={
                                   "count": len(result.problems),
                                   "problems": [p.as_dict() for p in result.problems[:500]]})
        return UserImportOut(applied=result.applied, rows=result.rows,
                             problems=[ProblemOut(**p.as_dict()) for p in result.problems[:500]],
                             created=[ImportedUserOut(**c) for c in result.created])

    @patch("/users/{user_id:int}", guards=[admin_only], operation_id="updateUser",
           summary="修改用户 Update, deactivate, reset or re-role a user (admin)")
    async def update_user(self, ctx: Ctx, request: Request[Any, Any, Any], actor: CurrentActor, user_id: FromPath[int],
                          data: JSONBody[UserPatch]) -> UserOut:
        change = await users.update(ctx, _caller(request, actor), user_id, data)
        if change.sessions_ended:
            await ctx.bus.end_sessions(user_id)
        for other in change.rights_changed:
            await ctx.bus.rights_changed(other)
        return change.user

    @post("/users/{user_id:int}/unlock", guards=[admin_only], operation_id="unlockUser", status_code=200,
          summary="解锁账号 Lift a login lockout (admin)")
    async def unlock_user(self, request: Request[Any, Any, Any], actor: CurrentActor,
                          user_id: FromPath[int]) -> dict[str, bool]:
        return {"was_locked": await users.unlock(_caller(request, actor), _lockouts(request), user_id)}

    @get("/admin/audit/actions", guards=[admin_only], operation_id="listAuditActions",
         summary="审计动作 Every action the audit log records, with its names (admin)")
    async def audit_actions(self) -> list[dict[str, str]]:
        return [{"action": a, "name_zh": zh, "name_en": en} for a, (zh, en) in sorted(audit.ACTIONS.items())]

    @get("/admin/audit", guards=[admin_only], operation_id="searchAudit",
         summary="安全审计日志 Search the security audit log (admin)")
    async def audit_log(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        action: AuditAction = None,
        actor_name: Annotated[str | None, QueryParameter(max_length=64)] = None,
        target: Annotated[str | None, QueryParameter(max_length=128)] = None,
        outcome: Annotated[str | None, QueryParameter(pattern=r"^(ok|denied|failed)$")] = None,
        ip: Annotated[str | None, QueryParameter(max_length=64)] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[AuditOut]:
        if action and action not in audit.ACTIONS:
            raise InvalidInput(f"未知的审计动作：{action}", f"Unknown audit action: {action}", code="audit.bad_action",
                               details={"allowed": sorted(audit.ACTIONS)})
        rows = await audit.search(action=action, actor_name=actor_name, target=target, outcome=outcome, ip=ip,
                                  since=since, until=until, before_id=before_id, limit=limit)
        meta = audit.request_meta(request)
        await audit.record("audit.searched", actor_id=actor.id, actor_name=actor.username, ip=meta[0],
                           user_agent=meta[1], details={"action": action, "target": target, "results": len(rows)})
        return [AuditOut(id=r["id"], at=r["at"], action=r["action"], action_zh=audit.ACTIONS[r["action"]][0],
                         action_en=audit.ACTIONS[r["action"]][1], outcome=r["outcome"], actor_id=r["actor_id"],
                         actor_name=r["actor_name"], ip=r["ip"], user_agent=r["user_agent"], target=r["target"],
                         details=r["details"] or {}) for r in rows]
