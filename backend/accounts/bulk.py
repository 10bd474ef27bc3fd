"""Bulk creation of staff accounts from a CSV or XLSX file (admin), all or nothing.

Columns: ``username, display_name, role, unit, grids, phone`` (docs/org-data.md). Every account gets a random initial
password that must be changed at the first login, as after a reset. The passwords are returned once, to the admin who
imported, and are never written to a log or to the audit entries.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from backend.accounts import services
from backend.accounts.roles import Role
from backend.accounts.tables import SupervisorGrid, User
from backend.accounts.users import Caller
from backend.db import write_transaction
from backend.org.files import Problem, read_table
from backend.org.tables import ResponsibilityGrid, Unit

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
ROLES = tuple(r.value for r in Role if r is not Role.CITIZEN)  # citizens sign up themselves
LIST_SPLIT = re.compile(r"[\s,;，；、]+")
MAX_USERS = 2000  # argon2 costs ~50 ms a hash: a bigger roll-out is split into several files


@dataclass
class UserImport:
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)  # line, username, role, initial_password
    applied: bool = False


def initial_password() -> str:
    """Random, and of the three character classes the policy asks for whatever the random part holds."""
    return f"{secrets.token_urlsafe(12)}-{secrets.randbelow(90) + 10}aZ"


def _add(out: UserImport, line: int, name: str, zh: str, en: str) -> None:
    out.problems.append(Problem(line, name, zh, en, "users"))


async def import_users(ctx: Any, caller: Caller, data: bytes, filename: str = "", *, dry_run: bool = False) -> UserImport:
    table = read_table(data, filename)
    out = UserImport(rows=len(table.rows), problems=[Problem(p.line, p.field, p.zh, p.en, "users")
                                                      for p in table.problems])
    if table.format == "geojson":
        _add(out, 0, "", "用户只能用 CSV 或 XLSX 导入", "Users are imported from CSV or XLSX")
        return out
    if len(table.rows) > MAX_USERS:
        _add(out, 0, "", f"一次至多导入 {MAX_USERS} 个用户", f"At most {MAX_USERS} users per file")
        return out
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code)}
    grids = {r["code"]: r["id"] for r in await ResponsibilityGrid.select(ResponsibilityGrid.id, ResponsibilityGrid.code)}
    taken = {r["username"].lower() for r in await User.select(User.username)}
    seen: dict[str, int] = {}
    grid_line: dict[str, int] = {}
    accepted: list[tuple[int, dict[str, Any], list[int]]] = []
    for row in table.rows:
        v, line, before = row.values, row.line, len(out.problems)
        username = v.get("username", "")
        if not USERNAME.match(username):
            _add(out, line, "username", f"用户名“{username}”无效：3–64 位字母、数字或 _.-",
                 f"Invalid username {username!r}: 3-64 letters, digits or _.-")
        elif username.lower() in seen:
            _add(out, line, "username", f"用户名 {username} 重复（第 {seen[username.lower()]} 行已有）",
                 f"Duplicate username {username} (already on line {seen[username.lower()]})")
        elif username.lower() in taken:
            _add(out, line, "username", f"用户名已存在：{username}", f"Username already taken: {username}")
        seen.setdefault(username.lower(), line)
        role = v.get("role", "")
        if role not in ROLES:
            _add(out, line, "role", f"角色应为 {'/'.join(ROLES)}", f"role must be one of {', '.join(ROLES)}")
        unit = v.get("unit", "")
        if role == Role.UNIT_STAFF.value and not unit:
            _add(out, line, "unit", "责任单位人员必须指定单位", "Unit staff need a unit")
        elif unit and unit not in units:
            _add(out, line, "unit", f"单位不存在：{unit}", f"No such unit: {unit}")
        elif unit and role != Role.UNIT_STAFF.value:
            _add(out, line, "unit", "只有责任单位人员属于单位", "Only unit staff belong to a unit")
        codes = [c for c in LIST_SPLIT.split(v.get("grids", "")) if c]
        if codes and role != Role.SUPERVISOR.value:
            _add(out, line, "grids", "只有监督员可以分配责任网格", "Only supervisors get responsibility grids")
        for code in codes:
            if code not in grids:
                _add(out, line, "grids", f"责任网格不存在：{code}", f"No such responsibility grid: {code}")
            elif code in grid_line:
                _add(out, line, "grids", f"责任网格 {code} 已分给第 {grid_line[code]} 行",
                     f"Grid {code} is already given on line {grid_line[code]}")
            grid_line.setdefault(code, line)
        display = v.get("display_name", "")
        phone = v.get("phone", "")
        if len(display) > 64 or len(phone) > 32:
            _add(out, line, "display_name" if len(display) > 64 else "phone", "内容过长", "Too long")
        if len(out.problems) == before:
            accepted.append((line, {"username": username, "display_name": display, "role": role, "unit": unit or None,
                                    "phone": phone}, [grids[c] for c in codes]))
    if out.problems or dry_run:
        return out
    async with write_transaction(ctx.engine):
        for line, u, grid_ids in accepted:
            password = initial_password()
            user = await services.create_user(u["username"], password, Role(u["role"]), u["display_name"], u["unit"],
                                              u["phone"], must_change_password=True)
            if grid_ids:  # a grid has one supervisor: the new one takes it over
                await SupervisorGrid.delete().where(SupervisorGrid.grid.is_in(grid_ids))
                await SupervisorGrid.insert(*(SupervisorGrid(user=user.id, grid=g) for g in grid_ids))
            await caller.audit("user.created", user, role=user.role, unit=user.unit, imported=True)
            out.created.append({"line": line, "username": user.username, "role": user.role,
                                "initial_password": password})
        await caller.audit("users.imported", None, count=len(accepted),
                           usernames=[c["username"] for c in out.created][:200])
    out.applied = True
    return out
