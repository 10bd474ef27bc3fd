"""Account services: password hashing, login tokens, anonymous device credentials and the current actor."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.accounts.roles import CENTRE_ROLES, Role
from backend.accounts.tables import AuthToken, SupervisorGrid, User
from backend.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from backend.org.tables import Unit

_hasher = PasswordHasher()


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who is calling: resolved once per request from the bearer token."""

    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None = None
    anonymous: bool = False
    grids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_centre(self) -> bool:
        return self.role in CENTRE_ROLES


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    unit_code: str | None = None,
    phone: str = "",
) -> User:
    if await User.exists().where(User.username == username):
        raise Conflict(f"用户名已存在：{username}", f"Username already taken: {username}", code="user.exists")
    unit_id = None
    if role is Role.UNIT_STAFF:
        if not unit_code:
            raise InvalidInput("责任单位人员必须指定单位", "Unit staff need a unit", code="user.unit_required")
        unit = await Unit.objects().get(Unit.code == unit_code)
        if unit is None:
            raise NotFound(f"单位不存在：{unit_code}", f"No such unit: {unit_code}", code="unit.not_found")
        unit_id = unit.id
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=hash_password(password) if password else "",
        unit=unit_id,
        phone=phone,
        created_at=now(),
    )
    await user.save()
    return user


async def issue_token(user_id: int, kind: str, ttl: timedelta) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = now() + ttl
    await AuthToken.insert(
        AuthToken(token_hash=_token_hash(token), user=user_id, kind=kind, created_at=now(), expires_at=expires)
    )
    return token, expires


async def login(username: str, password: str, ttl: timedelta) -> tuple[str, datetime, User]:
    user = await User.objects().get(User.username == username)
    # Same answer for an unknown user and a wrong password, so usernames cannot be probed.
    if user is None or user.anonymous or not user.active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("用户名或密码错误", "Wrong username or password", code="auth.bad_credentials")
    token, expires = await issue_token(user.id, "session", ttl)
    return token, expires, user


async def create_device(ttl: timedelta) -> tuple[str, datetime, User]:
    """An anonymous citizen: a user row without a password whose only credential is a long-lived device token."""
    user = User(
        username="device-" + secrets.token_hex(8),
        display_name="匿名市民",
        role=Role.CITIZEN.value,
        anonymous=True,
        created_at=now(),
    )
    await user.save()
    token, expires = await issue_token(user.id, "device", ttl)
    return token, expires, user


async def logout(token: str) -> None:
    await AuthToken.delete().where(AuthToken.token_hash == _token_hash(token))


async def actor_for_token(token: str) -> Actor:
    row = (
        await AuthToken.select(AuthToken.expires_at, AuthToken.user)
        .where(AuthToken.token_hash == _token_hash(token))
        .first()
    )
    if row is None:
        raise NotAuthenticated("登录凭证无效，请重新登录", "Invalid credential, please log in again", code="auth.invalid")
    if row["expires_at"] <= now():
        raise NotAuthenticated("登录已过期，请重新登录", "Your session has expired", code="auth.expired")
    return await actor_for_user(row["user"])


async def actor_for_user(user_id: int) -> Actor:
    user = await User.objects().get(User.id == user_id)
    if user is None or not user.active:
        raise NotAuthenticated("账号已停用", "This account is disabled", code="auth.disabled")
    grids: tuple[str, ...] = ()
    if user.role == Role.SUPERVISOR.value:
        rows = await SupervisorGrid.select(SupervisorGrid.grid.code).where(SupervisorGrid.user == user.id)
        grids = tuple(sorted(r["grid.code"] for r in rows))
    return Actor(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        unit_id=user.unit,
        anonymous=user.anonymous,
        grids=grids,
    )
