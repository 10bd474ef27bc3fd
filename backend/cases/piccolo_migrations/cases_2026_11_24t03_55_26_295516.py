"""Indexes for the duplicate check: a bounding box on (category_code, created_at, lat, lng), and recent cases."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-24T03:55:26:295516"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the duplicate check (triage)"

STATEMENTS = (
    'CREATE INDEX IF NOT EXISTS case_dup_prefilter ON "case" (category_code, created_at, lat, lng)',
    'CREATE INDEX IF NOT EXISTS case_created_at ON "case" (created_at)',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
