"""The one exception tree of suishoupai, and its mapping to HTTP responses.

    AppError                      code, status, message_zh, message_en, details
     ├── BadRequest           400 malformed request
     ├── InvalidInput         422 well-formed but invalid values (unknown category, coordinates outside the city…)
     ├── NotAuthenticated     401 no or expired credential
     ├── Forbidden            403 wrong role or not your case
     ├── NotFound             404
     ├── Conflict             409 state conflict
     │    └── IllegalTransition  409 the action is not allowed now; details.allowed lists what is
     ├── PayloadTooLarge      413
     ├── UnsupportedMedia     415 the bytes are not an image we accept
     ├── TooManyRequests      429 a rate limit or a login lockout; Retry-After says when to retry
     └── Unavailable          503 a dependency (database, store, channels) is down; Retry-After as well

Every error body is ``{"error": {"code", "message_zh", "message_en", "details"}}``; ``code`` is stable.
"""

from __future__ import annotations

import logging
import sqlite3
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ServiceUnavailableException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("suishoupai.errors")

from asyncpg.exceptions import (  # asyncpg is a dependency through piccolo[postgres]
    CannotConnectNowError,
    InterfaceError,
    OperatorInterventionError,
    PostgresConnectionError,
    TooManyConnectionsError,
)
from asyncpg.exceptions import DataError as _DataError  # PostgreSQL's answer to an out-of-range parameter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# The server went away, refuses connections now, or the pool's connection broke: retry later.
_PG_DOWN: tuple[type[BaseException], ...] = (PostgresConnectionError, CannotConnectNowError, OperatorInterventionError,
                                             TooManyConnectionsError, InterfaceError)
_REDIS_DOWN: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)


class AppError(Exception):
    status = 400
    code = "bad_request"
    message_zh = "请求有误"
    message_en = "Bad request"

    def __init__(
        self,
        message_zh: str | None = None,
        message_en: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.message_zh = message_zh or type(self).message_zh
        self.message_en = message_en or type(self).message_en
        self.code = code or type(self).code
        self.details = details or {}
        super().__init__(f"{self.code}: {self.message_en}")

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message_zh": self.message_zh,
                "message_en": self.message_en,
                "details": self.details,
            }
        }


class BadRequest(AppError):
    status = 400


class InvalidInput(AppError):
    status = 422
    code = "invalid_input"
    message_zh = "输入无效"
    message_en = "Invalid input"


class NotAuthenticated(AppError):
    status = 401
    code = "auth.required"
    message_zh = "请先登录"
    message_en = "Please log in"


class Forbidden(AppError):
    status = 403
    code = "auth.forbidden"
    message_zh = "无权执行此操作"
    message_en = "You are not allowed to do this"


class NotFound(AppError):
    status = 404
    code = "not_found"
    message_zh = "未找到"
    message_en = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    message_zh = "状态冲突"
    message_en = "Conflict with the current state"


class IllegalTransition(Conflict):
    code = "case.illegal_transition"
    message_zh = "当前状态下不能执行此操作"
    message_en = "This action is not allowed in the case's current state"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload.too_large"
    message_zh = "上传内容过大"
    message_en = "The upload is too large"


class UnsupportedMedia(AppError):
    status = 415
    code = "photo.unsupported_type"
    message_zh = "不支持的文件类型"
    message_en = "Unsupported file type"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests, please retry later"


class Unavailable(AppError):
    status = 503
    code = "service.unavailable"
    message_zh = "服务暂不可用，请稍后重试"
    message_en = "Service temporarily unavailable, please retry"
    default_retry_after = 5


def _respond(status: int, body: dict[str, Any], retry_after: int | None = None) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(max(1, retry_after))} if retry_after is not None else None
    return Response(content=body, status_code=status, headers=headers)


