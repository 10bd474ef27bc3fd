"""Role checks as Litestar guards: a handler names the roles that may call it, everyone else gets 403.

They check only who the caller is; which case a caller may act on is decided by the case services."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from backend.accounts.auth import provide_actor
from backend.accounts.roles import CENTRE_ROLES, Role
from backend.errors import Forbidden

STAFF_ROLES = tuple(r for r in Role if r is not Role.CITIZEN)


def roles(*allowed: Role) -> Guard:
    """A guard that lets only ``allowed`` roles through, with the roles named in the error's details."""
    names = [r.value for r in Role if r in allowed]  # in declaration order, whatever order they came in

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = await provide_actor(connection)
        if actor.role not in allowed:
            raise Forbidden("你的角色无权执行此操作", "Your role may not do this", code="auth.role_forbidden",
                            details={"roles": names})

    return guard


admin_only = roles(Role.ADMIN)
staff_only = roles(*STAFF_ROLES)
centre_only = roles(*CENTRE_ROLES)
