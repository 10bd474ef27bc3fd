"""Signing in and out, device credentials and changing one's own password: each credential change is written with its
audit entry in one transaction, and a refusal is audited on its own. Passwords are checked and hashed before the
transaction opens, so argon2 never holds SQLite's write lock."""

from __future__ import annotations

from datetime import datetime

from litestar.stores.base import Store

from backend.accounts import services
from backend.accounts.services import Actor, Login, LoginFailed
from backend.accounts.tables import User
from backend.audit import service as audit
from backend.context import AppContext
from backend.db import write_transaction
from backend.errors import InvalidInput, TooManyRequests


async def log_in(ctx: AppContext, store: Store, username: str, password: str, ip: str, agent: str) -> Login:
    try:
        user, changes = await services.check_login(ctx.settings, store, username, password)
    except LoginFailed as exc:
        await audit.record("auth.login_failed", actor_id=None, actor_name=username, outcome="denied", ip=ip,
                           user_agent=agent)
        if exc.locked:
            await audit.record("auth.locked", actor_id=None, actor_name=username, outcome="denied", ip=ip,
                               user_agent=agent, details={"minutes": ctx.settings.login_lockout_minutes})
        raise
    except TooManyRequests:
        await audit.record("auth.login_failed", actor_id=None, actor_name=username, outcome="denied", ip=ip,
                           user_agent=agent, details={"reason": "locked"})
        raise
    async with write_transaction(ctx.engine):
        done = await services.open_session(ctx.settings, user, changes, agent)
        await audit.record("auth.login", actor_id=user.id, actor_name=user.username, ip=ip, user_agent=agent)
    return done


async def new_device(ctx: AppContext, agent: str) -> tuple[str, datetime, User]:
    """An anonymous citizen's user row and its device credential, both or neither."""
    async with write_transaction(ctx.engine):
        return await services.create_device(ctx.settings, agent)


async def log_out(ctx: AppContext, actor: Actor, everywhere: bool, ip: str, agent: str) -> list[str]:
    """End this session, or every session of the user; returns the hashes of the sessions that ended."""
    async with write_transaction(ctx.engine):
        ended = await services.end_sessions(actor.id, None if everywhere else [actor.session])
        await audit.record("auth.logout", actor_id=actor.id, actor_name=actor.username, ip=ip, user_agent=agent,
                           details={"everywhere": everywhere, "sessions": len(ended)})
    return ended


async def change_password(ctx: AppContext, actor: Actor, current: str, new: str, ip: str,
                          agent: str) -> tuple[str, datetime]:
    """Store the new password, end every session of the user and open the one the answer carries."""
    try:
        user, password_hash = await services.check_new_password(actor, current, new)
    except InvalidInput as exc:
        await audit.record("auth.password_changed", actor_id=actor.id, actor_name=actor.username, outcome="denied",
                           ip=ip, user_agent=agent, details={"reason": exc.code})
        raise
    async with write_transaction(ctx.engine):
        await services.save_password(user, password_hash, temporary=False)
        await services.end_sessions(user.id)
        await audit.record("auth.password_changed", actor_id=actor.id, actor_name=actor.username, ip=ip,
                           user_agent=agent)
        return await services.issue_token(actor.id, "session", services.session_ttl(ctx.settings, actor.role),
                                          user_agent=agent, limit=ctx.settings.max_sessions_per_user)
