"""HTTP endpoints for notifications: the VAPID public key, this device's subscription, and my preferences."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody

from backend.accounts.auth import CurrentActor, provide_actor
from backend.context import Ctx
from backend.notify import runtime, service

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
