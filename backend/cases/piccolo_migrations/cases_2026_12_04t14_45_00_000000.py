"""The place's name stored with each case (reverse geocoding at creation): place_text and its parts."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T14:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "place names stored with the case"


def _params(**extra: object) -> dict[str, object]:
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_column(table_class_name="Case", tablename="case", column_name="place_text",
                       db_column_name="place_text", column_class_name="Varchar", column_class=Varchar,
                       params=_params(length=200, default=""), schema=None)
    manager.add_column(table_class_name="Case", tablename="case", column_name="place", db_column_name="place",
                       column_class_name="JSON", column_class=JSON, params=_params(default="{}"), schema=None)
    return manager
