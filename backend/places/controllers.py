"""Place names over HTTP: search, reverse geocoding, and the demo base map's road and landmark layers (public: they
describe public places, like the org boundaries)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery, QueryParameter
from msgspec import Struct

from backend.accounts.auth import bearer_token, provide_actor
from backend.context import Ctx
from backend.places.service import case_hits, get_places, layer_bytes

CACHE = {"Cache-Control": "public, max-age=300"}


class PlaceOut(Struct):
    kind: str  # district | street | community | road | landmark | responsibility_grid | component | unit_grid | case
    code: str
    name: str
    context: str
    lat: float
    lng: float
    bbox: list[float] | None
    score: float


class SearchOut(Struct):
    query: str
    results: list[PlaceOut]


class AddressOut(Struct):
    text: str
    lat: float
    lng: float
    district_code: str
    district: str
    street_code: str
    street: str
    community_code: str
    community: str
    unit_grid: str
    responsibility_grid: str
    road: str
    road_m: float | None
    landmark: str
    landmark_m: float | None
    outside_m: float


class PlacesController(Controller):
    path = "/api/v1/places"
    tags = ("places",)

    @get("/search", operation_id="searchPlaces",
         summary="查找地名 Search places by Chinese, pinyin, initials or code (typos tolerated); staff signed in also "
                 "find cases by tracking number (kind 'case')")
    async def search(self, ctx: Ctx, request: Request[Any, Any, Any], q: FromQuery[str],
                     limit: Annotated[int, QueryParameter(ge=1, le=20)] = 8) -> SearchOut:
        cases = await case_hits(await provide_actor(request), q, limit) if bearer_token(request) else []
        hits = [*cases, *(await get_places(ctx)).search(q, limit)][:limit]
        return SearchOut(q.strip(), [PlaceOut(h.place.kind, h.place.code, h.place.name, h.place.context, h.place.lat,
                                              h.place.lng, list(h.place.bbox) if h.place.bbox else None, h.score)
                                     for h in hits])

    @get("/reverse", operation_id="reverseGeocode",
         summary="地址 The address of a WGS-84 point: district, street, community, unit grid, nearby road and landmark")
    async def reverse(self, ctx: Ctx, lat: FromQuery[float], lng: FromQuery[float]) -> AddressOut:
        a = (await get_places(ctx)).describe(lat, lng)
        return AddressOut(a.text, a.lat, a.lng, a.district_code, a.district, a.street_code, a.street,
                          a.community_code, a.community, a.unit_grid, a.responsibility_grid, a.road, a.road_m,
                          a.landmark, a.landmark_m, a.outside_m)

    @get("/layers/roads", operation_id="roadsGeojson",
         summary="道路 Named roads of the demo base map (GeoJSON; invented demo geography)")
    async def roads(self, ctx: Ctx) -> Response[bytes]:
        return Response(layer_bytes(ctx.settings, "roads"), media_type="application/geo+json", headers=CACHE)

    @get("/layers/landmarks", operation_id="landmarksGeojson",
         summary="地标 Landmarks of the demo base map (GeoJSON; invented demo geography)")
    async def landmarks(self, ctx: Ctx) -> Response[bytes]:
        return Response(layer_bytes(ctx.settings, "landmarks"), media_type="application/geo+json", headers=CACHE)
