"""The registry of Piccolo apps (one per domain): their tables and migrations. Importing it reads no settings."""

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.audit.piccolo_app",
        "backend.org.piccolo_app",
        "backend.accounts.piccolo_app",
        "backend.cases.piccolo_app",
        "backend.photos.piccolo_app",
        "backend.redaction.piccolo_app",
        "backend.live.piccolo_app",
        "backend.jobs.piccolo_app",
        "backend.evaluation.piccolo_app",
        "backend.interop.piccolo_app",
        "backend.notify.piccolo_app",
    ]
)
