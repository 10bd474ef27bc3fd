"""Settings an admin may change while the city runs: which ones, their bounds, and where the values are kept.

settings.py (the environment) gives the defaults; a row of ``RuntimeSetting`` wins over it. Everything else in
settings.py needs a restart on purpose: ports, secrets, stores and limits that protect the machine are not safe to
change from a web page. Every process applies the values (``backend/triage/cityconfig.py``) when ``stamp()`` moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.db import write_transaction
from backend.errors import InvalidInput
from backend.org.tables import RuntimeSetting
from backend.settings import Settings


@dataclass(frozen=True)
class Spec:
    key: str  # the Settings field
    kind: type  # bool, int or float
    lo: float
    hi: float
    label_zh: str
    label_en: str
    unit_zh: str = ""
    unit_en: str = ""


SPECS: tuple[Spec, ...] = (
    Spec("auto_dispatch", bool, 0, 1, "自动立案派遣（监督员上报、分类可信、无疑似重复时）",
         "Auto file and dispatch (a supervisor's report, a sure category, no likely duplicate)"),
    Spec("duplicate_radius_m", float, 5, 500, "疑似重复：距离", "Likely duplicate: distance", "米", "m"),
    Spec("duplicate_window_hours", int, 1, 720, "疑似重复：时间窗", "Likely duplicate: time window", "小时", "hours"),
    Spec("reopen_days", int, 0, 90, "结案后可重新打开的天数", "Days a closed case may be reopened", "天", "days"),
    Spec("follower_priority", int, 0, 1000, "关注人数达到此数的案件标为重点（0 为关闭）",
         "Followers that make a case a priority (0: off)", "人", "people"),
)
BY_KEY = {s.key: s for s in SPECS}


def _bad(spec: Spec, raw: Any) -> InvalidInput:
    if spec.kind is bool:
        zh, en = f"{spec.label_zh}：应为开或关", f"{spec.label_en}: must be on or off"
    else:
        whole_zh = "整数" if spec.kind is int else "数"
        zh = f"{spec.label_zh}：应为 {spec.lo:g}–{spec.hi:g} 之间的{whole_zh}（{spec.unit_zh}）"
        en = f"{spec.label_en}: must be a {'whole ' if spec.kind is int else ''}number from {spec.lo:g} to {spec.hi:g}" \
             f" ({spec.unit_en})"
    return InvalidInput(zh, en, code="settings.bad_value",
                        details={"key": spec.key, "value": raw, "min": spec.lo, "max": spec.hi})


def check(values: dict[str, Any]) -> dict[str, Any]:
    """The values typed and within bounds, or ``settings.unknown_key`` / ``settings.bad_value`` naming the first bad
    one. JSON's ``true`` is not a number here, nor ``1`` a boolean: a form sending the wrong type is a bug to see."""
    out: dict[str, Any] = {}
    for key, raw in values.items():
        spec = BY_KEY.get(key)
        if spec is None:
            raise InvalidInput(f"不能在运行时修改的设置：{key}", f"Not a setting that can be changed at run time: {key}",
                               code="settings.unknown_key", details={"key": key, "allowed": sorted(BY_KEY)})
        if spec.kind is bool:
            if not isinstance(raw, bool):
                raise _bad(spec, raw)
            out[key] = raw
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or (
                spec.kind is int and raw != int(raw)):
            raise _bad(spec, raw)
        if not spec.lo <= raw <= spec.hi:
            raise _bad(spec, raw)
        out[key] = spec.kind(raw)
    return out


async def stored() -> dict[str, dict[str, Any]]:
    """key → {value, updated_at, updated_by} for the keys an admin set (unknown keys of an older version ignored)."""
    rows = await RuntimeSetting.select().output(load_json=True)
    return {r["key"]: {"value": (r["value"] or {}).get("value"), "updated_at": r["updated_at"],
                       "updated_by": r["updated_by"]} for r in rows if r["key"] in BY_KEY}


def effective(base: Settings, values: dict[str, Any]) -> Settings:
    """``base`` with the stored values that are still valid (a value out of today's bounds keeps the default)."""
    good = {}
    for key, value in values.items():
        try:
            good.update(check({key: value}))
        except InvalidInput:
            continue
    return base.with_(**good) if good else base


async def save(values: dict[str, Any], actor_id: int | None) -> dict[str, Any]:
    """Store checked values (a key whose value equals the default keeps a row: the admin chose it); the previous
    values, for the audit's "before"."""
    checked = check(values)
    before = {k: v["value"] for k, v in (await stored()).items() if k in checked}
    now = datetime.now(UTC)
    async with write_transaction(RuntimeSetting._meta.db):
        for key, value in checked.items():
            if await RuntimeSetting.exists().where(RuntimeSetting.key == key):
                await RuntimeSetting.update({RuntimeSetting.value: {"value": value}, RuntimeSetting.updated_at: now,
                                             RuntimeSetting.updated_by: actor_id}).where(RuntimeSetting.key == key)
            else:
                await RuntimeSetting.insert(RuntimeSetting(key=key, value={"value": value}, updated_at=now,
                                                           updated_by=actor_id))
    return before


# Read on its own by ``stamp()``, and inside the one query the triage job already runs (``Triage.refresh``).
STAMP_COLUMNS = ("(SELECT count(*) FROM runtime_setting) AS settings_n, (SELECT max(updated_at) FROM runtime_setting) "
                 "AS settings_at, (SELECT count(*) FROM category_setting) AS categories_n, "
                 "(SELECT max(updated_at) FROM category_setting) AS categories_at")


def stamp_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return int(row["settings_n"]), str(row["settings_at"]), int(row["categories_n"]), str(row["categories_at"])


async def stamp() -> tuple[Any, ...]:
    """Moves whenever a runtime setting or a category change is written (rows are only added or updated)."""
    rows = await RuntimeSetting.raw(f"SELECT {STAMP_COLUMNS}")
    return stamp_of(rows[0])
