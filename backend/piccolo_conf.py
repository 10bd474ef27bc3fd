"""Piccolo's entry point: the engine from the environment and the registry of apps (used by `suishoupai migrate`)."""

from piccolo.conf.apps import AppRegistry

from backend.db import build_engine
from backend.settings import Settings

DB = build_engine(Settings.from_env())

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.audit.piccolo_app",
        "backend.org.piccolo_app",
        "backend.accounts.piccolo_app",
        "backend.cases.piccolo_app",
        "backend.photos.piccolo_app",
        "backend.live.piccolo_app",
        "backend.jobs.piccolo_app",
        "backend.evaluation.piccolo_app",
        "backend.interop.piccolo_app",
    ]
)
