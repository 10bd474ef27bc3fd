"""Photos' Idempotency-Keys now live in the shared idempotency records (backend/idempotency.py): the column goes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop photo.idempotency_key (photos use the shared idempotency records)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="photos", description=DESCRIPTION)
    manager.drop_column(
        table_class_name="Photo",
        tablename="photo",
        column_name="idempotency_key",
        db_column_name="idempotency_key",
        schema=None,
    )
    return manager
