"""Time limits (处置时限) as data: parse the forms used in standards tables into a number and a clock kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from backend.errors import InvalidInput


class Clock(str, Enum):
    """How a limit's amount is counted. See DOMAIN.md §4."""

    EMERGENCY_HOURS = "emergency_hours"  # 紧急工作时: continuous hours, nights and holidays included
    WORKING_HOURS = "working_hours"  # 小时 / 工作时: only inside working hours on working days
    WORKING_DAYS = "working_days"  # 天 / 工作日: working days only
    CALENDAR_DAYS = "calendar_days"  # 自然日 / 紧急工作日: continuous calendar days


@dataclass(frozen=True)
class TimeLimit:
    amount: float
    clock: Clock
    raw: str
    note: str = ""  # trailing words such as 制止 ("stop it within the limit")

    @property
    def is_emergency(self) -> bool:
        return self.clock in (Clock.EMERGENCY_HOURS, Clock.CALENDAR_DAYS) and "紧急" in self.raw


_UNITS: list[tuple[str, Clock]] = [
    ("紧急工作时", Clock.EMERGENCY_HOURS),
    ("紧急工作小时", Clock.EMERGENCY_HOURS),
    ("紧急工作日", Clock.CALENDAR_DAYS),
    ("紧急小时", Clock.EMERGENCY_HOURS),
    ("自然日", Clock.CALENDAR_DAYS),
    ("日历日", Clock.CALENDAR_DAYS),
    ("工作日", Clock.WORKING_DAYS),
    ("工作时", Clock.WORKING_HOURS),
    ("工作小时", Clock.WORKING_HOURS),
    ("小时", Clock.WORKING_HOURS),
    ("天", Clock.WORKING_DAYS),
    ("日", Clock.WORKING_DAYS),
]
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(" + "|".join(re.escape(u) for u, _ in _UNITS) + r")\s*(.*)$")


def parse_time_limit(raw: str) -> TimeLimit:
    """Parse ``2紧急工作时``, ``4小时``, ``5天``, ``1紧急工作日``, ``1紧急工作时制止`` …"""
    match = _PATTERN.match(raw or "")
    if not match:
        raise InvalidInput(
            f"无法识别的处置时限：{raw!r}", f"Unrecognised time limit: {raw!r}", code="taxonomy.bad_time_limit"
        )
    amount = float(match.group(1))
    if amount <= 0:
        raise InvalidInput(f"处置时限必须大于零：{raw!r}", f"Time limit must be positive: {raw!r}",
                           code="taxonomy.bad_time_limit")
    clock = dict(_UNITS)[match.group(2)]
    return TimeLimit(amount=amount, clock=clock, raw=raw.strip(), note=match.group(3).strip())
