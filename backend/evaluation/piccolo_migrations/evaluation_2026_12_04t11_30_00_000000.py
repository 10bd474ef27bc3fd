"""Composite indexes: every figure filters one unit, person or task kind over a time range."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "evaluation: composite indexes for the period queries"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS eval_episode_unit_settled ON eval_episode (unit_id, settled_at)",
    "CREATE INDEX IF NOT EXISTS eval_episode_unit_handled ON eval_episode (unit_id, handled_at)",
    "CREATE INDEX IF NOT EXISTS eval_episode_unit_failed ON eval_episode (unit_id, failed_at)",
    "CREATE INDEX IF NOT EXISTS eval_episode_dispatcher_started ON eval_episode (dispatcher_id, started_at)",
    "CREATE INDEX IF NOT EXISTS eval_task_kind_settled ON eval_task (kind, settled_at)",
    "CREATE INDEX IF NOT EXISTS eval_episode_handled ON eval_episode (handled_at)",
    "CREATE INDEX IF NOT EXISTS eval_episode_failed ON eval_episode (failed_at)",
    "CREATE INDEX IF NOT EXISTS eval_episode_started ON eval_episode (started_at)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="evaluation", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
