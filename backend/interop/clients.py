"""API clients: one key per external system, stored hashed and shown once, with its own rate limit.

Each client files its reports under its own service account (role citizen, anonymous), so a report from a hotline
goes through exactly the path of any citizen report: the category it names is a hint that triage checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.stores.base import Store

from backend.accounts.roles import Role
from backend.accounts.services import Actor
from backend.accounts.tables import User
from backend.db import write_transaction
from backend.errors import Conflict, NotFound, TooManyRequests
from backend.interop.tables import ApiClient
from backend.interop.wire import bad_request

KEY_PREFIX = "o311_"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,47}$")
# last_used_at is written at most this often: it is for an admin's eyes, not an audit.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    rate_per_minute: int
    actor: Actor


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_client(engine: Any, name: str, rate_per_minute: int, created_by: int) -> tuple[dict[str, Any], str]:
    """The new client's row and its key (the only time the key exists in clear)."""
    if not NAME.match(name):
        raise bad_request("客户端名称应为 2–48 位小写字母、数字、- 或 _", "Client name: 2-48 of a-z, 0-9, - and _",
                          "interop.bad_client_name", 422)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with write_transaction(engine):
        if await ApiClient.exists().where(ApiClient.name == name):
            raise Conflict(f"客户端已存在：{name}", f"Client already exists: {name}", code="interop.client_exists")
        user = User(username=f"open311-{name}"[:64], display_name=f"Open311 · {name}", role=Role.CITIZEN.value,
                    anonymous=True, active=True, created_at=now)
        await user.save()
        client = ApiClient(name=name, key_prefix=key[:12], key_hash=_hash(key), user=user.id,
                           rate_per_minute=rate_per_minute, created_at=now, created_by=created_by)
        await client.save()
    return await client_row(client.id), key


async def client_row(client_id: int) -> dict[str, Any]:
    row = await ApiClient.select(ApiClient.id, ApiClient.name, ApiClient.key_prefix, ApiClient.rate_per_minute,
                                 ApiClient.active, ApiClient.created_at, ApiClient.last_used_at,
                                 ApiClient.user).where(ApiClient.id == client_id).first()
    if row is None:
        raise NotFound(f"客户端不存在：{client_id}", f"No such client: {client_id}", code="interop.client_not_found")
    return row


async def list_clients() -> list[dict[str, Any]]:
    return list(await ApiClient.select(ApiClient.id, ApiClient.name, ApiClient.key_prefix, ApiClient.rate_per_minute,
                                       ApiClient.active, ApiClient.created_at, ApiClient.last_used_at,
                                       ApiClient.user).order_by(ApiClient.id))


async def update_client(client_id: int, *, active: bool | None, rate_per_minute: int | None) -> dict[str, Any]:
    await client_row(client_id)
    values: dict[Any, Any] = {}
    if active is not None:
        values[ApiClient.active] = active
    if rate_per_minute is not None:
        values[ApiClient.rate_per_minute] = rate_per_minute
    if values:
        await ApiClient.update(values).where(ApiClient.id == client_id)
    return await client_row(client_id)


def _refused() -> Exception:
    # One answer for a missing, unknown or disabled key: nothing tells a guesser which keys exist.
    return bad_request("api_key 缺失或无效", "Missing or invalid api_key", "open311.bad_api_key", 403)


async def authenticate(key: str | None) -> Client:
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        raise _refused()
    row = await ApiClient.select(ApiClient.id, ApiClient.name, ApiClient.key_hash, ApiClient.rate_per_minute,
                                 ApiClient.active, ApiClient.last_used_at, ApiClient.user.id, ApiClient.user.username,
                                 ApiClient.user.display_name, ApiClient.user.active).where(
        ApiClient.key_prefix == key[:12]).first()
    if row is None or not hmac.compare_digest(row["key_hash"], _hash(key)) or not row["active"] \
            or not row["user.active"]:
        raise _refused()
    now = datetime.now(UTC)
    if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_EVERY:
        await ApiClient.update({ApiClient.last_used_at: now}).where(ApiClient.id == row["id"])
    actor = Actor(id=row["user.id"], username=row["user.username"], display_name=row["user.display_name"],
                  role=Role.CITIZEN, anonymous=True)
    return Client(row["id"], row["name"], row["rate_per_minute"], actor)


_TAKE_LOCK = asyncio.Lock()


async def take(store: Store, client: Client) -> None:
    """Count one request in the client's one-minute window; over its limit: 429 with the seconds left."""
    window = int(time.time() // 60)
    name = f"open311:{client.id}:{window}"
    # Read and write as one step in this process (the store has no atomic increment); across processes on Redis a
    # burst can still overshoot by the number of processes at most, as Litestar's own rate limiting does.
    async with _TAKE_LOCK:
        raw = await store.get(name)
        used = int(raw or 0) + 1
        await store.set(name, str(used).encode(), expires_in=120)
    if used > client.rate_per_minute:
        wait = 60 - int(time.time() % 60)
        raise TooManyRequests(f"请求过于频繁：每分钟最多 {client.rate_per_minute} 次",
                              f"Too many requests: at most {client.rate_per_minute} a minute",
                              code="open311.rate_limited", retry_after=max(wait, 1))