def app_error_handler(_: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    if exc.status >= 500:
        log.error("service error %s: %s", exc.code, exc.message_en)
    retry_after = exc.retry_after
    if retry_after is None and exc.status in (429, 503):
        retry_after = getattr(exc, "default_retry_after", 5)
    return _respond(exc.status, exc.body(), retry_after)


def _validation_details(exc: ValidationException) -> dict[str, Any]:
    extra = exc.extra
    if isinstance(extra, list):
        return {"fields": extra}
    if isinstance(extra, dict):
        return extra
    return {"reason": str(exc.detail)}


# Litestar's own request errors carry English text only (litestar/_multipart.py, connection/request.py): each gets a
# stable code and Chinese text here, matched on the start of its message. The multipart parser's "Request Entity Too
# Large" (too many parts, a part header too big) comes with status 400 until Litestar 3 (a FIXME in _multipart.py):
# it is a size limit like any other, so it answers 413 here.
_LITESTAR_ERRORS: dict[str, tuple[int, str, str, str]] = {
    "Invalid multipart/form-data": (400, "request.bad_multipart", "表单数据格式错误或不完整",
                                    "Malformed or incomplete multipart/form-data"),
    "Unexpected eof in multipart/form-data": (400, "request.bad_multipart", "表单数据格式错误或不完整",
                                              "Malformed or incomplete multipart/form-data"),
    "multipart boundary missing": (400, "request.bad_multipart", "表单数据缺少分隔符（boundary）",
                                   "The multipart Content-Type has no boundary"),
    "Invalid content-length": (400, "request.bad_content_length", "Content-Length 请求头无效",
                               "Invalid Content-Length header"),
    "Request Entity Too Large": (413, PayloadTooLarge.code, PayloadTooLarge.message_zh, PayloadTooLarge.message_en),
    # The client went away before sending the whole body: nobody reads the answer, but it is not a server error.
    "client disconnected prematurely": (400, "request.incomplete", "请求内容不完整，连接已中断",
                                        "The request body was cut off"),
}


def _litestar_error(exc: HTTPException) -> AppError | None:
    detail = str(exc.detail)
    for prefix, (status, code, zh, en) in _LITESTAR_ERRORS.items():
        if detail.startswith(prefix):
            err = AppError(zh, en, code=code)
            err.status = status
            return err
    if isinstance(exc.__cause__, SerializationException):  # a body Litestar itself decodes for a typed handler
        return BadRequest("JSON 格式错误", "Malformed JSON", code="request.bad_json")
    return None


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own errors (body parsing, routing, size limits, validation) in the same envelope, in both languages."""
    status = exc.status_code
    known = _litestar_error(exc)
    if known is not None:
        err: AppError = known
    elif isinstance(exc, ValidationException):
        details = _validation_details(exc)
        first = (details.get("fields") or [{}])[0] if isinstance(details.get("fields"), list) else {}
        where = f"{first.get('key', '')}: {first.get('message', '')}".strip(": ") or str(exc.detail)
        err = InvalidInput(
            "请求参数无效（" + where + "）",
            "Invalid request (" + where + ")",
            code="request.invalid",
            details=details,
        )
        err.status = 400
    elif isinstance(exc, NotFoundException):
        err = NotFound("资源不存在", "No such resource", code="not_found")
    elif isinstance(exc, NotAuthorizedException):
        err = NotAuthenticated()
    elif isinstance(exc, PermissionDeniedException):
        err = Forbidden()
    elif status == 405:
        err = AppError("不支持该请求方法", "Method not allowed", code="request.method_not_allowed")
        err.status = 405
    elif status == 413:
        err = PayloadTooLarge()
    elif status == 429:
        # Litestar's rate-limit middleware: its RateLimit-Reset header is the wait, sent again as Retry-After.
        reset = (exc.headers or {}).get("RateLimit-Reset", "60")
        wait = int(reset) if str(reset).isdigit() else 60
        err = TooManyRequests(f"请求过于频繁，请 {wait} 秒后再试", f"Too many requests, retry in {wait} s",
                              retry_after=wait, details={"retry_after": wait})
    elif isinstance(exc, ServiceUnavailableException):
        err = Unavailable()
    elif isinstance(exc, InternalServerException) or status >= 500:
        return internal_error_handler(request, exc)
    else:
        # Any other client error Litestar may raise: a stable code per status, Litestar's own words in details only.
        phrase = HTTPStatus(status).phrase  # HTTPException itself accepts only standard statuses
        err = AppError(f"请求无法处理（HTTP {status}）", f"The request cannot be processed ({status} {phrase})",
                       code=f"http.{status}", details={"reason": str(exc.detail)})
        err.status = status
    response = _respond(err.status, err.body(), err.retry_after)
    if status == 405 and exc.headers and "allow" in exc.headers:  # RFC 9110: a 405 names the methods that work
        response.headers["Allow"] = exc.headers["allow"]
    return response


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    err = AppError("服务器内部错误，请稍后重试", "Internal server error, please retry", code="internal")
    return _respond(HTTP_500_INTERNAL_SERVER_ERROR, err.body())


def _dependency_down(exc: BaseException) -> Unavailable | None:
    """A database, Redis or network failure that retrying later can fix: 503 with Retry-After, never a 500."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return Unavailable("数据库繁忙，请稍后重试", "The database is busy, please retry", code="db.busy",
                               retry_after=2)
        if "disk" in text or "unable to open" in text or "readonly" in text or "full" in text:
            return Unavailable("数据库暂不可用，请稍后重试", "The database is unavailable, please retry",
                               code="db.unavailable")
        return None
    if isinstance(exc, _PG_DOWN):
        return Unavailable("数据库暂不可用，请稍后重试", "The database is unavailable, please retry",
                           code="db.unavailable")
    if isinstance(exc, _REDIS_DOWN):
        return Unavailable("缓存服务暂不可用，请稍后重试", "The cache service is unavailable, please retry",
                           code="redis.unavailable")
    if isinstance(exc, (ConnectionError, TimeoutError)):
        # A refused or timed-out connect carries no sign of whose it was but where it was raised.
        if _raised_in(exc, ("asyncpg", "piccolo.engine")):
            return Unavailable("数据库暂不可用，请稍后重试", "The database is unavailable, please retry",
                               code="db.unavailable")
        if _raised_in(exc, ("redis",)):
            return Unavailable("缓存服务暂不可用，请稍后重试", "The cache service is unavailable, please retry",
                               code="redis.unavailable")
        return Unavailable(code="service.unavailable")
    return None


def _raised_in(exc: BaseException, packages: tuple[str, ...]) -> bool:
    """Whether a frame of ``exc``'s traceback belongs to one of ``packages``."""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if any(module == p or module.startswith(p + ".") for p in packages):
            return True
        tb = tb.tb_next
    return False


def dependency_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    err = _dependency_down(exc)
    if err is None:
        return internal_error_handler(request, exc)
    log.error("dependency down on %s %s: %s (%s)", request.method, request.url.path, err.code, type(exc).__name__)
    return _respond(err.status, err.body(), err.retry_after or Unavailable.default_retry_after)


def overflow_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """An id or number too large for the database is a bad request, not a server error."""
    err = InvalidInput("数值超出范围", "A number in the request is out of range", code="request.number_out_of_range")
    return _respond(err.status, err.body())


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    OverflowError: overflow_handler,
    _DataError: overflow_handler,
    sqlite3.OperationalError: dependency_error_handler,
    ConnectionError: dependency_error_handler,
    TimeoutError: dependency_error_handler,
    **{cls: dependency_error_handler for cls in (*_PG_DOWN, *_REDIS_DOWN)},
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
