"""Thread helpers shared by the domains (a module outside the layers, so photos and redaction can both use it)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable


def lower_priority(nice: int) -> Callable[[], None]:
    """A thread initializer that lowers the calling thread's CPU priority by ``nice`` (Linux keeps it per thread)."""

    def lower() -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)

    return lower
