"""Piccolo app registration for the cases domain."""

import os

from piccolo.conf.apps import AppConfig, table_finder

from backend.idempotency import IdempotencyRecord

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    # The idempotency records are shared with photos (backend/idempotency.py), but this app's migrations made them.
    table_classes=[*table_finder(modules=["backend.cases.tables"], exclude_imported=True), IdempotencyRecord],
    migration_dependencies=["backend.org.piccolo_app", "backend.accounts.piccolo_app"],
    commands=[],
)
