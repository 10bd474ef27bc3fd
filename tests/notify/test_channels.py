"""Channels behind one interface: an SMS (recording twin) goes the same durable, once-only way as Web Push, only to
users who asked for it, to the phone on their account."""

from __future__ import annotations

from typing import Any

from backend.accounts.tables import User
from backend.notify.channels import Outcome, Recording, Result
from backend.notify.runtime import CHANNELS
from backend.notify.service import feed_once
from backend.notify.tables import NotifyDelivery
from tests.cases.flows import Flow
from tests.helpers import wait_for


def test_sms_twin_gets_the_citizen_words_once_after_a_retry(pushing: Any) -> None:
    sms = Recording("sms", script=[Result(Outcome.RETRY, 500, "HTTP 500")])
    pushing.app.state.ctx.extras[CHANNELS]["sms"] = sms
    f = Flow(pushing)

    async def phone() -> None:
        await User.update({User.phone: "13800000001"}).where(User.username == "citizen01")

    pushing.blocking_portal.call(phone)
    first = f.report()["id"]
    f.act("operator01", first, "accept_report")  # SMS not asked for yet: nothing

    async def feed_caught_up() -> None:  # the feed has read everything so far (it waits for a round in progress)
        ctx = pushing.app.state.ctx
        while await feed_once(ctx, ctx.extras[CHANNELS]):
            pass

    pushing.blocking_portal.call(feed_caught_up)
    f.settle()
    assert sms.sent == []
    r = pushing.put("/api/v1/push/preferences", json={"sms": True}, headers=f.h("citizen01"))
    assert r.status_code == 200 and r.json()["sms"] is True
    case = f.report()
    f.act("operator01", case["id"], "accept_report")
    wait_for(lambda: len(sms.sent) == 2 or None)
    f.settle()
    assert len(sms.sent) == 2  # a failure, then the retry: nothing more
    (to, message), _ = sms.sent
    assert to.endpoint == "13800000001" and message.title == f"您的上报 {case['tracking_no']}：已受理"

    async def deliveries() -> list[dict[str, Any]]:
        return list(await NotifyDelivery.select().where(NotifyDelivery.channel == "sms"))

    [row] = pushing.blocking_portal.call(deliveries)
    assert row["status"] == "sent" and row["attempts"] == 2
