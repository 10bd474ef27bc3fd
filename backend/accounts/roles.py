"""The roles of a digital city-management centre and their names in Chinese and English."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    CITIZEN = "citizen"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    SHIFT_LEAD = "shift_lead"
    DISPATCHER = "dispatcher"
    UNIT_STAFF = "unit_staff"
    ADMIN = "admin"


ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.CITIZEN: ("市民", "Citizen"),
    Role.SUPERVISOR: ("监督员", "Supervisor"),
    Role.OPERATOR: ("受理员", "Intake operator"),
    Role.SHIFT_LEAD: ("值班长", "Shift lead"),
    Role.DISPATCHER: ("派遣员", "Dispatcher"),
    Role.UNIT_STAFF: ("责任单位", "Responsible unit staff"),
    Role.ADMIN: ("系统管理员", "Administrator"),
}

# Centre staff see every case; the others see only what is theirs.
CENTRE_ROLES = frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.ADMIN})
