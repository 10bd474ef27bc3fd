"""Web Push in a real Chromium: the service worker shows a pushed message as a notification (one per case, with the
app's icon) and a click on it opens that case; the 消息通知 page subscribes with the server's VAPID key."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import LOUDI, Api, shot, wait_controlled
from tests.browser.desk_fixtures import DESK, PHONE, open_as


def registration_id(page: Any) -> str:
    """The service worker registration's id, as DevTools knows it (ServiceWorker.deliverPushMessage needs it)."""
    cdp = page.context.new_cdp_session(page)
    found: list[str] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: found.extend(r["registrationId"] for r in e["registrations"] if not r["isDeleted"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not found and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # CDP events are delivered while Playwright waits
    assert found, "no service worker registration reported"
    page.context.cdp = cdp  # type: ignore[attr-defined]
    return found[0]


def notifications(worker: Any) -> list[dict[str, Any]]:
    return list(worker.evaluate("""async () => (await self.registration.getNotifications())
        .map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, url: n.data && n.data.url }))"""))


def shown_notifications(page: Any, condition: str = "true") -> list[dict[str, Any]]:
    """Read the page's registration's notifications until some are shown for which `condition` (on `list`) holds,
    returning what that same read saw (wait_for_function does not await an async predicate: it takes the promise as
    true at once)."""
    deadline = time.monotonic() + 15
    while True:
        found = page.evaluate(f"""async () => {{
            const list = (await (await navigator.serviceWorker.ready).getNotifications())
                .map((n) => ({{ title: n.title, body: n.body, tag: n.tag, icon: n.icon, url: n.data && n.data.url }}));
            return list.length > 0 && ({condition}) ? list : null;
        }}""")
        if found:
            return list(found)
        assert time.monotonic() < deadline, "no notification shown"
        page.wait_for_timeout(100)


def test_push_shows_a_notification_and_its_click_opens_the_case(browser: Any, live_server: str) -> None:
    citizen = Api.login(live_server, "citizen01")
    case = citizen.report(LOUDI["longitude"], LOUDI["latitude"], "小区门口垃圾桶满了没人清")
    page = open_as(browser, live_server, "citizen01", PHONE)
    page.context.grant_permissions(["notifications"], origin=live_server)
    wait_controlled(page)
    page.goto(f"{live_server}/#/mine")
    reg = registration_id(page)
    [worker] = page.context.service_workers
    message = {"title": f"您的上报 {case['tracking_no']}：已受理", "body": "点此查看办理进度。",
               "tag": f"case-{case['id']}", "url": f"/#/case/{case['id']}", "case_id": case["id"]}
    page.context.cdp.send("ServiceWorker.deliverPushMessage",  # type: ignore[attr-defined]
                          {"origin": live_server, "registrationId": reg, "data": json.dumps(message)})
    [shown] = shown_notifications(page)
    assert shown == {"title": message["title"], "body": message["body"], "tag": f"case-{case['id']}",
                     "icon": f"{live_server}/icons/icon-192.png", "url": f"{live_server}/#/case/{case['id']}"}
    # A newer message about the same case replaces the old one (same tag) instead of piling up.
    newer = {**message, "title": f"您的上报 {case['tracking_no']}：处理中"}
    page.context.cdp.send("ServiceWorker.deliverPushMessage",  # type: ignore[attr-defined]
                          {"origin": live_server, "registrationId": reg, "data": json.dumps(newer)})
    assert len(shown_notifications(page, "list[0].title.endsWith('处理中')")) == 1

    # The click: the real listener gets a real NotificationEvent; only its waitUntil is collected (a script-made
    # event may not extend itself), so the test can await what the handler does.
    worker.evaluate("""async () => {
        const [notification] = await self.registration.getNotifications();
        const event = new NotificationEvent('notificationclick', { notification });
        const work = [];
        Object.defineProperty(event, 'waitUntil', { value: (p) => work.push(p) });
        self.dispatchEvent(event);
        await Promise.all(work);
    }""")
    page.wait_for_function(f"() => location.hash === '#/case/{case['id']}'")
    expect(page.get_by_text(case["tracking_no"]).first).to_be_visible()
    assert notifications(worker) == []  # closed by the click
    shot(page, "push-01-opened-from-notification")


def test_notify_page_subscribes_with_the_vapid_key(browser: Any, live_server: str) -> None:
    for viewport, name in ((PHONE, "phone"), (DESK, "desk")):
        page = open_as(browser, live_server, "supervisor01", viewport)
        page.context.grant_permissions(["notifications"], origin=live_server)
        wait_controlled(page)
        # No push service is reachable here: the browser's subscribe() is replaced by one that returns a
        # subscription with real-looking keys, and records the applicationServerKey it was given.
        page.evaluate("""() => {
            const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
            const point = new Uint8Array(65); point[0] = 4; point.fill(7, 1);
            window.fakeEndpoint = 'http://push.example.com/send/device-1';  // refused: not https
            let current = null;
            PushManager.prototype.getSubscription = async () => current;
            PushManager.prototype.subscribe = async (options) => {
                window.usedKey = b64(new Uint8Array(options.applicationServerKey));
                current = {
                    endpoint: window.fakeEndpoint, options,
                    toJSON: () => ({ endpoint: window.fakeEndpoint,
                                     keys: { p256dh: b64(point), auth: b64(new Uint8Array(16).fill(9)) } }),
                    unsubscribe: async () => { current = null; return true; },
                };
                return current;
            };
        }""")
        page.goto(f"{live_server}/#/notify")
        expect(page.get_by_role("heading", name="消息通知")).to_be_visible()
        expect(page.get_by_role("checkbox", name="新的核实、核查任务")).to_be_checked()
        page.get_by_role("button", name="开启本机通知").click()
        expect(page.get_by_text("推送地址应为 https 网址")).to_be_visible()  # the server's refusal, in plain words
        expect(page.locator("#notify-state")).to_have_text("本机未开启通知")
        page.evaluate("() => { window.fakeEndpoint = 'https://push.example.com/send/device-1'; }")
        page.get_by_role("button", name="开启本机通知").click()
        expect(page.locator("#notify-state")).to_have_text("本机已开启通知")
        key = httpx.get(f"{live_server}/api/v1/push/key").json()["public_key"]
        assert page.evaluate("() => window.usedKey") == key
        assert base64.urlsafe_b64decode(key + "==")[0] == 4 and len(base64.urlsafe_b64decode(key + "==")) == 65
        page.fill("input[name=quiet_start]", "22:00")
        page.fill("input[name=quiet_end]", "07:00")
        page.get_by_role("button", name="保存设置").click()
        expect(page.get_by_text("已保存")).to_be_visible()
        prefs = Api.login(live_server, "supervisor01").get("push/preferences")
        assert (prefs["quiet_start"], prefs["quiet_end"], prefs["tasks"]) == (22 * 60, 7 * 60, True)
        shot(page, f"push-02-settings-{name}")
        page.get_by_role("button", name="关闭本机通知").click()
        expect(page.locator("#notify-state")).to_have_text("本机未开启通知")
        assert page.errors == []
        page.context.close()
