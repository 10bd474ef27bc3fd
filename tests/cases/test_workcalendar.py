"""Deadlines and timers on the official Chinese working calendar."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.cases.workcalendar import WorkCalendar, light
from backend.cases.timelimits import Clock, parse_time_limit

SH = ZoneInfo("Asia/Shanghai")
cal = WorkCalendar()


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def test_national_day_eve_2025_jumps_the_holiday() -> None:
    # Tue 30 Sep 17:00, 4 working hours: 1 h that evening, then the holiday runs 1-8 Oct; due Thu 9 Oct 11:00.
    assert cal.due_at(at(2025, 9, 30, 17), parse_time_limit("4小时")) == at(2025, 10, 9, 11)


def test_national_day_eve_2026() -> None:
    assert cal.due_at(at(2026, 9, 30, 17), parse_time_limit("4小时")) == at(2026, 10, 8, 11)
    # One working day from the same moment: 1 h on 30 Sep + 7 h on 8 Oct.
    assert cal.due_at(at(2026, 9, 30, 17), parse_time_limit("1天")) == at(2026, 10, 8, 17)


def test_emergency_hours_and_calendar_days_run_through_the_holiday() -> None:
    start = at(2025, 9, 30, 17)
    assert cal.due_at(start, parse_time_limit("2紧急工作时")) == at(2025, 9, 30, 19)
    assert cal.due_at(start, parse_time_limit("2紧急工作日")) == at(2025, 10, 2, 17)


def test_swapped_working_saturday_counts() -> None:
    assert cal.is_workday(date(2025, 10, 11))  # 调休: Saturday worked after National Day
    assert not cal.is_workday(date(2025, 10, 4))  # a Saturday inside the holiday
    assert not cal.is_workday(date(2025, 10, 6))  # a Monday inside the holiday
    # Friday 10 Oct 16:00 + 1 working day lands on the working Saturday, not on Monday.
    assert cal.due_at(at(2025, 10, 10, 16), parse_time_limit("1工作日")) == at(2025, 10, 11, 16)
    # An ordinary weekend is skipped: Fri 17 Oct 16:00 + 1 day is Mon 20 Oct 16:00.
    assert cal.due_at(at(2025, 10, 17, 16), parse_time_limit("1天")) == at(2025, 10, 20, 16)


def test_working_hours_skip_lunch() -> None:
    assert cal.due_at(at(2025, 11, 4, 11), parse_time_limit("2小时")) == at(2025, 11, 4, 15)
    assert cal.due_at(at(2025, 11, 4, 12, 30), parse_time_limit("2小时")) == at(2025, 11, 4, 16)
    # Ends exactly at noon: reported as 12:00, not 14:00.
    assert cal.due_at(at(2025, 11, 4, 10), parse_time_limit("2小时")) == at(2025, 11, 4, 12)
    assert cal.elapsed(at(2025, 11, 4, 11), at(2025, 11, 4, 15), Clock.WORKING_HOURS) == timedelta(hours=2)


def test_working_days_rule_inside_and_outside_hours() -> None:
    three = parse_time_limit("3天")
    assert cal.due_at(at(2025, 11, 4, 10), three) == at(2025, 11, 7, 10)  # same clock time, 3 working days later
    assert cal.due_at(at(2025, 11, 4, 19), three) == at(2025, 11, 7, 18)  # evening: close of the 3rd working day
    assert cal.due_at(at(2025, 11, 8, 9), three) == at(2025, 11, 12, 18)  # Saturday: counts from Monday
    assert cal.due_at(at(2025, 11, 4, 7), parse_time_limit("1天")) == at(2025, 11, 4, 18)  # before opening


def test_custom_work_hours() -> None:
    one_span = WorkCalendar(work_hours=((9 * 60, 17 * 60),))
    assert one_span.due_at(at(2025, 11, 4, 16), parse_time_limit("2小时")) == at(2025, 11, 5, 10)
    with pytest.raises(ValueError):
        WorkCalendar(work_hours=((14 * 60, 18 * 60), (8 * 60, 12 * 60)))


def test_suspension_pauses_the_clock() -> None:
    start, limit = at(2025, 11, 3, 9), parse_time_limit("2天")  # Mon 09:00, due Wed 09:00
    pause = (at(2025, 11, 3, 10), at(2025, 11, 4, 10))  # suspended one working day
    assert cal.due_at(start, limit) == at(2025, 11, 5, 9)
    assert cal.due_at(start, limit, pauses=[pause]) == at(2025, 11, 6, 9)
    now = at(2025, 11, 4, 11)
    assert cal.elapsed(start, now, limit.clock, [pause]) == timedelta(hours=2)
    assert cal.remaining(start, now, limit, [pause]) == timedelta(hours=14)
    # Overlapping and unordered pauses are merged, not counted twice.
    twice = [(at(2025, 11, 4, 8), at(2025, 11, 4, 10)), pause]
    assert cal.due_at(start, limit, pauses=twice) == at(2025, 11, 6, 9)


def test_open_suspension_freezes_the_timer() -> None:
    start, limit = at(2025, 11, 3, 9), parse_time_limit("4紧急工作时")
    paused = [(at(2025, 11, 3, 10), None)]
    assert cal.elapsed(start, at(2025, 11, 20, 9), limit.clock, paused) == timedelta(hours=1)
    status = cal.status(start, at(2025, 11, 20, 9), limit, paused)
    assert (status.due_at, status.light, status.fraction_used) == (None, "green", 0.25)
    with pytest.raises(ValueError):
        cal.due_at(start, limit, pauses=paused)


def test_extension_moves_the_deadline_and_the_light() -> None:
    start, limit = at(2025, 11, 3, 9), parse_time_limit("1天")
    now = at(2025, 11, 4, 10)  # 9 working hours used of 8
    assert cal.status(start, now, limit).light == "red"
    extra = cal.budget(parse_time_limit("2天"))  # approved 延期 of two working days
    assert extra == timedelta(hours=16)
    assert cal.due_at(start, limit, extra=extra) == at(2025, 11, 6, 9)
    status = cal.status(start, now, limit, extra=extra)
    assert status.light == "green" and status.remaining == timedelta(hours=15)


def test_lights_and_fraction() -> None:
    start, limit = at(2025, 11, 3, 8), parse_time_limit("10紧急工作时")
    assert [light(cal.fraction_used(start, at(2025, 11, 3, h), limit)) for h in (15, 16, 18, 19)] == [
        "green", "yellow", "yellow", "red"
    ]
    assert cal.remaining(start, at(2025, 11, 3, 19), limit) == timedelta(hours=-1)


def test_years_without_official_data_fall_back_to_weekdays(caplog: pytest.LogCaptureFixture) -> None:
    fresh = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="suishoupai.workcalendar"):
        assert fresh.is_workday(date(2031, 1, 1))  # a Wednesday; New Year unknown without data
        assert not fresh.is_workday(date(2031, 1, 4))  # Saturday
        assert fresh.due_at(at(2031, 1, 3, 17), parse_time_limit("2小时")) == at(2031, 1, 6, 9)
    warnings = [r for r in caplog.records if "2031" in r.getMessage()]
    assert len(warnings) == 1  # once per year, not per lookup


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        cal.due_at(datetime(2025, 11, 3, 9), parse_time_limit("1天"))
