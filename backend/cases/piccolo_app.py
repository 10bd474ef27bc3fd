"""Piccolo app registration for the cases domain."""

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=table_finder(modules=["backend.cases.tables"], exclude_imported=True),
    migration_dependencies=["backend.org.piccolo_app", "backend.accounts.piccolo_app"],
    commands=[],
)
