"""The fold of one case's timeline: the deadline a dispatch wrote on the timeline is the one evaluated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.evaluation.facts import fold

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAGES = {"verify": 60, "dispatch": 30, "check": 60, "accept": 30}


def _entries(dispatch_data: dict[str, object]) -> list[dict[str, object]]:
    return [
        {"id": 1, "at": T0, "actor": 5, "actor_role": "citizen", "action": "report", "data": {}},
        {"id": 2, "at": T0 + timedelta(minutes=20), "actor": 6, "actor_role": "shift_lead", "action": "file", "data": {}},
        {"id": 3, "at": T0 + timedelta(minutes=30), "actor": 7, "actor_role": "dispatcher", "action": "dispatch",
         "data": dispatch_data},
        {"id": 4, "at": T0 + timedelta(hours=30), "actor": 8, "actor_role": "unit_staff", "action": "report_back",
         "data": {}},
    ]


def test_the_recorded_deadline_wins_over_the_calendar() -> None:
    case = {"id": 1, "tracking_no": "F1"}
    calendar_says = T0 + timedelta(hours=24, minutes=30)  # what the calendar would give now: handled late
    recorded = T0 + timedelta(hours=48, minutes=30)  # what was in force at the dispatch: handled on time
    with_due = fold(case, _entries({"unit_id": 3, "due_at": recorded.isoformat()}), STAGES, lambda _: calendar_says)
    assert with_due.episodes[0]["due_at"] == recorded and with_due.episodes[0]["on_time"] is True
    # An entry written before dispatches recorded their deadline: the calendar's.
    without = fold(case, _entries({"unit_id": 3}), STAGES, lambda _: calendar_says)
    assert without.episodes[0]["due_at"] == calendar_says and without.episodes[0]["on_time"] is False
