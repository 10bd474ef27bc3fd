"""Piccolo app registration for the evaluation domain."""

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="evaluation",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=table_finder(modules=["backend.evaluation.tables"], exclude_imported=True),
    migration_dependencies=["backend.cases.piccolo_app"],
    commands=[],
)
