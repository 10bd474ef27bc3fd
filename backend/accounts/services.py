"""Account services: logins with lockout, sessions with idle and absolute limits, device credentials, the actor."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from litestar.stores.base import Store

from backend.accounts.passwords import DEMO_PASSWORD, check_policy, hash_password, needs_rehash, verify_password
from backend.accounts.roles import CENTRE_ROLES, Role
from backend.accounts.tables import AuthToken, SupervisorGrid, User
from backend.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from backend.org.tables import Unit
from backend.settings import Settings

# Write last_seen_at at most this often: the idle limit is minutes, so a minute of slack costs nothing.
TOUCH_EVERY = timedelta(seconds=60)


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
    # SHA-256 of the credential this request came with ("" when not resolved from a token): lets the live layer close
    # exactly the websockets of a session that ended.
    session: str = ""
    must_change_password: bool = False

    @property
    def is_centre(self) -> bool:
        return self.role in CENTRE_ROLES

    @property
    def is_staff(self) -> bool:
        return self.role is not Role.CITIZEN


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    user: User
    must_change_password: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    unit_code: str | None = None,
    phone: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    if await User.exists().where(User.username == username):
        raise Conflict(f"用户名已存在：{username}", f"Username already taken: {username}", code="user.exists")
    unit_id = await unit_id_for(role, unit_code)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=await hash_password(password) if password else "",
        unit=unit_id,
        phone=phone,
        created_at=now(),
        must_change_password=must_change_password,
    )
    await user.save()
    return user


async def unit_id_for(role: Role, unit_code: str | None) -> int | None:
    """The unit row of a unit staff member; other roles belong to no unit."""
    if role is not Role.UNIT_STAFF:
        return None
    if not unit_code:
        raise InvalidInput("责任单位人员必须指定单位", "Unit staff need a unit", code="user.unit_required")
    unit = await Unit.objects().get(Unit.code == unit_code)
    if unit is None:
        raise NotFound(f"单位不存在：{unit_code}", f"No such unit: {unit_code}", code="unit.not_found")
    return int(unit.id)


def session_ttl(settings: Settings, role: Role) -> timedelta:
    if role is Role.CITIZEN:
        return timedelta(hours=settings.token_ttl_hours)
    return timedelta(hours=settings.staff_session_hours)


async def issue_token(user_id: int, kind: str, ttl: timedelta, *, user_agent: str = "", limit: int = 0) -> tuple[
        str, datetime]:
    """A new credential; with ``limit``, the user's oldest sessions end so that at most ``limit`` remain."""
    token = secrets.token_urlsafe(32)
    at = now()
    expires = at + ttl
    await AuthToken.insert(AuthToken(token_hash=token_hash(token), user=user_id, kind=kind, created_at=at,
                                     expires_at=expires, last_seen_at=at, user_agent=user_agent[:200]))
    if limit:
        rows = await AuthToken.select(AuthToken.id).where(AuthToken.user == user_id).order_by(
            AuthToken.id, ascending=False)
        if len(rows) > limit:
            await AuthToken.delete().where(AuthToken.id.is_in([r["id"] for r in rows[limit:]]))
    return token, expires


# ---------------------------------------------------------------- login lockout

@dataclass
class _Failures:
    count: int
    first: float
    locked_until: float = 0.0


def _lock_key(username: str) -> str:
    # Keyed by the name typed, so unknown usernames lock exactly like known ones and reveal nothing.
    return "lock:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


async def _failures(store: Store, username: str) -> _Failures | None:
    raw = await store.get(_lock_key(username))
    return _Failures(**json.loads(raw)) if raw else None


async def locked_for(store: Store, username: str) -> int:
    """Seconds the account still refuses logins (0 when it does not)."""
    state = await _failures(store, username)
    left = (state.locked_until - now().timestamp()) if state else 0
    return max(0, int(left + 0.999))


async def _record_failure(store: Store, settings: Settings, username: str) -> bool:
    """Count a failed login; True when this failure locked the account."""
    window = settings.login_lockout_minutes * 60
    t = now().timestamp()
    state = await _failures(store, username)
    if state is None or t - state.first > window:
        state = _Failures(count=0, first=t)
    state.count += 1
    locked = state.count >= settings.login_max_failures
    if locked:
        state.locked_until = t + window
    await store.set(_lock_key(username), json.dumps(state.__dict__), expires_in=window)
    return locked


async def unlock(store: Store, username: str) -> bool:
    """Lift a lockout (admin); True when there was one."""
    had = await locked_for(store, username) > 0
    await store.delete(_lock_key(username))
    return had


class LoginFailed(NotAuthenticated):
    """A wrong username or password; ``locked`` says whether this attempt locked the account."""

    code = "auth.bad_credentials"
    message_zh = "用户名或密码错误"
    message_en = "Wrong username or password"
    locked = False


