"""Time limits (处置时限) as data: parse the forms used in standards tables into a number and a clock kind."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from backend.errors import InvalidInput


class Clock(str, Enum):
    """How a limit's amount is counted. See DOMAIN.md §4 and ``backend.cases.workcalendar``."""

    EMERGENCY_HOURS = "emergency_hours"  # 紧急工作时: continuous hours, nights and holidays included
    WORKING_HOURS = "working_hours"  # 小时 / 工作时: only inside working hours on working days
    WORKING_DAYS = "working_days"  # 天 / 工作日: working days only
    CALENDAR_DAYS = "calendar_days"  # 自然日 / 紧急工作日: continuous calendar days


CLOCK_EN = {Clock.EMERGENCY_HOURS: "emergency hours", Clock.WORKING_HOURS: "working hours",
            Clock.WORKING_DAYS: "working days", Clock.CALENDAR_DAYS: "calendar days"}


@dataclass(frozen=True)
class TimeLimit:
    """``amount`` is in hours for the two hour clocks and in days for the two day clocks."""

    amount: float
    clock: Clock
    raw: str
    note: str = ""  # trailing words such as 制止 ("stop it within the limit")

    @property
    def english(self) -> str:
        """The limit in English words, e.g. 2紧急工作时 → "2 emergency hours" (a trailing note is left out)."""
        return f"{self.amount:g} {CLOCK_EN[self.clock]}"

    @property
    def is_emergency(self) -> bool:
        return self.clock in (Clock.EMERGENCY_HOURS, Clock.CALENDAR_DAYS) and "紧急" in self.raw


# Longest first, so that 紧急工作时 wins over 工作时 and 工作日 over 日.
_UNITS: dict[str, Clock] = {
    "紧急工作小时": Clock.EMERGENCY_HOURS,
    "紧急工作时": Clock.EMERGENCY_HOURS,
    "紧急工作日": Clock.CALENDAR_DAYS,
    "紧急小时": Clock.EMERGENCY_HOURS,
    "自然小时": Clock.EMERGENCY_HOURS,
    "自然日": Clock.CALENDAR_DAYS,
    "自然天": Clock.CALENDAR_DAYS,
    "日历日": Clock.CALENDAR_DAYS,
    "工作小时": Clock.WORKING_HOURS,
    "工作日": Clock.WORKING_DAYS,
    "工作天": Clock.WORKING_DAYS,
    "工作时": Clock.WORKING_HOURS,
    "小时": Clock.WORKING_HOURS,
    "天": Clock.WORKING_DAYS,
    "日": Clock.WORKING_DAYS,
}
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十]+半?|半"
_PATTERN = re.compile(
    rf"^({_NUMBER})\s*个?\s*(" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)) + r")(.*)$"
)
_FILLER = re.compile(r"^(?:以内|之内|内)")


def _bad(raw: str, why_zh: str, why_en: str) -> InvalidInput:
    return InvalidInput(
        f"{why_zh}：{raw!r}", f"{why_en}: {raw!r}", code="taxonomy.bad_time_limit", details={"time_limit": raw}
    )


def _number(text: str) -> float:
    """``2``, ``1.5``, ``十五``, ``两``, ``半``, ``一个半`` style numbers (the 个 is removed before)."""
    if text[0].isdigit():
        return float(text)
    half = 0.5 if text.endswith("半") else 0.0
    text = text.removesuffix("半")
    if not text:
        return half
    tens, _, ones = text.rpartition("十")
    if "十" not in text:
        return _DIGITS[text] + half if len(text) == 1 else float("nan")
    value = (_DIGITS.get(tens, -99) if tens else 1) * 10 + (_DIGITS.get(ones, -99) if ones else 0)
    return float(value) + half if value >= 0 else float("nan")


def parse_time_limit(raw: str) -> TimeLimit:
    """Parse ``2紧急工作时``, ``4小时``, ``5天``, ``1紧急工作日``, ``1紧急工作时制止``, ``3个工作日``, ``半小时`` …

    Full-width digits and spaces are accepted; a trailing 内/以内 is dropped and other trailing words are kept as
    ``note``. Raises ``InvalidInput`` (code ``taxonomy.bad_time_limit``) for anything else.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    compact = re.sub(r"\s+", "", text)
    # "一个半小时": the 个 sits between the number and 半
    compact = re.sub(r"^([零一二两三四五六七八九十\d]+)个半", r"\1半", compact)
    match = _PATTERN.match(compact)
    if not match:
        raise _bad(raw, "无法识别的处置时限", "Unrecognised time limit")
    amount = _number(match.group(1))
    if not amount > 0:  # also catches NaN from malformed Chinese numerals
        raise _bad(raw, "处置时限必须大于零", "Time limit must be positive")
    note = _FILLER.sub("", match.group(3)).strip()
    return TimeLimit(amount=amount, clock=_UNITS[match.group(2)], raw=text, note=note)


def stage_limit(minutes: float, clock: Clock = Clock.EMERGENCY_HOURS) -> TimeLimit:
    """A stage limit (accept, dispatch, verify, check) given in minutes, e.g. from ``Settings.stage_limit_minutes``."""
    if clock not in (Clock.EMERGENCY_HOURS, Clock.WORKING_HOURS) or not minutes > 0:
        raise ValueError(f"a stage limit needs positive minutes on an hour clock, got {minutes} on {clock}")
    return TimeLimit(amount=minutes / 60, clock=clock, raw=f"{minutes:g}分钟")
