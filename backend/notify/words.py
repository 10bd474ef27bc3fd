"""Citizen words: the five statuses a reporter sees instead of the lifecycle's internal states, and the expected
completion time, in Chinese and English. No codes, timer lights or staff names ever appear here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases.lifecycle import State

CITY_TZ = ZoneInfo("Asia/Shanghai")


class CitizenStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    NOT_ACCEPTED = "not_accepted"


NAMES: dict[CitizenStatus, tuple[str, str]] = {
    CitizenStatus.SUBMITTED: ("已提交", "Submitted"),
    CitizenStatus.ACCEPTED: ("已受理", "Accepted"),
    CitizenStatus.IN_PROGRESS: ("处理中", "In progress"),
    CitizenStatus.RESOLVED: ("已办结", "Resolved"),
    CitizenStatus.NOT_ACCEPTED: ("未受理", "Not accepted"),
}

# Every lifecycle state has exactly one citizen status (tests/notify/test_words.py checks none is missing).
BY_STATE: dict[State, CitizenStatus] = {
    State.NEW: CitizenStatus.SUBMITTED,
    State.VERIFYING: CitizenStatus.ACCEPTED,
    State.PENDING_FILING: CitizenStatus.ACCEPTED,
    State.PENDING_DISPATCH: CitizenStatus.ACCEPTED,
    State.DISPATCHED: CitizenStatus.IN_PROGRESS,
    State.HANDLING: CitizenStatus.IN_PROGRESS,
    State.RETURN_REQUESTED: CitizenStatus.IN_PROGRESS,
    State.EXTENSION_REQUESTED: CitizenStatus.IN_PROGRESS,
    State.SUSPENSION_REQUESTED: CitizenStatus.IN_PROGRESS,
    State.SUSPENDED: CitizenStatus.IN_PROGRESS,
    State.CHECKING: CitizenStatus.IN_PROGRESS,
    State.PENDING_CLOSE: CitizenStatus.IN_PROGRESS,
    State.CLOSED: CitizenStatus.RESOLVED,
    State.VOIDED: CitizenStatus.NOT_ACCEPTED,
    State.DUPLICATE: CitizenStatus.NOT_ACCEPTED,
}

# Why a report was not taken up, as the citizen reads it (a void's own reason, when staff gave one, comes first).
REASONS: dict[State, tuple[str, str]] = {
    State.VOIDED: ("经核实不属于城市管理受理范围或问题已不存在", "Not a city-management matter, or the problem is no longer there"),
    State.DUPLICATE: ("已有市民上报同一问题，将随该上报一并处理", "Someone already reported the same problem; it is handled with that report"),
}
# Only while the responsible unit's clock runs is the deadline a promise about the problem itself.
_PROMISE_STATES = frozenset({State.DISPATCHED, State.HANDLING, State.RETURN_REQUESTED, State.EXTENSION_REQUESTED,
                             State.SUSPENSION_REQUESTED})


def citizen_status(state: str) -> CitizenStatus:
    return BY_STATE[State(state)]


def status_name(status: CitizenStatus, lang: str = "zh") -> str:
    zh, en = NAMES[status]
    return en if lang == "en" else zh


def expected_by(state: str, due_at: datetime | None, lang: str = "zh") -> str:
    """"预计 12月5日 18:00 前办结" from the deadline, or "" when there is no promise to make."""
    if due_at is None or State(state) not in _PROMISE_STATES:
        return ""
    local = due_at.astimezone(CITY_TZ)
    if lang == "en":
        return f"Expected by {local.day} {local.strftime('%b')} {local:%H:%M}"
    return f"预计 {local.month}月{local.day}日 {local:%H:%M} 前办结"


def not_accepted_reason(state: str, given: str = "", lang: str = "zh") -> str:
    if given.strip():
        return given.strip()
    zh, en = REASONS.get(State(state), ("", ""))
    return en if lang == "en" else zh


def status_message(tracking_no: str, state: str, due_at: datetime | None, reason: str = "",
                   lang: str = "zh", follower: bool = False) -> tuple[str, str]:
    """(title, body) telling a reporter (or a follower) where the report stands."""
    status = citizen_status(state)
    name = status_name(status, lang)
    if lang == "en":
        title = f"{'A report you follow' if follower else 'Your report'} {tracking_no}: {name}"
    else:
        title = f"{'您关注的上报' if follower else '您的上报'} {tracking_no}：{name}"
    if status is CitizenStatus.NOT_ACCEPTED:
        body = not_accepted_reason(state, reason, lang)
    elif status is CitizenStatus.RESOLVED:
        body = "The problem has been dealt with. Tap to see and rate the result." if lang == "en" \
            else "问题已处理完毕，点此查看结果并评价。"
    else:
        body = expected_by(state, due_at, lang) or (
            "Tap to see the progress." if lang == "en" else "点此查看办理进度。")
    return title, body


def state_words() -> dict[str, list[str]]:
    """Every lifecycle state as the citizen status it reads as: {state: [zh, en]} (for the case page's timeline)."""
    return {state.value: list(NAMES[status]) for state, status in BY_STATE.items()}


def category_words(taxonomy: Any, code: str, name: str) -> tuple[str, str]:
    """A category as a citizen reads it: the 小类 name in Chinese, the menu icon they know in English. No code."""
    if not code:
        return "待分类", "Not yet classified"
    items = [m for m in taxonomy.menu if code in m.codes and not m.catch_all] or [
        m for m in taxonomy.menu if m.catch_all]
    return name, (items[0].name_en if items and items[0].name_en else "City problem")
