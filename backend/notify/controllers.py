"""HTTP endpoints for notifications: the VAPID public key, this device's subscription, my preferences, and my
report's status in the citizen words the notifications use."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from backend.accounts.auth import CurrentActor, provide_actor
from backend.cases.tables import Case
from backend.context import Ctx
from backend.errors import NotFound
from backend.notify import runtime, service, words

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


class CitizenStatusController(Controller):
    """Where my report stands, in the citizen's words (the same words as the notifications)."""

    path = "/api/v1/citizen/cases"
    tags = ["cases"]
    dependencies = {"actor": Provide(provide_actor)}
    security = [{"bearer": []}]

    @get("/{case_id:int}/status", operation_id="citizenCaseStatus",
         summary="办理进度 My report's status in plain words (reporter only)")
    async def status(self, actor: CurrentActor, case_id: FromPath[int]) -> CitizenStatusOut:
        case = await Case.select(Case.state, Case.due_at, Case.reporter).where(Case.id == case_id).first()
        if case is None or case["reporter"] != actor.id:
            raise NotFound("没有找到您的这条上报", "No such report of yours", code="case.not_found")
        state, due = case["state"], case["due_at"]
        status = words.citizen_status(state)
        given = await service.void_reason(case_id) if state == "voided" else ""
        not_accepted = status is words.CitizenStatus.NOT_ACCEPTED
        return CitizenStatusOut(
            status=status.value, name_zh=words.status_name(status), name_en=words.status_name(status, "en"),
            expected_zh=words.expected_by(state, due), expected_en=words.expected_by(state, due, "en"),
            reason_zh=words.not_accepted_reason(state, given) if not_accepted else "",
            reason_en=words.not_accepted_reason(state, given, "en") if not_accepted else "")
