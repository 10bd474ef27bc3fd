"""Grants made before direct uploads were bound to a type and size expire at once, so the expiry removes them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T17:54:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "expire direct-upload grants made before they were bound to a type and size"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="photos", description=DESCRIPTION)

    async def run() -> None:
        import backend.piccolo_conf as conf

        await conf.DB.run_ddl("UPDATE photo SET upload_expires_at = created_at WHERE status = 'awaiting_upload'")

    manager.add_raw(run)
    return manager
