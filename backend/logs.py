"""Structured logging: one line per record, as JSON (for log shippers) or as readable key=value text."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from backend.settings import Settings

# Query parameters whose values are secrets (credentials, URL signatures) and how bearer tokens appear in text.
_SECRET_PARAM = re.compile(
    r"(?i)([?&](?:token|access_token|auth|authorization|password|api_key|sig|signature|x-amz-signature|"
    r"x-amz-credential|x-amz-security-token|policy)=)[^&\s\"']*"
)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _BEARER.sub(r"\1" + REDACTED, _SECRET_PARAM.sub(r"\1" + REDACTED, text))


class RedactSecrets(logging.Filter):
    """Removes credentials and URL signatures from every record: uvicorn's access log writes whole request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


_REDACT = RedactSecrets()
# uvicorn logs request lines on uvicorn.access and websocket handshakes (with their path) on uvicorn.error.
_SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "litestar")


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_REDACT)
    for name in _SERVER_LOGGERS:
        logging.getLogger(name).addFilter(_REDACT)
    root = logging.getLogger("suishoupai")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = False
