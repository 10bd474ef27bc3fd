"""Request authentication: the bearer token becomes an ``Actor``; credentials never travel in a URL."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency

from backend.accounts.services import Actor, actor_for_token
from backend.context import AppContext
from backend.errors import BadRequest, Forbidden, NotAuthenticated

# Query parameters that look like a credential: refused outright, so no client ever learns to put one in a URL
# (URLs end up in access logs, browser history and Referer headers).
CREDENTIAL_PARAMS = frozenset({"token", "access_token", "auth", "authorization", "password", "api_key"})
# What an account that must choose a new password may still do.
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/me", "/api/v1/auth/password", "/api/v1/auth/logout"})
MAX_TOKEN_LENGTH = 200
# How handlers ask for the signed-in user (provided by ``provide_actor``).
CurrentActor = NamedDependency[Actor]
_ACTOR_KEY = "actor"


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def refuse_credentials_in_url(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook for every HTTP route."""
    if CREDENTIAL_PARAMS.intersection(k.lower() for k in request.query_params):
        raise BadRequest(
            "登录凭证不能放在网址中，请使用 Authorization 请求头",
            "Credentials are not accepted in the URL: send them in the Authorization header",
            code="auth.credential_in_url",
        )


async def provide_actor(request: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The signed-in user, looked up once per request: a role guard asks before the handler's dependency does."""
    known: Actor | None = request.state.get(_ACTOR_KEY)
    if known is None:
        known = request.state[_ACTOR_KEY] = await _authenticate(request)
    return known


async def _authenticate(request: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    token = bearer_token(request)
    if not token:
        raise NotAuthenticated()
    if len(token) > MAX_TOKEN_LENGTH:
        raise NotAuthenticated("登录凭证无效", "Invalid credential", code="auth.invalid")
    ctx: AppContext = request.app.state.ctx
    actor = await actor_for_token(token, ctx.settings)
    if actor.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise Forbidden("请先修改初始密码", "Please change your initial password first",
                        code="auth.password_change_required")
    return actor


def provide_ctx(state: State) -> AppContext:
    ctx: AppContext = state.ctx
    return ctx