def locked_error(seconds: int) -> TooManyRequests:
    minutes = max(1, (seconds + 59) // 60)
    return TooManyRequests(
        f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员解锁",
        f"Too many failed logins: the account is locked for {minutes} min, or ask an administrator to unlock it",
        code="auth.locked", retry_after=seconds, details={"retry_after": seconds},
    )


async def check_login(settings: Settings, store: Store, username: str, password: str) -> tuple[User, dict[str, object]]:
    """Check the password (same cost for unknown users) and count failures; nothing is written to the database.
    Returns the user and the changes a successful login brings to its row (a rehash, a forced password change)."""
    wait = await locked_for(store, username)
    if wait:
        raise locked_error(wait)
    user = await User.objects().get(User.username == username)
    usable = user is not None and not user.anonymous and bool(user.password_hash)
    good = await verify_password(user.password_hash if usable and user else "", password)
    if not (good and user is not None and user.active):
        failure = LoginFailed()
        failure.locked = await _record_failure(store, settings, username)
        raise failure
    await store.delete(_lock_key(username))
    changes: dict[str, object] = {}
    if needs_rehash(user.password_hash):
        changes["password_hash"] = await hash_password(password)
    if not settings.demo_mode and password == DEMO_PASSWORD and not user.must_change_password:
        changes["must_change_password"] = True  # a demo account carried into a real deployment
    return user, changes


async def open_session(settings: Settings, user: User, changes: dict[str, object], user_agent: str = "") -> Login:
    """Write what ``check_login`` found and open a bounded session."""
    if changes:
        for key, value in changes.items():
            setattr(user, key, value)
        await user.save(list(changes))
    token, expires = await issue_token(user.id, "session", session_ttl(settings, Role(user.role)),
                                       user_agent=user_agent, limit=settings.max_sessions_per_user)
    return Login(token, expires, user, bool(user.must_change_password))


async def check_new_password(actor: Actor, current: str, new: str) -> tuple[User, str]:
    """The user's own change: check the current password and the policy; returns the user and the new hash."""
    user = await User.objects().get(User.id == actor.id)
    if user is None or not await verify_password(user.password_hash, current):
        raise InvalidInput("当前密码不正确", "The current password is wrong", code="password.wrong_current")
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同", "The new password must differ from the current one",
                           code="password.unchanged")
    check_policy(new, user.username, user.display_name)
    return user, await hash_password(new)


async def save_password(user: User, password_hash: str, *, temporary: bool) -> None:
    """Store a new hash; a temporary password (an admin's reset) must be changed at the next login."""
    user.password_hash = password_hash
    user.must_change_password = temporary
    user.password_changed_at = now()
    await user.save([User.password_hash, User.must_change_password, User.password_changed_at])


async def set_password(user: User, password: str, *, temporary: bool) -> None:
    """An admin's reset: the user must choose their own password at the next login."""
    check_policy(password, user.username, user.display_name)
    await save_password(user, await hash_password(password), temporary=temporary)


async def end_sessions(user_id: int, only: list[str] | None = None) -> list[str]:
    """Delete the user's credentials (all, or those with the given hashes); returns the hashes that ended."""
    query = AuthToken.select(AuthToken.token_hash).where(AuthToken.user == user_id)
    if only is not None:
        query = query.where(AuthToken.token_hash.is_in(only or ["-"]))
    hashes = [r["token_hash"] for r in await query]
    if hashes:
        await AuthToken.delete().where(AuthToken.token_hash.is_in(hashes))
    return hashes


async def create_device(settings: Settings, user_agent: str = "") -> tuple[str, datetime, User]:
    """An anonymous citizen: a user row without a password whose only credential is a long-lived device token."""
    user = User(
        username="device-" + secrets.token_hex(8),
        display_name="匿名市民",
        role=Role.CITIZEN.value,
        anonymous=True,
        created_at=now(),
    )
    await user.save()
    token, expires = await issue_token(user.id, "device", timedelta(days=settings.device_token_ttl_days),
                                       user_agent=user_agent)
    return token, expires, user


async def logout(token: str) -> None:
    await AuthToken.delete().where(AuthToken.token_hash == token_hash(token))


async def actor_for_token(token: str, settings: Settings | None = None) -> Actor:
    """The actor behind a credential. With ``settings``, staff sessions idle too long end here (HTTP requests);
    websockets pass none: an open socket is activity, and only the absolute expiry applies to it."""
    digest = token_hash(token)
    row = (
        await AuthToken.select(AuthToken.id, AuthToken.expires_at, AuthToken.last_seen_at, AuthToken.user,
                               AuthToken.user.role)
        .where(AuthToken.token_hash == digest)
        .first()
    )
    if row is None:
        raise NotAuthenticated("登录凭证无效，请重新登录", "Invalid credential, please log in again", code="auth.invalid")
    at = now()
    if row["expires_at"] <= at:
        raise NotAuthenticated("登录已过期，请重新登录", "Your session has expired", code="auth.expired")
    if settings is not None:
        seen = row["last_seen_at"] or at
        if row["user.role"] != Role.CITIZEN.value and at - seen > timedelta(minutes=settings.staff_idle_minutes):
            await AuthToken.delete().where(AuthToken.id == row["id"])
            raise NotAuthenticated("长时间未操作，请重新登录", "Your session timed out after inactivity",
                                   code="auth.idle_timeout")
        if at - seen >= TOUCH_EVERY:
            await AuthToken.update({AuthToken.last_seen_at: at}).where(AuthToken.id == row["id"])
    return replace(await actor_for_user(row["user"]), session=digest)


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
        must_change_password=bool(user.must_change_password),
    )
