"""The worked example of docs/evaluation.md as timeline rows: five cases in March 2026, written straight into the
case and timeline tables (the facts are built from nothing else)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.accounts.tables import User
from backend.cases.tables import Case, TimelineEntry
from backend.org.tables import Community, Unit

TZ = ZoneInfo("Asia/Shanghai")


def t(when: str) -> datetime:
    """'03-02 10:10' in Beijing time, 2026."""
    return datetime.strptime("2026-" + when, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


class City:
    """Ids of the seeded demo city that the example uses."""

    async def load(self) -> City:
        users = {r["username"]: r["id"] for r in await User.select(User.id, User.username)}
        self.citizen, self.supervisor = users["citizen01"], users["supervisor01"]
        self.dispatcher, self.operator, self.lead = users["dispatcher01"], users["operator01"], users["shiftlead01"]
        self.staff = users["staff_ld_water"]
        units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code)}
        self.unit_a, self.unit_b = units["ld_water"], units["ld_power"]
        row = await Community.select(Community.code, Community.street.code.as_alias("street"),
                                     Community.street.district.code.as_alias("district")).first()
        assert row is not None
        self.community, self.street, self.district = row["code"], row["street"], row["district"]
        return self


async def add_case(city: City, no: int, reporter: int, source: str, limit: str = "2自然日") -> int:
    case = Case(tracking_no=f"EX{no:04d}", state="new", source=source, reporter=reporter, lng=112.0, lat=27.7,
                time_limit=limit, district=city.district, street=city.street, community=city.community,
                unit_grid=city.community + "001", created_at=t("03-01 00:00"), updated_at=t("03-01 00:00"))
    await case.save()
    return case.id


async def entry(case_id: int, when: str, actor: int | None, role: str, action: str, **data: Any) -> None:
    await TimelineEntry.insert(TimelineEntry(case=case_id, at=t(when), actor=actor, actor_role=role, action=action,
                                             data=data))


async def build(city: City) -> dict[str, int]:
    """The five cases of the example; returns their ids by name."""
    c, sup, disp, lead, op, staff = city.citizen, city.supervisor, city.dispatcher, city.lead, city.operator, city.staff
    a, b = city.unit_a, city.unit_b
    ids: dict[str, int] = {}

    # Case 1: handled on time, checked on time, closed, rated satisfied.
    ids["c1"] = k = await add_case(city, 1, c, "citizen")
    await entry(k, "03-02 09:00", c, "citizen", "report")
    await entry(k, "03-02 09:30", op, "operator", "accept_report")
    await entry(k, "03-02 10:00", lead, "shift_lead", "file")
    await entry(k, "03-02 10:10", disp, "dispatcher", "dispatch", unit_id=a)
    await entry(k, "03-03 10:00", staff, "unit_staff", "report_back")
    await entry(k, "03-03 10:20", sup, "supervisor", "check", result="pass")
    await entry(k, "03-03 11:00", lead, "shift_lead", "close")
    await entry(k, "03-04 09:00", c, "citizen", "rate", satisfied=True)

    # Case 2: a supervisor's report; the first work fails the check (返工), the rework is late; rated unsatisfied.
    ids["c2"] = k = await add_case(city, 2, sup, "supervisor")
    await entry(k, "03-05 09:00", sup, "supervisor", "report")
    await entry(k, "03-05 09:10", lead, "shift_lead", "file")
    await entry(k, "03-05 09:20", disp, "dispatcher", "dispatch", unit_id=a)
    await entry(k, "03-06 09:00", staff, "unit_staff", "report_back")
    await entry(k, "03-06 09:40", sup, "supervisor", "check", result="fail")
    await entry(k, "03-09 09:40", staff, "unit_staff", "report_back")
    await entry(k, "03-09 10:00", sup, "supervisor", "check", result="pass")
    await entry(k, "03-09 11:00", lead, "shift_lead", "close")
    await entry(k, "03-10 09:00", c, "citizen", "rate", satisfied=False)

    # Case 3: first sent to the wrong unit (returned: 错误派遣), then to A, suspended two days (挂账), on time.
    ids["c3"] = k = await add_case(city, 3, c, "citizen")
    await entry(k, "03-10 09:00", c, "citizen", "report")
    await entry(k, "03-10 09:30", lead, "shift_lead", "file")
    await entry(k, "03-10 09:40", disp, "dispatcher", "dispatch", unit_id=b)
    await entry(k, "03-10 11:00", staff, "unit_staff", "request_return")
    await entry(k, "03-10 12:00", disp, "dispatcher", "approve_return", returned_by_unit=b)
    await entry(k, "03-10 12:05", disp, "dispatcher", "dispatch", unit_id=a)
    await entry(k, "03-11 08:00", disp, "dispatcher", "approve_suspension")
    await entry(k, "03-13 08:00", disp, "dispatcher", "resume", due_at=t("03-14 12:05").isoformat())
    await entry(k, "03-14 10:00", staff, "unit_staff", "report_back")
    await entry(k, "03-14 10:30", sup, "supervisor", "check", result="pass")
    await entry(k, "03-14 11:00", lead, "shift_lead", "close")

    # Case 4: dispatched late in the month, its deadline falls in April: not due in March.
    ids["c4"] = k = await add_case(city, 4, c, "citizen")
    await entry(k, "03-28 09:00", c, "citizen", "report")
    await entry(k, "03-28 09:10", lead, "shift_lead", "file")
    await entry(k, "03-30 09:00", disp, "dispatcher", "dispatch", unit_id=a)

    # Case 5: verified late, dispatched late, never handled in March: due and late.
    ids["c5"] = k = await add_case(city, 5, c, "citizen")
    await entry(k, "03-19 09:00", c, "citizen", "report")
    await entry(k, "03-19 09:05", op, "operator", "request_verify", supervisor_id=sup)
    await entry(k, "03-19 09:50", sup, "supervisor", "verify", result="confirmed")
    await entry(k, "03-19 10:00", lead, "shift_lead", "file")
    await entry(k, "03-20 10:00", disp, "dispatcher", "dispatch", unit_id=a)
    return ids
