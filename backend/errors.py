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
     └── Unavailable          503 a dependency (database, store, channels) is down

Every error body is ``{"error": {"code", "message_zh", "message_en", "details"}}``; ``code`` is stable.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("suishoupai.errors")

try:  # PostgreSQL's driver reports an out-of-range parameter as a DataError
    from asyncpg.exceptions import DataError as _DataError
except ImportError:  # pragma: no cover - asyncpg is a dependency through piccolo[postgres]
    _DataError = OverflowError


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
    ) -> None:
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


class Unavailable(AppError):
    status = 503
    code = "service.unavailable"
    message_zh = "服务暂不可用，请稍后重试"
    message_en = "Service temporarily unavailable, please retry"


def _respond(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(content=body, status_code=status)


def app_error_handler(_: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    if exc.status >= 500:
        log.error("service error %s: %s", exc.code, exc.message_en)
    return _respond(exc.status, exc.body())


def _validation_details(exc: ValidationException) -> dict[str, Any]:
    extra = exc.extra
    if isinstance(extra, list):
        return {"fields": extra}
    if isinstance(extra, dict):
        return extra
    return {"reason": str(exc.detail)}


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own errors (validation, routing, size limits) get the same body shape and bilingual text."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        details = _validation_details(exc)
        first = (details.get("fields") or [{}])[0] if isinstance(details.get("fields"), list) else {}
        where = f"{first.get('key', '')}: {first.get('message', '')}".strip(": ") or str(exc.detail)
        err: AppError = InvalidInput(
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
    else:
        err = AppError(str(exc.detail), str(exc.detail), code=f"http.{status}")
        err.status = status
    return _respond(err.status, err.body())


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    err = AppError("服务器内部错误，请稍后重试", "Internal server error, please retry", code="internal")
    return _respond(HTTP_500_INTERNAL_SERVER_ERROR, err.body())


def overflow_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """An id or number too large for the database is a bad request, not a server error."""
    err = InvalidInput("数值超出范围", "A number in the request is out of range", code="request.number_out_of_range")
    return _respond(err.status, err.body())


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    OverflowError: overflow_handler,
    _DataError: overflow_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
