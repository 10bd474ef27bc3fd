"""Durable background jobs: written in the same transaction as the work that needs them, so a crash loses none."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.jsoncolumn import JSON


class Job(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    kind = Varchar(length=32, index=True)
    payload = JSON(default={})
    # pending | running | done | failed (the dead letter: out of attempts, kept for an admin to read and retry)
    status = Varchar(length=16, default="pending", index=True)
    attempts = Integer(default=0)
    run_after = Timestamptz()
    # The running worker's lease: renewed every few seconds while the handler runs, so a job whose worker died is
    # claimed again within seconds. ``claimed_by`` names the claim: a worker that lost its lease cannot finish the job.
    locked_until = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=64, default="")
    last_error = Text(default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
