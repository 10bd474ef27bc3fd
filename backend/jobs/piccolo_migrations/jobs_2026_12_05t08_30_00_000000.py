"""Jobs: an index for the claim, by status, kind and due time.

A worker claims the oldest due job of its own kinds. With only the one-column status index, SQLite read every pending
job of every kind to find one: while photos wait for redaction at idle priority (thousands of pending ``redact`` jobs
under a sustained load), each triage claim read them all, inside the write lock. With this index it reads the due jobs
of its own kinds only.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "jobs: index for the claim (status, kind, run_after)"

STATEMENTS = ('CREATE INDEX IF NOT EXISTS job_due ON "job" (status, kind, run_after)',)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="jobs", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
