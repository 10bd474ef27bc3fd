"""Drop the two indexes on ``case.created_at`` alone (``case_created_at``, ``case_created_at_range``).

``case_stats_cover`` (cases_2026_12_04t22_00_00_000000) starts with ``created_at``, so every range or order on it
(the statistics, the duplicate check's recent cases, Open311's list, the exports, the lists sorted by creation) is
served by that index; the two single-column ones were only extra work for every write. Nothing names them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: drop the indexes on created_at alone (case_stats_cover covers them)"

STATEMENTS = ("DROP INDEX IF EXISTS case_created_at", "DROP INDEX IF EXISTS case_created_at_range")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
