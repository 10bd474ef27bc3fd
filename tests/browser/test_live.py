"""The PWA's live client (pwa/js/live.js) against the real /ws endpoint, with every websocket of the page passed
through a relay in the test so the connection can be cut, held down, and made to replay.

- After a forced drop, with status changes made meanwhile, a page watching a case gets each change once and in
  order: the client resumes with ``since`` and drops whatever the relay replays or doubles.
- The credential goes in the first message, never in the URL.
- A token that stops working (4401) sends the user to the login screen; the client does not reconnect in a loop.
- A refused topic (4403) is dropped and not asked for again; a 4429 reconnects at once from ``resume_since``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api, page_session
from tests.browser.desk_fixtures import PHONE, open_as
from tests.browser.helpers import ensure_category
from tests.helpers import point_in

pytestmark = pytest.mark.browser

# Subscribe a recorder through the app's own live.js module (same URL, so the same instance the case page uses).
RECORD = """async (topic) => {
    const live = await import('/js/live.js');
    window.__got = [];
    window.__stopRecorder = live.subscribe([topic], (e) => window.__got.push({seq: e.seq, kind: e.kind, state: e.state}));
}"""


class Relay:
    """Routes the page's /ws connections to the server and back, recording what each side sent.

    ``cut()`` drops the current connection as a lost network would (close 1006 in the page). While ``down`` new
    connections fail at once. With ``replay`` set, every connection after the first gets all the events the earlier
    ones carried (right after ``welcome``), and each event it carries twice: a server replaying too much.
    """

    def __init__(self, page: Any) -> None:
        self.conns: list[dict[str, Any]] = []
        self.down = False
        self.replay = False
        self.extra = 0  # events sent to the page a second time
        page.route_web_socket(re.compile(r"/ws(\?|$)"), self._open)

    def _open(self, ws: Any) -> None:
        conn: dict[str, Any] = {"ws": ws, "server": None, "sent": [], "got": [], "url": ws.url}
        self.conns.append(conn)
        if self.down:
            ws.close(code=1006, reason="offline")
            return
        earlier = [m for c in self.conns[:-1] for m in c["got"] if m["type"] == "event"]
        server = ws.connect_to_server()
        conn["server"] = server

        def to_server(message: str | bytes) -> None:
            conn["sent"].append(json.loads(message))
            server.send(message)

        def to_page(message: str | bytes) -> None:
            msg = json.loads(message)
            conn["got"].append(msg)
            ws.send(message)
            if self.replay and msg["type"] == "welcome":
                for old in earlier:
                    ws.send(json.dumps(old))
                    self.extra += 1
            elif self.replay and msg["type"] == "event":
                ws.send(message)
                self.extra += 1

        ws.on_message(to_server)
        server.on_message(to_page)

    def cut(self) -> None:
        conn = self.conns[-1]
        conn["ws"].close(code=1006, reason="network lost")
        if conn["server"]:
            conn["server"].close()

    def subscribes(self) -> list[dict[str, Any]]:
        return [m for c in self.conns for m in c["sent"] if m["type"] == "subscribe"]

    def received(self, kind: str) -> list[dict[str, Any]]:
        return [m for c in self.conns for m in c["got"] if m["type"] == kind]


def pump(page: Any, ms: int = 100) -> None:
    """Let the browser run and the relay's handlers fire (they run inside Playwright calls)."""
    page.wait_for_timeout(ms)


