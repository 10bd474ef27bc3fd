"""Drive cases through the API into any state of the loop, as the real roles would."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from tests.helpers import act, get_case, login, report, wait_for

DEMO_PHOTO = sorted((Path(__file__).resolve().parents[2] / "media" / "samples" / "demo").glob("*.jpg"))[0]

# The path into each state, as (user, action, body) steps after the citizen's report.
PATHS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}


def _path(*steps: tuple[str, str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return list(steps)


TO_FILING = _path(("operator01", "reclassify", {"category_code": "C0101"}), ("operator01", "accept_report", {}))
TO_HANDLING = [*TO_FILING, ("shiftlead01", "file", {}), ("dispatcher01", "dispatch", {"unit": "water"}),
               ("staff_ld_water", "accept", {})]
PATHS.update({
    "new": [],
    "verifying": [("operator01", "request_verify", {})],
    "pending_filing": TO_FILING,
    "pending_dispatch": [*TO_FILING, ("shiftlead01", "file", {})],
    "dispatched": TO_HANDLING[:-1],
    "handling": TO_HANDLING,
    "return_requested": [*TO_HANDLING, ("staff_ld_water", "request_return", {"reason": "不归我们管"})],
    "extension_requested": [*TO_HANDLING, ("staff_ld_water", "request_extension",
                                           {"reason": "等配件", "extension_hours": 8})],
    "suspension_requested": [*TO_HANDLING, ("staff_ld_water", "request_suspension", {"reason": "需纳入改造工程"})],
    "suspended": [*TO_HANDLING, ("staff_ld_water", "request_suspension", {"reason": "需纳入改造工程"}),
                  ("dispatcher01", "approve_suspension", {})],
    "checking": [*TO_HANDLING, ("staff_ld_water", "report_back", {"note": "已更换", "photo": "after"})],
    "pending_close": [*TO_HANDLING, ("staff_ld_water", "report_back", {"note": "已更换", "photo": "after"}),
                      ("supervisor01", "check", {"result": "pass", "photo": "check"})],
    "closed": [*TO_HANDLING, ("staff_ld_water", "report_back", {"note": "已更换", "photo": "after"}),
               ("supervisor01", "check", {"result": "pass", "photo": "check"}), ("shiftlead01", "close", {})],
})


class Flow:
    """Logs in lazily and remembers tokens; builds bodies that need ids (units, photos) per acting user."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._headers: dict[str, dict[str, str]] = {}

    def h(self, username: str) -> dict[str, str]:
        if username not in self._headers:
            self._headers[username] = login(self.client, username)
        return self._headers[username]

    def me(self, username: str) -> dict[str, Any]:
        r = self.client.get("/api/v1/me", headers=self.h(username))
        assert r.status_code == 200
        return r.json()

    @cached_property
    def units(self) -> dict[str, int]:
        return {"water": self.me("staff_ld_water")["unit_id"], "power": self.me("staff_ld_power")["unit_id"]}

    def photo(self, username: str, kind: str) -> int:
        r = self.client.post("/api/v1/photos", files={"file": ("p.jpg", DEMO_PHOTO.read_bytes(), "image/jpeg")},
                             data={"kind": kind}, headers=self.h(username))
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def body(self, username: str, fields: dict[str, Any]) -> dict[str, Any]:
        body = dict(fields)
        if "photo" in body:
            body["photo_ids"] = [self.photo(username, body.pop("photo"))]
        if "unit" in body:
            body["unit_id"] = self.units[body.pop("unit")]
        return body

    def report(self, username: str = "citizen01", grid: str = "ZR01", **fields: Any) -> dict[str, Any]:
        return report(self.client, self.h(username), grid=grid, **fields)

    def act(self, username: str, case_id: int, action: str, expect: int = 200, **fields: Any) -> dict[str, Any]:
        return act(self.client, self.h(username), case_id, action, expect, **self.body(username, fields))

    def duplicate_candidate(self) -> dict[str, Any]:
        """A citizen report at the same spot as a supervisor's open report of the same 小类: a likely duplicate."""
        self.report("supervisor01", category_code="C0123")  # 不明井盖: what the classifier makes of the citizen's text
        case = self.get(self.report()["id"])  # as staff: the reporter's own view holds no classifier output
        assert case["category_code"] == "C0123" and case["likely_duplicate_of"] is not None, case
        return case

    def case_in(self, state: str) -> dict[str, Any]:
        if state == "duplicate_candidate":
            return self.duplicate_candidate()
        case = self.report()
        for username, action, fields in PATHS[state]:
            self.act(username, case["id"], action, **fields)
        self.settle()  # a reclassify on the way queues a reroute job: let it land before the caller reads the version
        case = get_case(self.client, self.h("operator01"), case["id"])
        assert case["state"] == state, (state, case["state"])
        return case

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the job queue has nothing due or running (background work on the cases made so far is done).
        Photo redactions are left out: tests run no redaction workers (tests/redaction runs them itself)."""
        from datetime import UTC, datetime

        from backend.jobs.tables import Job
        from backend.redaction.service import JOB_KIND

        async def busy() -> int:
            return await Job.count().where(
                (((Job.status == "pending") & (Job.run_after <= datetime.now(UTC))) | (Job.status == "running"))
                & (Job.kind != JOB_KIND))

        wait_for(lambda: self.client.blocking_portal.call(busy) == 0, timeout)

    def get(self, case_id: int, username: str = "operator01") -> dict[str, Any]:
        return get_case(self.client, self.h(username), case_id)
