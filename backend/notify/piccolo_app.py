"""Piccolo app registration for notifications: push subscriptions, preferences, deliveries and the feed's cursor."""

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="notify",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=table_finder(modules=["backend.notify.tables"], exclude_imported=True),
    migration_dependencies=["backend.accounts.piccolo_app"],
    commands=[],
)
