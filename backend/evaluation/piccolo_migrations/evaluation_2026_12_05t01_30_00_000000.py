"""Covering indexes for the evaluation tables: each of their aggregates reads one time range (engine.counts).

At 1,000,000 cases a month's rows lie on nearly every page of ``eval_case`` and ``eval_task`` (the facts are written
in case order, the times are spread over the year), so a bitmap scan of a range read ~80,000 rows from the table's
pages: 200-250 ms per aggregate. With the columns the aggregate reads in the index, PostgreSQL answers from the index
alone (an index-only scan, once autovacuum has marked the pages all-visible). SQLite has no INCLUDE: the columns
follow the key.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "evaluation: covering indexes for the period aggregates"

INDEXES = (
    ("eval_case_reported_cover", "eval_case", "reported_at",
     "reporter_role, reporter_id, filed_at, source, unit_grid, community, street, district"),
    ("eval_case_filed_cover", "eval_case", "filed_at",
     "responsibility_grid, source, closed_at, late_at, unit_grid, community, street, district"),
    ("eval_task_kind_settled_cover", "eval_task", "kind, settled_at", "done_by, assignee_id, on_time"),
    ("eval_episode_kind_started_cover", "eval_episode", "kind, started_at", "dispatcher_id, returned_at"),
    ("eval_episode_settled_cover", "eval_episode", "settled_at", "unit_id, returned_at, on_time, closed_at"),
    ("eval_episode_handled_cover", "eval_episode", "handled_at", "unit_id"),
    ("eval_episode_failed_cover", "eval_episode", "failed_at", "unit_id"),
    ("eval_rating_at_cover", "eval_rating", "at", "satisfied, unit_id, unit_grid, community, street, district"),
)


def statements(postgres: bool) -> tuple[str, ...]:
    if postgres:
        return tuple(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({key}) INCLUDE ({extra})"
                     for name, table, key, extra in INDEXES)
    return tuple(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({key}, {extra})" for name, table, key, extra in INDEXES)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="evaluation", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in statements(conf.DB.engine_type == "postgres"):
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
