"""Cases per local day and statistics dimension (CaseDayCount), and the record that they were built (CaseDayCountBuild).

The counts are filled when the statistics first read them (``backend/cases/daycounts.py``: the city's time zone is a
setting, which a migration does not see), then kept current by the case recorder. One row per dimension, day, value,
category (and category name); the next migration adds their unique index (Piccolo runs a migration's raw SQL before
its new tables).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: daily counts for the statistics"


def _params(**extra: object) -> dict[str, object]:
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


COLUMNS: dict[str, list[tuple[str, type, dict[str, object]]]] = {
    "case_day_count": [
        ("dim", Varchar, _params(length=12, default="")),
        ("day", Date, _params(default=DateNow())),
        ("value", Varchar, _params(length=32, default="")),
        ("category_code", Varchar, _params(length=8, default="")),
        ("category_name", Varchar, _params(length=64, default="")),
        ("n", Integer, _params(default=0)),
    ],
    "case_day_count_build": [
        ("timezone", Varchar, _params(length=64, default="")),
        ("built_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
}
CLASSES = {"case_day_count": "CaseDayCount", "case_day_count_build": "CaseDayCountBuild"}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    for tablename, columns in COLUMNS.items():
        manager.add_table(class_name=CLASSES[tablename], tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(table_class_name=CLASSES[tablename], tablename=tablename, column_name=name,
                               db_column_name=name, column_class_name=column_class.__name__,
                               column_class=column_class, params=params, schema=None)
    return manager
