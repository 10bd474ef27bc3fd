"""Request authentication: the bearer token (or ``?token=`` on websockets) becomes an ``Actor``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State

from backend.accounts.roles import Role
from backend.accounts.services import Actor, actor_for_token
from backend.context import AppContext
from backend.errors import Forbidden, NotAuthenticated


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return connection.query_params.get("token") or None


async def provide_actor(request: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    token = bearer_token(request)
    if not token:
        raise NotAuthenticated()
    if len(token) > 200:
        raise NotAuthenticated("登录凭证无效", "Invalid credential", code="auth.invalid")
    return await actor_for_token(token)


async def provide_optional_actor(request: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    return await provide_actor(request) if bearer_token(request) else None


def provide_ctx(state: State) -> AppContext:
    ctx: AppContext = state.ctx
    return ctx


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(
            "你的角色无权执行此操作", "Your role may not do this", code="auth.role_forbidden",
            details={"roles": [r.value for r in roles]},
        )
