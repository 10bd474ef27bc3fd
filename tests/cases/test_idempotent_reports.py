"""Retries with one Idempotency-Key that overlap (a phone gave up waiting and sent again while the first request was
still being served, perhaps by another process) are answered once: one case, one transition."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.cases.flows import Flow


def overlapping(times: int, call: Callable[[], int]) -> list[int]:
    """Run ``call`` from ``times`` threads released together; their status codes, sorted."""
    start = threading.Barrier(times)
    answers: list[int] = []

    def run() -> None:
        start.wait()
        answers.append(call())

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(answers)


def test_overlapping_report_retries_make_one_case(client):
    f = Flow(client)
    h = {**f.h("citizen01"), "Idempotency-Key": "report-overlap-1"}
    body = {"lng": 112.0, "lat": 27.73, "description": "路灯不亮"}
    answers = overlapping(6, lambda: client.post("/api/v1/reports", json=body, headers=h).status_code)
    assert answers == [200] * 5 + [201]
    assert client.get("/api/v1/cases?view=mine", headers=f.h("citizen01")).json()["total"] == 1


def test_overlapping_action_retries_act_once_and_answer_alike(client):
    f = Flow(client)
    cid = f.case_in("dispatched")["id"]
    h = {**f.h("staff_ld_water"), "Idempotency-Key": "accept-overlap-1"}
    answers = overlapping(4, lambda: client.post(f"/api/v1/cases/{cid}/actions/accept", json={}, headers=h).status_code)
    assert answers == [200] * 4  # not one 200 and three 409s: the retries are the same request
    assert [t["action"] for t in f.get(cid)["timeline"]].count("accept") == 1


def test_a_key_of_the_longest_allowed_length_is_replayed(client):
    # The stored key carries the caller and the scope too; it must still fit the column on PostgreSQL.
    f = Flow(client)
    h = {**f.h("citizen01"), "Idempotency-Key": "k" * 80}
    body = {"lng": 112.0, "lat": 27.73, "description": "路灯不亮"}
    first, second = (client.post("/api/v1/reports", json=body, headers=h) for _ in range(2))
    assert (first.status_code, second.status_code) == (201, 200), first.text
    assert second.json()["id"] == first.json()["id"]
