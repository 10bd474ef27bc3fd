"""The day counts' unique key: the case recorder's upsert conflicts on it, and the statistics read a range of it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T01:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: unique key of the daily counts"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS case_day_count_key ON case_day_count (dim, day, value, category_code, category_name)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
