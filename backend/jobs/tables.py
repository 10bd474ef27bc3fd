"""Durable background jobs: written in the same transaction as the work that needs them, so a crash loses none."""

from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Job(Table):
    kind = Varchar(length=32, index=True)
    payload = JSON(default={})
    status = Varchar(length=16, default="pending", index=True)  # pending | running | done | failed
    attempts = Integer(default=0)
    run_after = Timestamptz()
    locked_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
