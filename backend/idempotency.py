"""Idempotency keys, shared by every endpoint that accepts one (reports, case actions, photo uploads)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter

IdemKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$",
                    description="A client-made key: a retry with the same key returns the first answer"),
]
