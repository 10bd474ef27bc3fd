"""What services need from the running app, built once in the lifespan and handed to handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.di import NamedDependency

from backend.live.bus import EventBus
from backend.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: Any
    bus: EventBus
    store: Any = None  # backend.photos.store.ObjectStore once opened
    triage: Any = None  # backend.triage.service.Triage once loaded
    extras: dict[str, Any] = field(default_factory=dict)


# How handlers ask for it: Litestar 3 injects only parameters marked as dependencies.
Ctx = NamedDependency[AppContext]
