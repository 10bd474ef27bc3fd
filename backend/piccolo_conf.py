"""Piccolo's entry point for its own tools (``suishoupai migrate`` sets ``PICCOLO_CONF`` to this module): the engine
from the environment and the apps' registry. The app itself never imports this module: it opens its engine with
``backend.db.open_database`` and finds the tables through ``backend.apps``.
"""

from backend.apps import APP_REGISTRY
from backend.db import build_engine
from backend.settings import Settings

DB = build_engine(Settings.from_env())

__all__ = ["APP_REGISTRY", "DB"]
