"""The working calendar as data: a 2027 schedule loaded from a file moves deadlines across the Spring Festival and its
调休 weekend; bad files change nothing and say which line and why; running deadlines move with a timeline entry; every
process picks the change up."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from backend.cases import clock
from backend.cases.tables import Case, TimelineEntry
from backend.cases.deadlines import calendar_sync
from backend.org.tables import CalendarDay
from backend.cases.timelimits import parse_time_limit
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path(__file__).parent / "data" / "calendar_2027_example.csv"
CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _no_overrides_leak():
    """The overrides are process-wide: each test starts and ends without any."""
    clock.set_calendar_overrides({})
    yield
    clock.set_calendar_overrides({})


def _due(settings, start: datetime, limit: str) -> datetime:
    return clock.calendar(settings).due_at(start, parse_time_limit(limit)).astimezone(CST)


def _put_csv(client, headers, year: int, text: str):
    return client.put(f"/api/v1/admin/calendar/{year}/csv", content=text.encode(),
                      headers={**headers, "Content-Type": "text/csv"})


def test_a_2027_schedule_from_a_file_moves_deadlines_across_the_spring_festival(client, settings):
    admin = login(client, "admin")
    before_thu = _due(settings, datetime(2027, 2, 4, 10, tzinfo=CST), "3天")
    assert before_thu == datetime(2027, 2, 9, 10, tzinfo=CST)  # the package knows no 2027: Monday–Friday only

    r = _put_csv(client, admin, 2027, EXAMPLE.read_text(encoding="utf-8"))
    assert r.status_code == 200, r.text
    assert (r.json()["holidays"], r.json()["workdays"]) == (8, 2)

    # Thu 10:00 + 3 working days: Fri 5th, then the festival (6th–12th) and the weekend, then Mon 15th, Tue 16th.
    assert _due(settings, datetime(2027, 2, 4, 10, tzinfo=CST), "3天") == datetime(2027, 2, 16, 10, tzinfo=CST)
    # Fri 19th 10:00 + 1 working day: Saturday the 20th is a 调休 working day.
    assert _due(settings, datetime(2027, 2, 19, 10, tzinfo=CST), "1天") == datetime(2027, 2, 20, 10, tzinfo=CST)
    # Working hours stop over the festival; emergency hours do not.
    # (Fri 17:00–18:00 counts one hour; the second is Mon 15th 08:00–09:00.)
    assert _due(settings, datetime(2027, 2, 5, 17, tzinfo=CST), "2小时") == datetime(2027, 2, 15, 9, tzinfo=CST)
    assert _due(settings, datetime(2027, 2, 5, 17, tzinfo=CST), "2紧急工作时") == datetime(2027, 2, 5, 19, tzinfo=CST)

    year = client.get("/api/v1/admin/calendar/2027", headers=admin).json()
    days = {d["date"]: d for d in year["days"]}
    assert len(days) == 365
    assert days["2027-02-08"] == {"date": "2027-02-08", "workday": False, "source": "city", "name": "春节"}
    assert days["2027-02-20"]["workday"] is True and days["2027-02-20"]["source"] == "city"
    assert days["2027-03-01"] == {"date": "2027-03-01", "workday": True, "source": "weekday", "name": ""}
    # A year the package knows still comes from it.
    known = {d["date"]: d for d in client.get("/api/v1/admin/calendar/2026", headers=admin).json()["days"]}
    assert known["2026-10-01"]["source"] == "official" and known["2026-10-01"]["workday"] is False

    audit = client.get("/api/v1/admin/audit", params={"action": "calendar.changed"}, headers=admin).json()
    assert audit[0]["target"] == "calendar:2027" and audit[0]["details"]["after"] == {"holidays": 8, "workdays": 2}


def test_the_weekday_rule_for_days_a_loaded_year_does_not_list(settings):
    clock.set_calendar_overrides({datetime(2027, 2, 8).date(): False})
    calendar = clock.calendar(settings)
    assert calendar.is_workday(datetime(2027, 2, 9).date())  # not listed, a Tuesday
    assert not calendar.is_workday(datetime(2027, 2, 8).date())
    assert not calendar.is_workday(datetime(2027, 2, 13).date())  # a Saturday


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    ("date,type,name\n2027-02-30,holiday,春节\n", 2, "date", "YYYY-MM-DD"),
    ("date,type,name\n2027-02-08,holiday,春节\n2027-02-09,holiday,春节\n2027-02-08,workday,x\n", 4, "date", "twice"),
    ("date,type,name\n2026-12-31,holiday,元旦\n", 2, "date", "not in 2027"),
    ("date,type,name\n2027-02-08,vacation,春节\n", 2, "type", "holiday"),
    ("date,type,name\n2027-02-08\n", 2, "type", "missing"),
])
def test_a_bad_file_changes_nothing_and_names_the_line(client, text, line, field, words):
    admin = login(client, "admin")
    assert _put_csv(client, admin, 2027, "date,type\n2027-02-10,holiday\n").status_code == 200
    r = _put_csv(client, admin, 2027, text)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "calendar.invalid" and error["message_zh"] and error["message_en"]
    rows = error["details"]["errors"]
    assert [(e["line"], e["field"]) for e in rows] == [(line, field)]
    assert words in rows[0]["reason_en"] and rows[0]["reason_zh"]
    kept = client.get("/api/v1/admin/calendar/2027", headers=admin).json()["days"]
    assert [d["date"] for d in kept if d["source"] == "city"] == ["2027-02-10"]  # the earlier load is intact


def test_only_admins_change_the_calendar_and_staff_read_it(client):
    operator = login(client, "operator01")
    assert client.get("/api/v1/admin/calendar/2027", headers=operator).status_code == 200
    r = _put_csv(client, operator, 2027, EXAMPLE.read_text(encoding="utf-8"))
    assert r.status_code == 403
    assert client.get("/api/v1/admin/calendar/2027", headers=login(client, "citizen01")).status_code == 403
    r = client.put("/api/v1/admin/calendar/2027", headers=login(client, "admin"),
                   json={"days": [{"date": "2027-02-08", "type": "休", "name": "春节"}]})
    assert r.status_code == 200 and r.json()["holidays"] == 1


def test_running_deadlines_move_with_a_timeline_entry_once(client, settings):
    admin = login(client, "admin")
    dispatched = datetime(2027, 2, 4, 10, tzinfo=CST)

    async def running_case() -> int:
        probe = SimpleNamespace(dispatched_at=dispatched, time_limit="3天", pauses=[], paused_at=None,
                                extension_minutes=0, due_at=None)
        clock.recompute_due(settings, probe)
        case = Case(tracking_no="T" + uuid.uuid4().hex[:12], state="handling", source="citizen", lng=112.0, lat=27.7,
                    created_at=dispatched - timedelta(hours=1), updated_at=dispatched, dispatched_at=dispatched,
                    time_limit="3天", due_at=probe.due_at)
        await case.save()
        return case.id

    case_id = client.blocking_portal.call(running_case)
    before = client.blocking_portal.call(lambda: Case.select(Case.due_at, Case.version).where(Case.id == case_id)
                                         .first())
    assert before["due_at"].astimezone(CST) == datetime(2027, 2, 9, 10, tzinfo=CST)

    r = _put_csv(client, admin, 2027, EXAMPLE.read_text(encoding="utf-8"))
    assert r.json()["deadlines_moved"] == 1
    after = client.blocking_portal.call(lambda: Case.select(Case.due_at, Case.version).where(Case.id == case_id)
                                        .first())
    assert after["due_at"].astimezone(CST) == datetime(2027, 2, 16, 10, tzinfo=CST)
    assert after["version"] == before["version"] + 1
    entries = client.blocking_portal.call(lambda: TimelineEntry.select().where(
        (TimelineEntry.case == case_id) & (TimelineEntry.action == "deadline_recomputed")).output(load_json=True))
    assert len(entries) == 1 and entries[0]["actor_role"] == "system"
    assert datetime.fromisoformat(entries[0]["data"]["to"]).astimezone(CST) == datetime(2027, 2, 16, 10, tzinfo=CST)
    # Loading the same schedule again moves nothing.
    assert _put_csv(client, admin, 2027, EXAMPLE.read_text(encoding="utf-8")).json()["deadlines_moved"] == 0


def test_another_process_picks_up_a_change_without_a_restart(client, settings):
    sync = calendar_sync()
    assert client.blocking_portal.call(sync.sync)  # the first look loads
    assert not client.blocking_portal.call(sync.sync)  # nothing changed
    assert clock.calendar(settings).is_workday(datetime(2027, 2, 8).date())

    async def written_elsewhere() -> None:  # as another process's admin request would
        await CalendarDay.insert(CalendarDay(day="2027-02-08", workday=False, name="春节",
                                             updated_at=datetime.now(CST)))

    client.blocking_portal.call(written_elsewhere)
    assert client.blocking_portal.call(sync.sync)
    assert not clock.calendar(settings).is_workday(datetime(2027, 2, 8).date())


def test_cli_loads_a_file_and_refuses_a_bad_one(settings, tmp_path):
    env = {"SUISHOUPAI_DATA_DIR": str(settings.data_dir), "SUISHOUPAI_DATABASE_URL": settings.database_url,
           "PATH": "/usr/bin:/bin"}
    bad = tmp_path / "bad.csv"
    bad.write_text("date,type,name\n2027-02-08,holiday,春节\n2027-02-08,holiday,春节\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "backend.cli", "calendar-load", "2027", str(bad)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "line 3 (date)" in done.stderr
    done = subprocess.run([sys.executable, "-m", "backend.cli", "calendar-load", "2027", str(EXAMPLE)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "8 holidays, 2 swapped working days" in done.stdout
