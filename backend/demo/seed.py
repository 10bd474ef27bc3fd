"""Seed the demo city: organisation data, a user for every role, and sample cases in every state of the loop.

Idempotent: organisation rows and users are added only when missing; sample cases only when the city has none.
Cases are moved with the same services the API uses, so their timelines, events and clocks are real.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from backend.accounts.passwords import DEMO_PASSWORD
from backend.accounts.roles import Role
from backend.accounts.services import Actor, actor_for_user, create_user
from backend.accounts.tables import SupervisorGrid, User
from backend.cases.schemas import ActionIn, ReportIn
from backend.cases.services import create_report, perform
from backend.cases.tables import Case
from backend.context import AppContext
from backend.jobs.queue import drain
from backend.live.bus import EventBus
from backend.org.loader import DEMO_CITY, load_city
from backend.org.tables import ResponsibilityGrid, Unit, UnitGrid
from backend.places.service import place_names
from backend.settings import Settings

MEDIA = Path(__file__).resolve().parent.parent.parent / "media" / "samples" / "demo"


def _progress(label: str, done: int, total: int) -> None:
    if total == 0:
        sys.stderr.write(f"  {label}: already loaded\n")
    elif done == total or done % 2000 == 0:
        sys.stderr.write(f"  {label}: {done}/{total}\n")


async def seed_users(folder: Path) -> int:
    with (folder / "users.json").open(encoding="utf-8") as f:
        users = json.load(f)["users"]
    existing = {r["username"] for r in await User.select(User.username)}
    grid_ids = {r["code"]: r["id"] for r in await ResponsibilityGrid.select(ResponsibilityGrid.id,
                                                                             ResponsibilityGrid.code)}
    added = 0
    for u in users:
        if u["username"] in existing:
            continue
        user = await create_user(u["username"], DEMO_PASSWORD, Role(u["role"]), u.get("display_name", ""),
                                 u.get("unit"))
        for code in u.get("responsibility_grids", []):
            await SupervisorGrid.insert(SupervisorGrid(user=user.id, grid=grid_ids[code]))
        added += 1
    sys.stderr.write(f"  users 用户: {added} added, {len(users) - added} already there\n")
    return added


def _found(row: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if row is None:
        raise LookupError(f"demo: no {what}")
    return row


async def _case(case_id: int) -> Case:
    case = await Case.objects().get(Case.id == case_id)
    if case is None:
        raise LookupError(f"demo: no case {case_id}")
    return case


async def _actor(username: str) -> Actor:
    row = await User.select(User.id).where(User.username == username).first()
    return await actor_for_user(_found(row, f"user {username}")["id"])


class _Demo:
    """Drives sample cases through the real services."""

    def __init__(self, ctx: AppContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng

    async def setup(self) -> None:
        from backend.triage.jobs import reroute_case, triage_case

        async def triage(payload: dict[str, Any]) -> None:
            await triage_case(self.ctx, payload)

        async def reroute(payload: dict[str, Any]) -> None:
            await reroute_case(self.ctx, payload)

        self.handlers = {"triage": triage, "reroute": reroute}
        self.citizens = [await _actor(f"citizen0{i}") for i in range(1, 6)]
        self.operator = await _actor("operator01")
        self.lead = await _actor("shiftlead01")
        self.dispatcher = await _actor("dispatcher01")
        grids = await UnitGrid.select(UnitGrid.geometry, UnitGrid.responsibility_grid.code.as_alias("rg"))
        self.points = [(self._centre(g["geometry"]), g["rg"]) for g in self.rng.sample(grids, 200)]
        self.units = await Unit.objects().output(load_json=True)

    @staticmethod
    def _centre(geometry: Any) -> tuple[float, float]:
        geometry = json.loads(geometry) if isinstance(geometry, str) else geometry
        ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return round(sum(xs) / len(xs), 6), round(sum(ys) / len(ys), 6)

    async def supervisor_for(self, grid: str) -> Actor:
        row = await SupervisorGrid.select(SupervisorGrid.user).where(SupervisorGrid.grid._.code == grid).first()
        return await actor_for_user(_found(row, f"supervisor of grid {grid}")["user"])

    async def photo(self, actor: Actor, kind: str) -> list[int]:
        from backend.photos.service import ingest_bytes

        files = sorted(MEDIA.glob("*.jpg"))
        data = self.rng.choice(files).read_bytes()
        photo = await ingest_bytes(self.ctx, actor, data, f"{kind}.jpg", kind)
        return [photo.id]

    async def report(self, code: str, text: str, by_supervisor: bool) -> tuple[int, str]:
        (lng, lat), grid = self.points.pop()
        if by_supervisor:
            actor = await self.supervisor_for(grid)
            data = ReportIn(lng=lng, lat=lat, description=text, category_code=code,
                            photo_ids=await self.photo(actor, "report"))
        else:
            actor = self.rng.choice(self.citizens)
            data = ReportIn(lng=lng, lat=lat, description=text, photo_ids=await self.photo(actor, "report"))
        case, _ = await create_report(self.ctx, actor, data, None)
        await drain(self.ctx.engine, self.handlers)
        return case.id, grid

    async def act(self, actor: Actor, case_id: int, action: str, **fields: Any) -> None:
        await perform(self.ctx, actor, case_id, action, ActionIn(**fields), None)

    def unit_for(self, code: str) -> int:
        for unit in self.units:
            if code in (unit.categories or []):
                return unit.id
        return self.units[0].id

    async def staff(self, case_id: int) -> Actor:
        case = await _case(case_id)
        row = await User.select(User.id).where(User.unit == case.unit).first()
        return await actor_for_user(_found(row, f"staff of unit {case.unit}")["id"])


# (code, citizen text, the path the case takes)
SCENARIOS: list[tuple[str, str]] = [
    ("C0101", "人行道上的自来水井盖没了，晚上很危险"),
    ("C0103", "雨水井盖破了一个大洞"),
    ("C0105", "电力井盖松动，车子压过去哐哐响"),
    ("C0137", "这一排路灯晚上都不亮"),
    ("C0305", "垃圾箱烂了，垃圾撒了一地"),
]

PATHS: dict[str, list[str]] = {
    "new": [],
    "verifying": ["request_verify"],
    "pending_filing": ["accept_report"],
    "voided": ["void"],
    "pending_dispatch": ["accept_report", "file"],
    "dispatched": ["accept_report", "file", "dispatch"],
    "handling": ["accept_report", "file", "dispatch", "accept"],
    "return_requested": ["accept_report", "file", "dispatch", "accept", "request_return"],
    "extension_requested": ["accept_report", "file", "dispatch", "accept", "request_extension"],
    "suspension_requested": ["accept_report", "file", "dispatch", "accept", "request_suspension"],
    "suspended": ["accept_report", "file", "dispatch", "accept", "request_suspension", "approve_suspension"],
    "checking": ["accept_report", "file", "dispatch", "accept", "report_back"],
    "rework": ["accept_report", "file", "dispatch", "accept", "report_back", "check_fail", "accept"],
    "pending_close": ["accept_report", "file", "dispatch", "accept", "report_back", "check_pass"],
    "closed": ["accept_report", "file", "dispatch", "accept", "report_back", "check_pass", "close", "rate"],
    "returned": ["accept_report", "file", "dispatch", "request_return", "approve_return"],
}


async def seed_cases(ctx: AppContext, per_path: int = 3, seed: int = 20261124) -> int:
    demo = _Demo(ctx, random.Random(seed))
    await demo.setup()
    made = 0
    for name, path in PATHS.items():
        for i in range(per_path):
            code, text = SCENARIOS[(made + i) % len(SCENARIOS)]
            verify_first = name != "new" and i == 0
            case_id, grid = await demo.report(code, text, by_supervisor=False)
            await demo.act(demo.operator, case_id, "reclassify", category_code=code)
            if name not in ("new", "verifying") and verify_first and path and path[0] == "accept_report":
                await demo.act(demo.operator, case_id, "request_verify")
                sup = await demo.supervisor_for(grid)
                await demo.act(sup, case_id, "verify", result="confirmed", photo_ids=await demo.photo(sup, "verify"))
                steps = path[1:]
            else:
                steps = path
            await drain(ctx.engine, demo.handlers)
            for step in steps:
                await _step(demo, case_id, grid, code, step)
            made += 1
        sys.stderr.write(f"  sample cases 示例案件: {name} ×{per_path}\n")
    # Two duplicates of open cases: 只报一次.
    for _ in range(2):
        code, text = SCENARIOS[0]
        original, _grid = await demo.report(code, text, by_supervisor=True)
        copy, _grid2 = await demo.report(code, text + "（又看到了）", by_supervisor=False)
        await demo.act(demo.operator, copy, "link_duplicate", original_case_id=original)
        made += 2
    return made


async def _step(demo: _Demo, case_id: int, grid: str, code: str, step: str) -> None:
    match step:
        case "request_verify" | "accept_report":
            await demo.act(demo.operator, case_id, step)
        case "void":
            await demo.act(demo.lead, case_id, "void", reason="经核实不属于城管问题")
        case "file" | "close":
            await demo.act(demo.lead, case_id, step)
        case "dispatch":
            await demo.act(demo.dispatcher, case_id, "dispatch", unit_id=demo.unit_for(code))
        case "accept":
            await demo.act(await demo.staff(case_id), case_id, "accept")
        case "request_return":
            await demo.act(await demo.staff(case_id), case_id, "request_return", reason="该设施不属于本单位管养")
        case "approve_return" | "approve_suspension":
            await demo.act(demo.dispatcher, case_id, step)
        case "request_extension":
            await demo.act(await demo.staff(case_id), case_id, "request_extension", reason="需要调配专用配件",
                           extension_hours=24)
        case "request_suspension":
            await demo.act(await demo.staff(case_id), case_id, "request_suspension", reason="需纳入道路改造工程统一处理")
        case "report_back":
            staff = await demo.staff(case_id)
            await demo.act(staff, case_id, "report_back", note="已更换修复", photo_ids=await demo.photo(staff, "after"))
        case "check_pass" | "check_fail":
            case = await _case(case_id)
            sup = await actor_for_user(case.assigned_supervisor) if case.assigned_supervisor else \
                await demo.supervisor_for(grid)
            result = "pass" if step == "check_pass" else "fail"
            await demo.act(sup, case_id, "check", result=result, photo_ids=await demo.photo(sup, "check"))
        case "rate":
            case = await _case(case_id)
            await demo.act(await actor_for_user(case.reporter), case_id, "rate", satisfied=True, comment="处理及时")


async def seed_unit_inboxes(ctx: AppContext, seed: int = 7) -> int:
    """One routed, dispatched case in the inbox of every unit that has none yet: each unit sees live work."""
    from backend.cases.lifecycle import WITH_UNIT

    demo = _Demo(ctx, random.Random(seed))
    await demo.setup()
    grids = await UnitGrid.select(UnitGrid.geometry, UnitGrid.community._.street._.code.as_alias("street"),
                                  UnitGrid.responsibility_grid.code.as_alias("rg")).output(load_json=True)
    busy = {r["unit"] for r in await Case.select(Case.unit).where(Case.state.is_in([s.value for s in WITH_UNIT]))}
    made = 0
    for unit in demo.units:
        codes = [c for c in unit.categories or [] if ctx.triage.taxonomy.has(c)]
        if unit.id in busy or not codes:
            continue
        streets = [a for a in unit.areas or [] if len(a) == 9]
        choices = [g for g in grids if not streets or g["street"] in streets]
        grid = demo.rng.choice(choices)
        code = demo.rng.choice(codes)
        supervisor = await demo.supervisor_for(grid["rg"])
        data = ReportIn(lng=demo._centre(grid["geometry"])[0], lat=demo._centre(grid["geometry"])[1],
                        description=ctx.triage.category(code).name + "问题，请处置", category_code=code,
                        photo_ids=await demo.photo(supervisor, "report"))
        case, _ = await create_report(ctx, supervisor, data, None)
        await drain(ctx.engine, demo.handlers)
        await demo.act(demo.lead, case.id, "file")
        # Where a 小类 is listed by several units, routing may suggest another: the dispatcher decides.
        await demo.act(demo.dispatcher, case.id, "dispatch", unit_id=unit.id)
        made += 1
    return made


async def seed_demo(settings: Settings, engine: Any, cases: bool = True, folder: Path = DEMO_CITY) -> int:
    sys.stderr.write(f"Seeding the demo city from {folder} …\n")
    await load_city(folder, _progress)
    from backend.triage.routing import seed_default_rules

    sys.stderr.write(f"  routing rules 路由规则: {await seed_default_rules()} added\n")
    await seed_users(folder)
    if cases:
        if await Case.count() > 0:
            sys.stderr.write("  sample cases 示例案件: already there\n")
        else:
            from backend.photos.store import open_store
            from backend.triage.service import Triage

            ctx = AppContext(settings=settings, engine=engine, bus=EventBus(None))
            ctx.store = open_store(settings, settings.secret_key)
            await ctx.store.ensure_ready()
            ctx.triage = await Triage.load(settings)
            ctx.place_names = place_names(ctx)
            made = await seed_cases(ctx)
            sys.stderr.write(f"  sample cases 示例案件: {made} created\n")
            inboxes = await seed_unit_inboxes(ctx)
            sys.stderr.write(f"  unit inboxes 单位待办: {inboxes} more units got a dispatched case\n")
    sys.stdout.write(
        "\nDemo users (password for all: " + DEMO_PASSWORD + "):\n"
        "  citizen01 市民 · supervisor01 监督员 · operator01 受理员 · shiftlead01 值班长 · dispatcher01 派遣员 ·\n"
        "  staff_ld_water 责任单位(自来水公司) · staff_ld_sanitation 责任单位(环卫) · admin 管理员\n"
    )
    return 0
