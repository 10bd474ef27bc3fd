"""What services need from the running app, built once in the lifespan and handed to handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.di import NamedDependency

from backend.settings import Settings

if TYPE_CHECKING:  # types only: the context is below every domain and imports none of them
    from backend.live.bus import EventBus
    from backend.photos.store import ObjectStore
    from backend.triage.service import Triage


@dataclass(frozen=True)
class CaseAccess:
    """What a lower domain (photos) may ask about a case without importing the cases domain; wired in app.py.

    ``load(id)`` gives the case or None, ``can_see(actor, case)`` the cases domain's visibility rule,
    ``is_public(case)`` whether the public may see the case's public images.
    """

    load: Callable[[int], Awaitable[Any | None]]
    can_see: Callable[[Any, Any], bool]
    is_public: Callable[[Any], bool]


@dataclass(frozen=True)
class PlaceNames:
    """What the cases domain may ask the places domain (which sits above it) about a point; wired in app.py.

    ``describe(lat, lng)`` gives the point's address as the gazetteer names it (``Address.as_dict()``: ``text`` and the
    names of its areas, road and landmark), or None when no city is loaded; it waits for the gazetteer if it is still
    loading.
    """

    describe: Callable[[float, float], Awaitable[dict[str, Any] | None]]


class AppContext:
    """A plain class, not a dataclass: Litestar (msgspec) hands it to handlers as it is, without reading the
    annotations, whose types the context only names (it sits below the domains that define them)."""

    def __init__(self, settings: Settings, engine: Any, bus: EventBus, store: ObjectStore | None = None,
                 triage: Triage | None = None, cases: CaseAccess | None = None,
                 extras: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.bus = bus
        # Opened and loaded in the lifespan, before any request: typed as present.
        self.store: ObjectStore = store  # type: ignore[assignment]
        self.triage: Triage = triage  # type: ignore[assignment]
        self.cases = cases
        self.place_names: PlaceNames | None = None  # set by the lifespan (app.py) once the city is known
        self.extras: dict[str, Any] = extras if extras is not None else {}


# How handlers ask for it: Litestar 3 injects only parameters marked as dependencies.
Ctx = NamedDependency[AppContext]
