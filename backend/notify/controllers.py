"""HTTP endpoints for notifications: the VAPID public key, this device's subscription, my preferences, and my
report's status in the citizen words the notifications use."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.accounts.auth import CurrentActor, provide_actor
from backend.cases import follow
from backend.cases.tables import Case
from backend.context import Ctx
from backend.errors import NotFound
from backend.notify import runtime, service, words
from backend.photos.tables import Photo

Str = Annotated[str, msgspec.Meta(max_length=1000)]
Minute = Annotated[int, msgspec.Meta(ge=0, lt=24 * 60)]


class KeyOut(msgspec.Struct):
    public_key: str


class Keys(msgspec.Struct):
    p256dh: Str
    auth: Str


class SubscriptionIn(msgspec.Struct):
    endpoint: Str
    keys: Keys
    lang: Literal["zh", "en"] = "zh"


class SubscriptionOut(msgspec.Struct):
    id: int


class Unsubscribe(msgspec.Struct):
    endpoint: Str


class PreferencesIO(msgspec.Struct):
    enabled: bool = True
    status: bool = True
    tasks: bool = True
    cases: bool = True
    sms: bool = False
    quiet_start: Minute | None = None
    quiet_end: Minute | None = None


class PushController(Controller):
    path = "/api/v1/push"
    tags = ["notifications"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/key", operation_id="pushKey", summary="推送公钥 The VAPID public key (applicationServerKey)",
         security=[])
    async def key(self, ctx: Ctx) -> KeyOut:
        return KeyOut(public_key=runtime.public_key(ctx))

    @post("/subscriptions", operation_id="subscribePush", summary="订阅推送 Store this device's push subscription")
    async def subscribe(self, ctx: Ctx, actor: CurrentActor, data: JSONBody[SubscriptionIn]) -> SubscriptionOut:
        sub_id = await service.subscribe(ctx, actor.id, data.endpoint, data.keys.p256dh, data.keys.auth, data.lang)
        return SubscriptionOut(id=sub_id)

    @delete("/subscriptions", operation_id="unsubscribePush", status_code=204,
            summary="取消推送 Remove this device's push subscription")
    async def unsubscribe(self, actor: CurrentActor, data: JSONBody[Unsubscribe]) -> None:
        await service.unsubscribe(actor.id, data.endpoint)

    @get("/preferences", operation_id="pushPreferences", summary="通知设置 My notification preferences")
    async def preferences(self, actor: CurrentActor) -> PreferencesIO:
        return PreferencesIO(**dataclasses.asdict(await service.preferences(actor.id)))

    @put("/preferences", operation_id="setPushPreferences", summary="修改通知设置 Change my notification preferences")
    async def set_preferences(self, ctx: Ctx, actor: CurrentActor, data: JSONBody[PreferencesIO]) -> PreferencesIO:
        prefs = service.Preferences(**msgspec.structs.asdict(data))
        await service.set_preferences(ctx, actor.id, prefs)
        return data


class CitizenStatusOut(msgspec.Struct):
    status: str  # submitted | accepted | in_progress | resolved | not_accepted
    name_zh: str
    name_en: str
    expected_zh: str
    expected_en: str
    reason_zh: str
    reason_en: str
    category_zh: str = ""
    category_en: str = ""
    follow_code: str = ""  # the reporter's own: with the tracking number it follows the case on another phone
    following: str = ""  # "" (my report) | nearby | device
    states: dict[str, list[str]] = {}  # every internal state as the citizen status it reads as: [zh, en]


class NearbyOut(msgspec.Struct):
    tracking_no: str
    status_zh: str
    status_en: str
    category_zh: str
    category_en: str
    lng: float  # rounded to about 100 m, as on the public map
    lat: float
    distance_m: int
    created_at: str
    followers: int
    mine: bool  # my own report or one I follow already
    thumb_urls: list[str]


class NearbyPage(msgspec.Struct):
    items: list[NearbyOut]
    radius_m: int


TrackingNo = Annotated[str, msgspec.Meta(min_length=6, max_length=20, pattern=r"^[A-Za-z0-9-]+$")]
FollowCode = Annotated[str, msgspec.Meta(min_length=4, max_length=12)]


class FollowIn(msgspec.Struct, forbid_unknown_fields=True):
    tracking_no: TrackingNo
    code: FollowCode | None = None  # with a code: my own report on another device; without: 我也遇到 (public only)


class FollowOut(msgspec.Struct):
    case_id: int


class CitizenStatusController(Controller):
    """Where my report stands, in the citizen's words (the same words as the notifications); reports nearby to join
    instead of reporting again (只报一次), and following a report."""

    path = "/api/v1/citizen"
    tags = ["cases"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/cases/{case_id:int}/status", operation_id="citizenCaseStatus",
         summary="办理进度 My report's (or a followed report's) status in plain words")
    async def status(self, ctx: Ctx, actor: CurrentActor, case_id: FromPath[int]) -> CitizenStatusOut:
        case = await Case.select(Case.state, Case.due_at, Case.reporter, Case.tracking_no, Case.category_code,
                                 Case.category_name).where(Case.id == case_id).first()
        kind = await follow.following(actor.id, case_id) if case is not None and case["reporter"] != actor.id else ""
        if case is None or kind is None:
            raise NotFound("没有找到您的这条上报", "No such report of yours", code="case.not_found")
        state, due = case["state"], case["due_at"]
        status = words.citizen_status(state)
        given = await service.void_reason(case_id) if state == "voided" and not kind else ""
        not_accepted = status is words.CitizenStatus.NOT_ACCEPTED
        # Before staff have seen it the category is only the classifier's guess: not shown (as in the reporter view).
        code = case["category_code"] if state != "new" else ""
        category_zh, category_en = words.category_words(ctx.triage.taxonomy, code, case["category_name"])
        return CitizenStatusOut(
            status=status.value, name_zh=words.status_name(status), name_en=words.status_name(status, "en"),
            expected_zh=words.expected_by(state, due), expected_en=words.expected_by(state, due, "en"),
            reason_zh=words.not_accepted_reason(state, given) if not_accepted else "",
            reason_en=words.not_accepted_reason(state, given, "en") if not_accepted else "",
            category_zh=category_zh, category_en=category_en,
            follow_code=follow.follow_code(ctx.settings, case["tracking_no"]) if not kind else "",
            following=kind, states=words.state_words())

    @get("/states", operation_id="citizenStates", summary="状态用语 Every case state as the citizen status it reads as")
    async def states(self) -> dict[str, list[str]]:
        return words.state_words()

    @get("/nearby", operation_id="citizenNearby", summary="附近的上报 Open public reports nearby (只报一次)")
    async def nearby(self, ctx: Ctx, actor: CurrentActor,
                     lng: Annotated[float, QueryParameter(ge=-180, le=180)],
                     lat: Annotated[float, QueryParameter(ge=-90, le=90)],
                     menu: Annotated[str | None, QueryParameter(max_length=32)] = None) -> NearbyPage:
        taxonomy = ctx.triage.taxonomy
        codes = tuple(taxonomy.menu_item(menu).codes) if menu else None  # an unknown icon: taxonomy.unknown_menu
        found = await follow.nearby(lng, lat, codes)
        ids = [row["id"] for row, _ in found]
        counts = await follow.follower_count(ids)
        mine = {i for i, _ in await follow.followed(actor.id)}
        thumbs = await public_thumbs(ids)
        items = []
        for row, metres in found:
            status = words.citizen_status(row["state"])
            zh, en = words.category_words(taxonomy, row["category_code"], row["category_name"])
            items.append(NearbyOut(
                tracking_no=row["tracking_no"], status_zh=words.status_name(status),
                status_en=words.status_name(status, "en"), category_zh=zh, category_en=en,
                lng=round(row["lng"], 3), lat=round(row["lat"], 3), distance_m=int(round(metres, -1)),
                created_at=row["created_at"].isoformat(), followers=counts.get(row["id"], 0),
                mine=row["reporter"] == actor.id or row["id"] in mine, thumb_urls=thumbs.get(row["id"], [])[:2]))
        return NearbyPage(items=items, radius_m=follow.NEARBY_METRES)

    @post("/follows", operation_id="citizenFollow", status_code=200,
          summary="关注上报 我也遇到 (an open public report), or my own report on this device (tracking no. + code)")
    async def follow(self, ctx: Ctx, actor: CurrentActor, data: JSONBody[FollowIn]) -> FollowOut:
        if data.code is not None:
            case_id = await follow.follow_with_code(ctx.settings, actor, data.tracking_no, data.code)
        else:
            case_id = await follow.follow_public(actor, data.tracking_no)
        return FollowOut(case_id=case_id)

    @delete("/follows/{case_id:int}", operation_id="citizenUnfollow", status_code=204,
            summary="取消关注 Stop following a report")
    async def unfollow(self, actor: CurrentActor, case_id: FromPath[int]) -> None:
        await follow.unfollow(actor, case_id)


async def public_thumbs(case_ids: list[int]) -> dict[int, list[str]]:
    """The public thumbnails (no EXIF) of these cases' report photos, as the public map shows them."""
    if not case_ids:
        return {}
    out: dict[int, list[str]] = {}
    for p in await Photo.select(Photo.id, Photo.case).where(
            Photo.case.is_in(case_ids) & (Photo.status == "ready") & (Photo.kind == "report")).order_by(Photo.id):
        out.setdefault(p["case"], []).append(f"/api/v1/public/photos/{p['id']}/thumb")
    return out
