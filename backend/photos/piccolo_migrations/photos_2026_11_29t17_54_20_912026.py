"""Direct uploads: each has a deadline (upload_expires_at); indexes to find an upload by key and the expired ones."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T17:54:20:912026"
VERSION = "1.38.0"
DESCRIPTION = "direct uploads: a deadline per upload; indexes to find an upload by key and the expired ones"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="photos", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Photo",
        tablename="photo",
        column_name="upload_expires_at",
        db_column_name="upload_expires_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="Photo",
        tablename="photo",
        column_name="original_key",
        db_column_name="original_key",
        params={"index": True},
        old_params={"index": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
