"""Backpressure for intake: reports wait while more triage jobs are due than the limit (backend/jobs/queue.py)."""

from __future__ import annotations

import asyncio

import pytest

from backend.jobs import queue
from backend.jobs.tables import Job


async def test_a_caller_waits_while_the_backlog_is_above_the_limit_and_goes_on_when_it_falls(engine):
    ids = [await queue.enqueue("triage", {"n": n}) for n in range(5)]
    await queue.enqueue("redact", {})  # other kinds do not count
    backlog = queue.Backlog("triage", limit=3, every=0.05)
    assert await backlog.due() == 5
    waiting = asyncio.create_task(backlog.wait())
    await asyncio.sleep(0.5)
    assert not waiting.done()
    await Job.update({Job.status: "done"}).where(Job.id.is_in(ids[:3]))  # the workers catch up: 2 due, room for 1
    waited = await asyncio.wait_for(waiting, 10)
    assert 0.4 < waited < 10


async def test_many_callers_share_one_read_and_nobody_waits_past_the_longest(engine, count_calls):
    for n in range(4):
        await queue.enqueue("triage", {"n": n})
    reads = count_calls(Job, "count")
    backlog = queue.Backlog("triage", limit=1, every=0.2, longest=0.6)
    waited = await asyncio.gather(*(backlog.wait() for _ in range(20)))
    assert all(0.6 <= w < 5 for w in waited)  # slower, never refused
    assert len(reads) <= 8  # about one read per 0.2 s for all twenty, not one per caller and round


async def test_no_limit_means_no_wait_and_no_read(engine, monkeypatch):
    for n in range(3):
        await queue.enqueue("triage", {"n": n})
    monkeypatch.setattr(Job, "count", lambda *a, **k: pytest.fail("read"))
    assert await queue.Backlog("triage", limit=0).wait() == 0.0


async def test_reports_being_taken_count_with_the_due_jobs(engine):
    await queue.enqueue("triage", {"n": 0})
    backlog = queue.Backlog("triage", limit=3, every=0.05)
    first = backlog.admit()
    second = backlog.admit()
    assert await first.__aenter__() < 0.2 and await second.__aenter__() < 0.2  # 1 due + 0, then 1 due + 1 taking
    assert backlog.taking == 2
    third = asyncio.create_task(backlog.wait())  # 1 due + 2 taking: full
    await asyncio.sleep(0.3)
    assert not third.done()
    await first.__aexit__(None, None, None)  # recorded (its job would be due now; here it simply leaves)
    assert await asyncio.wait_for(third, 10) > 0.2
    await second.__aexit__(None, None, None)
    assert backlog.taking == 0


async def test_waiting_reports_go_in_their_order_of_arrival_one_per_room(engine):
    ids = [await queue.enqueue("triage", {"n": n}) for n in range(2)]
    backlog = queue.Backlog("triage", limit=2, every=0.05)
    order: list[str] = []

    async def report(name: str) -> None:
        async with backlog.admit():
            order.append(name)
            await asyncio.Event().wait()  # being taken until cancelled

    tasks = []
    for name in "abcd":
        tasks.append(asyncio.create_task(report(name)))
        await asyncio.sleep(0.12)
    assert order == []
    await Job.update({Job.status: "done"}).where(Job.id == ids[0])  # room for one
    await asyncio.sleep(0.5)
    assert order == ["a"]  # the first to come, and only one: "a" now counts as being taken
    late = asyncio.create_task(report("late"))  # room or not, a newcomer queues behind those waiting
    await Job.update({Job.status: "done"}).where(Job.id == ids[1])
    await asyncio.sleep(0.5)
    assert order == ["a", "b"]
    for task in [*tasks, late]:
        task.cancel()
    await asyncio.gather(*tasks, late, return_exceptions=True)
    assert backlog.taking == 0
