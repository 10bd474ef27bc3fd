"""Rate limits on Litestar's own middleware and stores: in memory on one box, in Redis across processes.

Each limit is one ``RateLimitConfig`` that picks its requests (method and path) and its key (the client address or
the credential's hash, never the credential itself). Litestar keys its counters by identifier only, so every
identifier carries the limit's name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import DurationUnit, RateLimitConfig
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from backend.accounts.auth import bearer_token
from backend.settings import Settings

RATE_LIMIT_STORE = "rate_limit"
LOCKOUT_STORE = "lockout"


def client_address(request: Request[Any, Any, Any]) -> str:
    # uvicorn has already replaced it with X-Forwarded-For when the proxy is trusted (Settings.forwarded_allow_ips).
    return request.client.host if request.client else "unknown"


def credential_key(request: Request[Any, Any, Any]) -> str:
    token = bearer_token(request)
    if token:
        return "c:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "ip:" + client_address(request)


@dataclass(frozen=True)
class Limit:
    name: str
    unit: DurationUnit
    count: int
    methods: frozenset[str]
    path: str  # exact, or a prefix when it ends with "/"
    per: Callable[[Request[Any, Any, Any]], str]

    def applies(self, request: Request[Any, Any, Any]) -> bool:
        path = request.url.path
        hit = path.startswith(self.path) if self.path.endswith("/") else path.rstrip("/") == self.path
        return hit and request.method in self.methods

    def config(self) -> RateLimitConfig:
        async def check(request: Request[Any, Any, Any]) -> bool:
            return self.applies(request)

        return RateLimitConfig(
            rate_limit=(self.unit, self.count),
            identifier_for_request=lambda request: f"{self.name}:{self.per(request)}",
            check_throttle_handler=check,
            store=RATE_LIMIT_STORE,
        )


def limits(settings: Settings) -> list[Limit]:
    post, write = frozenset({"POST"}), frozenset({"POST", "PUT"})
    every = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
    return [
        Limit("login-ip", "minute", settings.rate_login_per_ip, post, "/api/v1/auth/login", client_address),
        Limit("device-ip", "hour", settings.rate_device_per_ip_hour, post, "/api/v1/auth/device", client_address),
        Limit("report-user", "minute", settings.rate_reports_per_user, post, "/api/v1/reports", credential_key),
        Limit("report-ip", "minute", settings.rate_reports_per_ip, post, "/api/v1/reports", client_address),
        Limit("upload-user", "minute", settings.rate_uploads_per_user, write, "/api/v1/photos/", credential_key),
        Limit("object-put", "minute", settings.rate_uploads_per_user, frozenset({"PUT"}), "/api/v1/objects/",
              client_address),
        Limit("password-user", "minute", settings.rate_password_checks_per_user, post, "/api/v1/auth/password",
              credential_key),
        Limit("delete-user", "minute", settings.rate_password_checks_per_user, frozenset({"DELETE"}), "/api/v1/me",
              credential_key),
        # Guessing a report's follow code (cases/follow.py): a few tries per credential, and per address, since
        # anonymous device credentials are cheap.
        Limit("follow-user", "minute", settings.rate_password_checks_per_user, post, "/api/v1/citizen/follows",
              credential_key),
        Limit("follow-ip", "minute", settings.rate_login_per_ip, post, "/api/v1/citizen/follows", client_address),
        Limit("api-user", "minute", settings.rate_api_per_user, every, "/api/", credential_key),
    ]


def middleware(settings: Settings) -> list[DefineMiddleware]:
    return [limit.config().middleware for limit in limits(settings)]


def stores(settings: Settings) -> dict[str, Store]:
    """Counters shared by every process when Redis is configured, so a limit holds behind a load balancer."""
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        from backend.resilient import FallbackStore

        # While Redis is unreachable the counters live in this process's memory: limits hold per process, and
        # requests are served instead of failing.
        root = FallbackStore(RedisStore.with_client(url=settings.redis_url, namespace="ssp"))
        return {RATE_LIMIT_STORE: root.with_namespace("ratelimit"), LOCKOUT_STORE: root.with_namespace("lockout")}
    return {RATE_LIMIT_STORE: MemoryStore(), LOCKOUT_STORE: MemoryStore()}
