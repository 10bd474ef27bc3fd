"""An index on when a case was reported: every statistics query (counts, trends, the heatmap) is a range over it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: index on created_at for the statistics"

STATEMENTS = ('CREATE INDEX IF NOT EXISTS case_created_at_range ON "case" (created_at)',)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
