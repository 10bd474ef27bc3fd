"""HTTP endpoints for login, logout, device credentials, the current user and (for admins) users."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from backend.accounts import services
from backend.accounts.auth import bearer_token, provide_actor, require_role
from backend.accounts.roles import ROLE_NAMES, Role
from backend.accounts.schemas import LoginIn, TokenOut, UserIn, UserOut, UserPatch
from backend.accounts.services import Actor
from backend.accounts.tables import SupervisorGrid, User
from backend.context import AppContext
from backend.errors import InvalidInput, NotFound
from backend.org.tables import ResponsibilityGrid


def user_out(actor: Actor) -> UserOut:
    zh, en = ROLE_NAMES[actor.role]
    return UserOut(
        id=actor.id, username=actor.username, display_name=actor.display_name, role=actor.role.value,
        role_zh=zh, role_en=en, unit_id=actor.unit_id, anonymous=actor.anonymous, grids=list(actor.grids),
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/login", operation_id="login", summary="登录 Log in with username and password", status_code=200)
    async def login(self, ctx: AppContext, data: LoginIn) -> TokenOut:
        token, expires, user = await services.login(
            data.username, data.password, timedelta(hours=ctx.settings.token_ttl_hours)
        )
        return TokenOut(token=token, expires_at=expires, user=user_out(await services.actor_for_user(user.id)))

    @post("/device", operation_id="createDevice", summary="匿名设备凭证 An anonymous citizen's device credential",
          status_code=201)
    async def device(self, ctx: AppContext) -> TokenOut:
        token, expires, user = await services.create_device(timedelta(days=ctx.settings.device_token_ttl_days))
        return TokenOut(token=token, expires_at=expires, user=user_out(await services.actor_for_user(user.id)))

    @post("/logout", operation_id="logout", summary="退出 Log out (revoke this token)", status_code=204,
          dependencies={"actor": Provide(provide_actor)})
    async def logout(self, request: Request[Any, Any, Any], actor: Actor) -> None:
        token = bearer_token(request)
        if token:
            await services.logout(token)


class UserController(Controller):
    path = "/api/v1"
    tags = ["accounts"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/me", operation_id="me", summary="当前用户 The current user")
    async def me(self, actor: Actor) -> UserOut:
        return user_out(actor)

    @get("/users", operation_id="listUsers", summary="用户列表 List users (admin; centre staff may list supervisors)")
    async def list_users(
        self, actor: Actor, role: Annotated[str | None, Parameter(max_length=16)] = None
    ) -> list[UserOut]:
        if actor.role is not Role.ADMIN:
            require_role(actor, Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER)
            if role != Role.SUPERVISOR.value:
                raise InvalidInput("只能查询监督员列表", "Only the supervisor list is available to your role",
                                   code="user.list_forbidden")
        query = User.select(User.id).where(User.anonymous == False).order_by(User.id)  # noqa: E712
        if role:
            query = query.where(User.role == role)
        return [user_out(await services.actor_for_user(r["id"])) for r in await query.limit(500)]

    @post("/users", operation_id="createUser", summary="创建用户 Create a user (admin)")
    async def create_user(self, actor: Actor, data: UserIn) -> UserOut:
        require_role(actor, Role.ADMIN)
        user = await services.create_user(
            data.username, data.password, Role(data.role), data.display_name, data.unit_code, data.phone
        )
        return user_out(await services.actor_for_user(user.id))

    @patch("/users/{user_id:int}", operation_id="updateUser", summary="修改用户 Update a user (admin)")
    async def update_user(self, actor: Actor, user_id: int, data: UserPatch) -> UserOut:
        require_role(actor, Role.ADMIN)
        user = await User.objects().get(User.id == user_id)
        if user is None:
            raise NotFound(f"用户不存在：{user_id}", f"No such user: {user_id}", code="user.not_found")
        if data.display_name is not None:
            user.display_name = data.display_name
        if data.active is not None:
            user.active = data.active
        if data.password is not None:
            user.password_hash = services.hash_password(data.password)
        await user.save()
        if data.grids is not None:
            if user.role != Role.SUPERVISOR.value:
                raise InvalidInput("只有监督员可以分配责任网格", "Only supervisors get responsibility grids",
                                   code="user.grids_for_supervisors")
            grids = await ResponsibilityGrid.select(ResponsibilityGrid.id, ResponsibilityGrid.code).where(
                ResponsibilityGrid.code.is_in(data.grids or ["-"]))
            if len(grids) != len(set(data.grids)):
                raise InvalidInput("存在未知的责任网格", "Unknown responsibility grid", code="grid.not_found")
            await SupervisorGrid.delete().where(SupervisorGrid.user == user.id)
            await SupervisorGrid.delete().where(SupervisorGrid.grid.is_in([g["id"] for g in grids] or [-1]))
            for g in grids:
                await SupervisorGrid.insert(SupervisorGrid(user=user.id, grid=g["id"]))
        return user_out(await services.actor_for_user(user.id))
