"""Steps the browser tests share: driving a case through the centre and a unit by API, probing the websocket."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import Api

AXE = "/node_modules/axe-core/axe.min.js"


def ensure_category(base: str, case_id: int, code: str = "C0101") -> None:
    """A citizen's report is filed only with a category: the classifier sets one only above its calibrated threshold
    (and may not have run yet), so the operator chooses it when it is missing, as the desk would."""
    operator = Api.login(base, "operator01")
    if not operator.get(f"cases/{case_id}").get("category_code"):
        operator.act(case_id, "reclassify", category_code=code)


def resolve_by_unit(base: str, case_id: int) -> dict[str, Any]:
    """Take a new citizen report to 已处置待核查 the way the centre and the water company would: accept, file,
    dispatch, accept the task, report back with an after-photo."""
    operator, lead, dispatcher = (Api.login(base, u) for u in ("operator01", "shiftlead01", "dispatcher01"))
    staff = Api.login(base, "staff_ld_water")
    unit_id = staff.get("me")["unit_id"]
    for _ in range(10):
        case = operator.get(f"cases/{case_id}")
        match case["state"]:
            case "new":
                ensure_category(base, case_id)
                operator.act(case_id, "accept_report")
            case "pending_filing":
                lead.act(case_id, "file")
            case "pending_dispatch":
                dispatcher.act(case_id, "dispatch", unit_id=unit_id)
            case "dispatched" if case["unit"]["id"] == unit_id:
                staff.act(case_id, "accept")
            case "handling" if case["unit"]["id"] == unit_id:
                staff.act(case_id, "report_back", note="已更换井盖", photo_ids=[staff.photo("after")])
            case "checking":
                return case
            case other:
                raise AssertionError(f"unexpected state {other} (unit {case['unit']})")
    raise AssertionError("case did not reach checking")


def websocket_available(base: str, token: str) -> bool:
    """True when the live endpoint /ws accepts a subscription."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(f"{base.replace('http', 'ws', 1)}/ws", open_timeout=3) as ws:
            ws.send(json.dumps({"type": "auth", "token": token}))
            ws.send('{"type": "subscribe", "topics": [], "since": null}')
        return True
    except (InvalidHandshake, InvalidStatus, OSError):
        return False


def assert_top_bar_fits(page: Any) -> None:
    """The top bar stays one row at phone width: nothing wraps or spills out."""
    box = page.evaluate("""() => {
        const top = document.getElementById('top');
        return { height: top.getBoundingClientRect().height, overflow: top.scrollWidth - top.clientWidth,
                 buttons: [...top.querySelectorAll('button')].map((b) => [b.getAttribute('aria-label'), b.offsetHeight]) };
    }""")
    assert box["height"] <= 60 and box["overflow"] <= 0, box
    assert all(label and height >= 44 for label, height in box["buttons"]), box


def axe_serious(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (npm, served from pwa/node_modules) on the page: its serious and critical violations."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(url=AXE)
    found = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
            .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    }""")
    return list(found)
