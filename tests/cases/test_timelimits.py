"""Every time-limit form in the standards table parses to the right clock and amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.errors import InvalidInput
from backend.cases.timelimits import Clock, TimeLimit, parse_time_limit, stage_limit

STANDARDS = Path("/work/shared/reference/standards/city_standards.json")


@pytest.mark.parametrize(
    ("raw", "amount", "clock", "note"),
    [
        ("2紧急工作时", 2, Clock.EMERGENCY_HOURS, ""),
        ("4小时", 4, Clock.WORKING_HOURS, ""),
        ("4工作时", 4, Clock.WORKING_HOURS, ""),
        ("5天", 5, Clock.WORKING_DAYS, ""),
        ("3工作日", 3, Clock.WORKING_DAYS, ""),
        ("3个工作日", 3, Clock.WORKING_DAYS, ""),
        ("2紧急工作日", 2, Clock.CALENDAR_DAYS, ""),
        ("7自然日", 7, Clock.CALENDAR_DAYS, ""),
        ("1紧急工作时制止", 1, Clock.EMERGENCY_HOURS, "制止"),
        ("2小时内", 2, Clock.WORKING_HOURS, ""),
        ("１５天", 15, Clock.WORKING_DAYS, ""),  # full-width digits
        (" 2 紧急工作时 ", 2, Clock.EMERGENCY_HOURS, ""),
        ("0.5天", 0.5, Clock.WORKING_DAYS, ""),
        ("半小时", 0.5, Clock.WORKING_HOURS, ""),
        ("一个半小时", 1.5, Clock.WORKING_HOURS, ""),
        ("两天", 2, Clock.WORKING_DAYS, ""),
        ("十五个工作日", 15, Clock.WORKING_DAYS, ""),
        ("二十四紧急工作时", 24, Clock.EMERGENCY_HOURS, ""),
    ],
)
def test_forms(raw: str, amount: float, clock: Clock, note: str) -> None:
    limit = parse_time_limit(raw)
    assert (limit.amount, limit.clock, limit.note) == (amount, clock, note)


def test_emergency_flag_only_for_emergency_units() -> None:
    assert parse_time_limit("2紧急工作时").is_emergency
    assert parse_time_limit("1紧急工作日").is_emergency
    assert not parse_time_limit("7自然日").is_emergency
    assert not parse_time_limit("4小时").is_emergency


@pytest.mark.parametrize("raw", ["", "立即", "紧急", "0天", "-2天", "2", "2周", "十十天", "二三天", "天2"])
def test_bad_forms_raise_with_stable_code(raw: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_time_limit(raw)
    assert err.value.code == "taxonomy.bad_time_limit"
    assert err.value.message_zh and err.value.message_en


def test_every_limit_in_the_standards_table_parses() -> None:
    table = json.loads(STANDARDS.read_text(encoding="utf-8"))
    raws = {row["time_limit"] for category in table for row in category["standards"]}
    assert len(raws) >= 10
    parsed = {raw: parse_time_limit(raw) for raw in raws}
    assert all(isinstance(p, TimeLimit) and p.amount > 0 for p in parsed.values())
    assert {p.clock for p in parsed.values()} == set(Clock)
    assert parsed["1紧急工作时制止"].note == "制止"


def test_stage_limit_in_minutes() -> None:
    limit = stage_limit(15)
    assert (limit.amount, limit.clock, limit.raw) == (0.25, Clock.EMERGENCY_HOURS, "15分钟")
    with pytest.raises(ValueError):
        stage_limit(0)
    with pytest.raises(ValueError):
        stage_limit(30, Clock.WORKING_DAYS)
