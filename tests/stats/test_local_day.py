"""Day boundaries are the city's (Asia/Shanghai), not the server's UTC: the default range of the statistics ends on the
city's today, also between 00:00 and 08:00 Beijing time (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backend.stats.controllers import local_today


def test_just_after_midnight_in_beijing_today_is_the_citys_date():
    half_past_midnight = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 2026-12-05 00:30 in Beijing
    assert local_today("Asia/Shanghai", half_past_midnight) == date(2026, 12, 5)
    assert local_today("Asia/Shanghai", datetime(2026, 12, 4, 15, 59, tzinfo=UTC)) == date(2026, 12, 4)

