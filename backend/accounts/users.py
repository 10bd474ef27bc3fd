"""User administration (admin only): create, change, deactivate, reset, unlock — each change with its audit entry
in the same transaction, and the sessions it invalidates ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.stores.base import Store

from backend.accounts import services
from backend.accounts.passwords import check_policy
from backend.accounts.roles import ROLE_NAMES, Role
from backend.accounts.schemas import UserIn, UserOut, UserPatch
from backend.accounts.services import Actor
from backend.accounts.tables import SupervisorGrid, User
from backend.audit import service as audit
from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound
from backend.org.tables import ResponsibilityGrid, Unit


@dataclass(frozen=True)
class Caller:
    """Who asks, and from where: what every audit entry records."""

    actor: Actor
    ip: str = ""
    user_agent: str = ""

    async def audit(self, action: str, target: User | None = None, outcome: str = "ok", **details: Any) -> None:
        await audit.record(action, actor_id=self.actor.id, actor_name=self.actor.username, outcome=outcome,
                           ip=self.ip, user_agent=self.user_agent,
                           target=f"user:{target.id}:{target.username}" if target is not None else "",
                           details=details)


@dataclass(frozen=True)
class Change:
    """What an update did that other parts must act on (open websockets)."""

    user: UserOut
    sessions_ended: bool = False
    rights_changed: tuple[int, ...] = ()  # users whose topics must be re-checked (grids given or taken away)


async def _grids(user_ids: list[int]) -> dict[int, list[str]]:
    if not user_ids:
        return {}
    rows = await SupervisorGrid.select(SupervisorGrid.user, SupervisorGrid.grid.code).where(
        SupervisorGrid.user.is_in(user_ids))
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r["user"], []).append(r["grid.code"])
    return {k: sorted(v) for k, v in out.items()}


def user_out(user: User | dict[str, Any], grids: list[str]) -> UserOut:
    row = user if isinstance(user, dict) else user.to_dict()
    role = Role(row["role"])
    zh, en = ROLE_NAMES[role]
    return UserOut(
        id=row["id"], username=row["username"], display_name=row["display_name"], role=role.value, role_zh=zh,
        role_en=en, unit_id=row["unit"], anonymous=row["anonymous"], grids=grids, active=row["active"],
        must_change_password=bool(row["must_change_password"]),
    )


async def list_users(role: str | None, limit: int = 500) -> list[UserOut]:
    query = User.select().where(User.anonymous == False).order_by(User.id).limit(limit)
    if role:
        query = query.where(User.role == role)
    rows = await query
    grids = await _grids([r["id"] for r in rows if r["role"] == Role.SUPERVISOR.value])
    return [user_out(r, grids.get(r["id"], [])) for r in rows]


async def _get(user_id: int) -> User:
    user = await User.objects().get(User.id == user_id)
    if user is None or user.anonymous:
        raise NotFound(f"用户不存在：{user_id}", f"No such user: {user_id}", code="user.not_found")
    return user


async def create(ctx: Any, caller: Caller, data: UserIn) -> UserOut:
    check_policy(data.password, data.username, data.display_name)
    async with write_transaction(ctx.engine):
        user = await services.create_user(data.username, data.password, Role(data.role), data.display_name,
                                          data.unit_code, data.phone, must_change_password=True)
        await caller.audit("user.created", user, role=user.role, unit=user.unit)
    return user_out(user, [])


async def update(ctx: Any, caller: Caller, user_id: int, data: UserPatch) -> Change:
    ended = False
    rights: set[int] = set()
    async with write_transaction(ctx.engine):
        user = await _get(user_id)
        if data.display_name is not None and data.display_name != user.display_name:
            user.display_name = data.display_name
            await user.save([User.display_name])
            await caller.audit("user.updated", user, fields=["display_name"])
        if data.role is not None or data.unit_code is not None:
            role = Role(data.role or user.role)
            unit = await services.unit_id_for(role, data.unit_code if data.unit_code is not None else (
                await _unit_code(user.unit)))
            if role.value != user.role or unit != user.unit:
                before = {"role": user.role, "unit": user.unit}
                user.role, user.unit = role.value, unit
                await user.save([User.role, User.unit])
                if role is not Role.SUPERVISOR:
                    await SupervisorGrid.delete().where(SupervisorGrid.user == user.id)
                await caller.audit("user.role_changed", user, before=before, after={"role": role.value, "unit": unit})
                ended = True
        if data.password is not None:
            await services.set_password(user, data.password, temporary=True)
            await caller.audit("auth.password_reset", user)
            ended = True
        if data.active is not None and data.active != user.active:
            user.active = data.active
            await user.save([User.active])
            await caller.audit("user.activated" if data.active else "user.deactivated", user)
            ended = ended or not data.active
        if data.grids is not None:
            before_grids = (await _grids([user.id])).get(user.id, [])
            rights = await _set_grids(user, data.grids)
            await caller.audit("user.grids_changed", user, grids=sorted(set(data.grids)), before=before_grids)
        if ended:
            await services.end_sessions(user.id)
            await caller.audit("auth.sessions_ended", user)
    grids = (await _grids([user.id])).get(user.id, [])
    return Change(user_out(user, grids), sessions_ended=ended, rights_changed=tuple(sorted(rights - {user.id} if ended
                                                                                           else rights)))


async def _unit_code(unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    row = await Unit.select(Unit.code).where(Unit.id == unit_id).first()
    return row["code"] if row else None


async def _set_grids(user: User, codes: list[str]) -> set[int]:
    """Give the supervisor exactly these grids; returns every user whose grids changed."""
    if user.role != Role.SUPERVISOR.value:
        raise InvalidInput("只有监督员可以分配责任网格", "Only supervisors get responsibility grids",
                           code="user.grids_for_supervisors")
    grids = await ResponsibilityGrid.select(ResponsibilityGrid.id, ResponsibilityGrid.code).where(
        ResponsibilityGrid.code.is_in(codes or ["-"]))
    if len(grids) != len(set(codes)):
        raise InvalidInput("存在未知的责任网格", "Unknown responsibility grid", code="grid.not_found")
    ids = [g["id"] for g in grids] or [-1]
    previous = await SupervisorGrid.select(SupervisorGrid.user).where(SupervisorGrid.grid.is_in(ids))
    await SupervisorGrid.delete().where(SupervisorGrid.user == user.id)
    # A grid has one supervisor: taking it over removes it from the previous one.
    await SupervisorGrid.delete().where(SupervisorGrid.grid.is_in(ids))
    if grids:
        await SupervisorGrid.insert(*(SupervisorGrid(user=user.id, grid=g["id"]) for g in grids))
    return {user.id} | {r["user"] for r in previous}


async def unlock(caller: Caller, store: Store, user_id: int) -> bool:
    user = await _get(user_id)
    had = await services.unlock(store, user.username)
    await caller.audit("auth.unlocked", user, was_locked=had)
    return had
