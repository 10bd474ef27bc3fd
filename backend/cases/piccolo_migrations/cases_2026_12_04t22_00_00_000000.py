"""Covering indexes for the statistics: the counts by any dimension over a range of days, and the heatmap in a box.

``case_stats_cover`` holds, beside ``created_at``, every column the counts group by, so a range of days is read from
the index alone (PostgreSQL: an index-only scan, the table's pages are not visited; SQLite: a covering index).
``case_lng_lat`` serves the heatmap of a map view (a box of longitude and latitude) with the state it filters on.
PostgreSQL keeps the extra columns out of the key (INCLUDE); SQLite has no INCLUDE, so they are trailing key columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: covering indexes for the statistics counts and the heatmap in a box"

COVERED = "unit, district, street, community, unit_grid, category_code, source, state"


def statements(postgres: bool) -> tuple[str, ...]:
    if postgres:
        return (f'CREATE INDEX IF NOT EXISTS case_stats_cover ON "case" (created_at) INCLUDE ({COVERED})',
                'CREATE INDEX IF NOT EXISTS case_lng_lat ON "case" (lng, lat) INCLUDE (state)')
    return (f'CREATE INDEX IF NOT EXISTS case_stats_cover ON "case" (created_at, {COVERED})',
            'CREATE INDEX IF NOT EXISTS case_lng_lat ON "case" (lng, lat, state)')


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in statements(conf.DB.engine_type == "postgres"):
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
