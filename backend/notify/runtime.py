"""The notifier's wiring for the app factory: VAPID keys and channels on the context, the feed loop, the job."""

from __future__ import annotations

from typing import Any

from backend.context import AppContext
from backend.loops import Loop
from backend.notify import channels, service, vapid

CHANNELS = "notify.channels"  # ctx.extras key: tests put recording twins here


def prepare(ctx: AppContext) -> None:
    keys = vapid.load_or_create(ctx.settings.data_dir)
    ctx.extras["notify.vapid"] = keys
    ctx.extras[CHANNELS] = channels.build(ctx.settings, keys)


def public_key(ctx: AppContext) -> str:
    return str(ctx.extras["notify.vapid"].public_key)


def feed(ctx: AppContext) -> Loop:
    async def round_() -> bool:
        return await service.feed_once(ctx, ctx.extras[CHANNELS])

    return Loop("notify-feed", round_, ctx.settings.push_poll_seconds)


def job(ctx: AppContext) -> Any:
    async def push(payload: dict[str, Any]) -> None:
        await service.deliver(ctx.extras[CHANNELS], payload)

    return push
