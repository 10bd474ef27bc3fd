"""Place names: the city's gazetteer (search by Chinese, pinyin, initials or code) and reverse geocoding of a point
into an ``Address`` such as 娄星区 长青街道 和园社区 · 近春晖大道.

``describe(lat, lng)`` answers from the gazetteer this process loaded (``install``); services that have the app context
use ``service.get_places(ctx)``, and the cases domain (below this one) asks through ``ctx.place_names``.
"""

from __future__ import annotations

from backend.errors import Unavailable
from backend.places.address import Address
from backend.places.gazetteer import Hit, Place, Places

__all__ = ["Address", "Hit", "Place", "Places", "describe", "install", "installed"]

_installed: Places | None = None


def install(places: Places | None) -> None:
    """Make ``places`` the gazetteer ``describe`` answers from (the app's lifespan does this once it has loaded)."""
    global _installed
    _installed = places


def installed() -> Places:
    if _installed is None:
        raise Unavailable("地名服务尚未就绪", "Place names are not loaded yet", code="places.unavailable", retry_after=5)
    return _installed


def describe(lat: float, lng: float) -> Address:
    """The address of a WGS-84 point (note the order: latitude first). Raises ``InvalidInput`` with code
    ``geo.bad_coordinates`` or ``places.outside_city``, ``Unavailable`` before the gazetteer is loaded."""
    return installed().describe(lat, lng)
