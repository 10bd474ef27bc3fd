"""Idempotency keys, shared by every endpoint that accepts one (reports, case actions, photo uploads and grants).

One mechanism: the first answer to a key is recorded with a hash of its request; a retry with the same key and the
same request gets that answer again, the same key with another request is refused (a client bug).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar.params import HeaderParameter
from piccolo.columns import JSON, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import User
from backend.errors import Conflict

IdemKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$",
                    description="A client-made key: a retry with the same key returns the first answer"),
]

KEY_LENGTH = 80


class IdempotencyRecord(Table):
    """The stored answer to a request made with an Idempotency-Key, so a retry gets the same answer.

    Registered by the cases Piccolo app, whose migrations created the table before photos shared it."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    key = Varchar(length=KEY_LENGTH)
    user = ForeignKey(User)
    scope = Varchar(length=120)
    request_hash = Varchar(length=64)
    status_code = Integer()
    body = JSON(default={})
    created_at = Timestamptz()


def request_hash(body: Any) -> str:
    """A stable digest of what a request asked for (keys sorted, so field order does not matter)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _stored_key(user_id: int, scope: str, key: str) -> str:
    # A client key may use the column's whole length: a longer composite is stored as its digest instead.
    full = f"{user_id}:{scope}:{key}"
    return full if len(full) <= KEY_LENGTH else hashlib.sha256(full.encode()).hexdigest()


async def replay(user_id: int, scope: str, key: str | None, body_hash: str) -> dict[str, Any] | None:
    """The answer recorded for this key before, or None. The same key with another request raises Conflict."""
    if not key:
        return None
    row = await IdempotencyRecord.select(IdempotencyRecord.request_hash, IdempotencyRecord.body).output(
        load_json=True).where(IdempotencyRecord.key == _stored_key(user_id, scope, key)).first()
    if row is None:
        return None
    if row["request_hash"] != body_hash:
        raise Conflict(
            "该幂等键已用于另一个请求", "This Idempotency-Key was already used for a different request",
            code="idempotency.key_reused",
        )
    return dict(row["body"])


async def remember(user_id: int, scope: str, key: str | None, body_hash: str, answer: dict[str, Any]) -> None:
    """Record the answer to a keyed request; call it in the transaction that made the answer."""
    if key:
        await IdempotencyRecord.insert(IdempotencyRecord(
            key=_stored_key(user_id, scope, key), user=user_id, scope=scope[:120], request_hash=body_hash,
            status_code=200, body=answer, created_at=datetime.now(UTC),
        ))