def until(page: Any, check: Any, timeout_ms: int = 15_000) -> None:
    for _ in range(timeout_ms // 100):
        if check():
            return
        pump(page)
    raise AssertionError("timed out")


def citizen_case_page(browser: Any, base: str) -> tuple[Any, Relay, dict[str, Any]]:
    """citizen01 reports a case (by API) and opens its page in the PWA, live through a relay."""
    case = Api.login(base, "citizen01").report(*point_in("ZR01"), "井盖缺失，路人容易踩空")
    ensure_category(base, case["id"])
    page = open_as(browser, base, "citizen01", PHONE)
    relay = Relay(page)
    page.goto(f"{base}/#/case/{case['id']}")
    expect(page.locator(".case-page .badge.state")).to_have_text("已提交")  # citizen words (#17)
    until(page, lambda: relay.received("subscribed"))
    assert relay.subscribes()[0]["topics"] == [f"case:{case['id']}"]
    first = relay.conns[0]
    assert first["url"].endswith("/ws") and first["sent"][0] == {"type": "auth", "token": page_session(page)["token"]}
    return page, relay, case


def test_status_changes_arrive_once_in_order_after_a_dropped_connection(browser: Any, live_server: str) -> None:
    base = live_server
    page, relay, case = citizen_case_page(browser, base)
    case_id = case["id"]
    try:
        page.evaluate(RECORD, f"case:{case_id}")
        operator, lead, dispatcher = (Api.login(base, u) for u in ("operator01", "shiftlead01", "dispatcher01"))
        staff = Api.login(base, "staff_ld_water")
        states = [operator.act(case_id, "accept_report")["state"]]
        until(page, lambda: len(page.evaluate("window.__got")) == 1)
        expect(page.locator(".case-page .badge.state")).to_have_text("已受理")
        seen = page.evaluate("window.__got")[0]["seq"]

        # The network goes and the socket drops; the case moves on four times meanwhile.
        page.context.set_offline(True)
        relay.down = True
        relay.replay = True
        relay.cut()
        pump(page, 300)
        assert page.evaluate("document.documentElement.dataset.live") == "off"
        states.append(lead.act(case_id, "file")["state"])
        states.append(dispatcher.act(case_id, "dispatch", unit_id=staff.get("me")["unit_id"])["state"])
        states.append(staff.act(case_id, "accept")["state"])
        states.append(staff.act(case_id, "report_back", note="已更换井盖", photo_ids=[staff.photo("after")])["state"])
        pump(page, 1500)  # a reconnect attempt or two fail while down
        assert len(page.evaluate("window.__got")) == 1

        relay.down = False
        page.context.set_offline(False)  # the 'online' event reconnects at once
        until(page, lambda: len(page.evaluate("window.__got")) >= len(states))
        pump(page, 1500)  # anything replayed or doubled would have arrived by now
        got = page.evaluate("window.__got")
        assert [e["state"] for e in got] == states == ["pending_filing", "pending_dispatch", "dispatched", "handling",
                                                      "checking"]
        seqs = [e["seq"] for e in got]
        assert seqs == sorted(set(seqs)), seqs
        # It resumed from where it was, and the relay really did replay and double events.
        resumed = relay.subscribes()[-1]
        assert resumed["topics"] == [f"case:{case_id}"] and seen <= resumed["since"] < seqs[1], resumed
        assert relay.extra >= 1 + 4 and sum(1 for c in relay.conns if c["server"]) == 2, relay.extra
        expect(page.locator(".case-page .badge.state")).to_have_text("处理中")
        expect(page.locator(".timeline")).to_contain_text("立案")
        assert page.errors == []
    finally:
        page.context.close()


def test_a_dead_token_shows_the_login_screen_instead_of_reconnecting(browser: Any, live_server: str) -> None:
    base = live_server
    page, relay, _ = citizen_case_page(browser, base)
    unauthorised: list[int] = []
    page.on("response", lambda r: unauthorised.append(r.status) if r.status == 401 else None)
    try:
        token = page_session(page)["token"]
        r = httpx.post(f"{base}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 204, r.text
        # Logout closes the socket with 4401 at once; were it still open, the reconnect after this cut would present
        # the revoked token and get 4401 all the same.
        relay.cut()
        expect(page.locator("input[name=username]")).to_be_visible(timeout=15_000)
        assert page.url.endswith("#/login")
        assert relay.received("error")[-1]["code"].startswith("auth.")
        conns = len(relay.conns)
        pump(page, 5000)  # a reconnect loop would try again within a few seconds (backoff starts at 1 s)
        assert len(relay.conns) == conns <= 2, [c["url"] for c in relay.conns]
        assert page_session(page) is None  # the dead session is forgotten, as on an API 401
        assert unauthorised == []  # it was the websocket, not an API call, that noticed
        assert page.errors == []
    finally:
        page.context.close()


def test_refused_topic_is_dropped_and_too_slow_resumes_from_the_server_cursor(browser: Any, live_server: str) -> None:
    base = live_server
    page, relay, case = citizen_case_page(browser, base)
    case_id = case["id"]
    try:
        # Not this citizen's case: the server refuses it (4403); the client keeps the rest and never asks again.
        page.evaluate("""async () => {
            const live = await import('/js/live.js');
            live.subscribe(['case:999999'], () => {});
        }""")
        until(page, lambda: len(relay.conns) == 2 and relay.received("subscribed")[-1:] != [] and
              relay.conns[-1]["got"] and relay.conns[-1]["got"][-1]["type"] == "subscribed")
        assert relay.received("error")[-1]["code"] == "ws.topic_forbidden"
        assert relay.subscribes()[-1]["topics"] == [f"case:{case_id}"]
        page.evaluate("""async () => {
            const live = await import('/js/live.js');
            live.subscribe(['case:999999'], () => {});
        }""")
        pump(page, 1000)
        assert len(relay.conns) == 2 and all("case:999999" not in m.get("topics", []) for m in relay.conns[-1]["sent"])

        # A 4429 from the server: reconnect at once, resuming from details.resume_since.
        page.evaluate(RECORD, f"case:{case_id}")
        resume = relay.received("subscribed")[-1]["last_seq"]
        conn = relay.conns[-1]
        conn["ws"].send(json.dumps({"type": "error", "code": "ws.too_slow", "message_zh": "网络太慢",
                                    "message_en": "Too slow", "details": {"resume_since": resume}}))
        conn["ws"].close(code=4429, reason=f"ws.too_slow resume_since={resume}")
        conn["server"].close()
        until(page, lambda: len(relay.conns) == 3 and len(relay.conns[-1]["sent"]) > 1)
        assert relay.conns[-1]["sent"][0]["type"] == "auth"
        assert relay.conns[-1]["sent"][1] == {"type": "subscribe", "topics": [f"case:{case_id}"], "since": resume}
        Api.login(base, "operator01").act(case_id, "accept_report")
        until(page, lambda: len(page.evaluate("window.__got")) == 1)
        expect(page.locator(".case-page .badge.state")).to_have_text("已受理")
        assert page.errors == []
    finally:
        page.context.close()
