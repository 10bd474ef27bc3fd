"""Piccolo app registration for interoperability: Open311 clients and requests, outgoing webhooks."""

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="interop",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=table_finder(modules=["backend.interop.tables"], exclude_imported=True),
    migration_dependencies=["backend.accounts.piccolo_app", "backend.cases.piccolo_app"],
    commands=[],
)
