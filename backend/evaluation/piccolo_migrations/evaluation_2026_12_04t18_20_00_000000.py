"""回访: FollowUpCall, one row per call back; an index to find a period's reopenings in the timeline."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "evaluation: follow-up calls (回访)"

STATEMENTS = ("CREATE INDEX IF NOT EXISTS timeline_entry_action_at ON timeline_entry (action, at)",)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="evaluation", description=DESCRIPTION)
    manager.add_table(class_name="FollowUpCall", tablename="follow_up_call", schema=None, columns=None)

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="case_id", db_column_name="case_id",
        column_class_name="Integer", column_class=Integer,
        params={"default": 0, "null": False, "primary_key": False, "unique": False, "index": True, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="entry", db_column_name="entry",
        column_class_name="Integer", column_class=Integer,
        params={"default": 0, "null": False, "primary_key": False, "unique": False, "index": True, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="caller_id", db_column_name="caller_id",
        column_class_name="Integer", column_class=Integer,
        params={"default": 0, "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="caller_name", db_column_name="caller_name",
        column_class_name="Varchar", column_class=Varchar,
        params={"length": 64, "default": "", "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="called_at", db_column_name="called_at",
        column_class_name="Timestamptz", column_class=Timestamptz,
        params={"default": TimestamptzNow(), "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="outcome", db_column_name="outcome",
        column_class_name="Varchar", column_class=Varchar,
        params={"length": 16, "default": "", "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )

    manager.add_column(
        table_class_name="FollowUpCall", tablename="follow_up_call", column_name="note", db_column_name="note",
        column_class_name="Varchar", column_class=Varchar,
        params={"length": 500, "default": "", "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None,
    )


    async def run() -> None:
        import backend.piccolo_conf as conf

        for sql in STATEMENTS:
            await conf.DB.run_ddl(sql)

    manager.add_raw(run)
    return manager
