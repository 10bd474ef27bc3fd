"""A process-wide budget for photo decoding: work is admitted while its summed cost and its count stay within limits.

Decoding one image can take hundreds of megabytes for a moment, and a report carries several: a plain semaphore bounds
how many decodes run, not how much memory they hold. Each decode here states its cost (the bytes the pipeline expects
it to need, see ``pipeline.decode_cost``) and waits until it fits. Waiters are admitted strictly in arrival order, so a
large image is never starved by a stream of small ones; a cost above the capacity is clamped and so runs alone.

The budget is shared by every event loop and thread of the process (tests run apps on several loops), hence the
thread lock and the waiters woken through their own loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from backend.threads import lower_priority

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class _Waiter:
    cost: int
    future: asyncio.Future[None]


class DecodeBudget:
    """At most ``slots`` holders at once, whose costs add up to at most ``capacity``.

    ``idle`` is called in the worker thread of the last ``run`` of a burst, when no other is running or waiting: the
    place to hand memory back to the system once, rather than after every decode.
    ``nice``: the ``run`` threads' CPU priority below the process's (threads of their own, made as needed).
    """

    def __init__(self, capacity: int, slots: int, idle: Callable[[], object] | None = None, nice: int = 0) -> None:
        if capacity < 1 or slots < 1:
            raise ValueError("a decode budget needs a positive capacity and at least one slot")
        self.capacity = capacity
        self.slots = slots
        self._threads = ThreadPoolExecutor(slots, "decode", initializer=lower_priority(nice)) if nice else None
        self._idle = idle
        self._used = 0
        self._running = 0
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        """The summed cost of the current holders."""
        return self._used

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _fits(self, cost: int) -> bool:
        return self._running < self.slots and self._used + cost <= self.capacity

    def _take(self, cost: int) -> None:
        self._used += cost
        self._running += 1

    def _wake(self) -> None:
        """Admit waiters from the front for as long as the next one fits (called with the lock held)."""
        while self._waiters and self._fits(self._waiters[0].cost):
            waiter = self._waiters.popleft()
            # Taken before the grant is scheduled: the waiter's loop runs in another thread and may go on at once.
            self._take(waiter.cost)
            try:
                waiter.future.get_loop().call_soon_threadsafe(_grant, waiter.future)
            except RuntimeError:  # its event loop has been closed: nobody is waiting there any more
                self._used -= waiter.cost
                self._running -= 1

    def _release(self, cost: int) -> None:
        with self._lock:
            self._used -= cost
            self._running -= 1
            self._wake()

    async def _acquire(self, cost: int) -> int:
        """Wait until ``cost`` fits and take it; returns the cost taken (clamped to the capacity)."""
        cost = min(max(cost, 0), self.capacity)
        with self._lock:
            if not self._waiters and self._fits(cost):
                self._take(cost)
                return cost
            waiter = _Waiter(cost, asyncio.get_running_loop().create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:  # still queued: leaving the queue may let the next one in
                    self._waiters.remove(waiter)
                    self._wake()
                    raise
            # Admitted in the same instant as the cancellation: hand the grant back.
            self._release(cost)
            raise
        return cost

    @asynccontextmanager
    async def hold(self, cost: int) -> AsyncIterator[None]:
        """Wait until ``cost`` fits, hold it for the body of the ``async with``, then give it back."""
        taken = await self._acquire(cost)
        try:
            yield
        finally:
            self._release(taken)

    async def run(self, cost: int, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in a worker thread once ``cost`` fits. The cost is held until the thread ends, even when the
        caller is cancelled first: a thread cannot be stopped, and its memory is in use until it returns."""
        taken = await self._acquire(cost)

        def call() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                if self._idle is not None:
                    with self._lock:  # this run still counts as running: it is the last one if it is the only one
                        last = self._running == 1 and not self._waiters
                    if last:
                        self._idle()

        work: asyncio.Future[T]
        try:
            if self._threads is None:
                work = asyncio.ensure_future(asyncio.to_thread(call))
            else:
                context = contextvars.copy_context()
                work = asyncio.get_running_loop().run_in_executor(self._threads, context.run, call)
        except BaseException:
            self._release(taken)
            raise

        def done(task: asyncio.Future[T]) -> None:
            self._release(taken)
            if not task.cancelled():
                task.exception()  # seen here, so an abandoned failure is not reported as never retrieved

        work.add_done_callback(done)
        return await asyncio.shield(work)


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
