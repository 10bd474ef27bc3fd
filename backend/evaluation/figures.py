"""Every evaluation figure as data: the counts (an SQL condition over one fact table) and the rates built from them.

The tables of figures and the drill-downs run the very same conditions, so the cases listed behind a figure are
exactly the ones it counted. In a condition, ``@S`` is the period's start and ``@C`` its cut-off (the end, or the
"as of" time when that is earlier): every time is compared with ``@C``, so nothing written later changes a figure.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBJECTS = ("unit", "area", "supervisor", "dispatcher")
AREA_LEVELS = {"grid": "unit_grid", "community": "community", "street": "street", "district": "district"}


@dataclass(frozen=True)
class Count:
    table: str
    key: str  # the column (or expression) naming the unit, area or person; "@AREA" is the area level's column
    where: str
    zh: str
    en: str


@dataclass(frozen=True)
class Rate:
    numerator: str
    denominator: str
    zh: str
    en: str


# A unit's handling episode counts in the period in which it settles: when its work is reported back on time, or
# else when its deadline passes (so a late case counts once, as late, in the period its deadline fell in). An episode
# returned (回退) before the cut-off is not the unit's: it counts as a wrong dispatch against the dispatcher.
_DUE = "settled_at >= @S AND settled_at < @C AND (returned_at IS NULL OR returned_at >= @C)"
_HANDLED = "handled_at >= @S AND handled_at < @C"
_RATED = "at >= @S AND at < @C"
_REPORTED = "reported_at >= @S AND reported_at < @C"
_FILED = "filed_at >= @S AND filed_at < @C"
_SUP_REPORTED = _REPORTED + " AND reporter_role = 'supervisor'"
_DISPATCHED = "kind = 'dispatch' AND started_at >= @S AND started_at < @C"


# 漏报: a problem in a supervisor's responsibility grid that someone else reported and the centre filed, so the patrol
# missed it. Grids are assigned in accounts (supervisor_grid), not on the timeline: the figure uses today's
# assignment, so reassigning a grid moves this one figure for past periods (docs/evaluation.md, limits).
GRID_CASES = ('(SELECT eval_case.*, sg."user" AS grid_supervisor FROM eval_case '
              "JOIN responsibility_grid rg ON rg.code = eval_case.responsibility_grid "
              "JOIN supervisor_grid sg ON sg.grid = rg.id) AS grid_case")


def _task(kind: str) -> str:
    return f"kind = '{kind}' AND settled_at >= @S AND settled_at < @C"


COUNTS: dict[str, dict[str, Count]] = {
    "unit": {
        "due": Count("eval_episode", "unit_id", _DUE, "应处置数", "Due"),
        "on_time": Count("eval_episode", "unit_id", _DUE + " AND on_time = @T", "按期处置数", "Handled on time"),
        "closed": Count("eval_episode", "unit_id", _DUE + " AND closed_at < @C", "结案数", "Closed"),
        "handled": Count("eval_episode", "unit_id", _HANDLED, "处置数", "Handled"),
        "reworks": Count("eval_episode", "unit_id", "failed_at >= @S AND failed_at < @C", "返工数", "Reworks"),
        "rated": Count("eval_rating", "unit_id", _RATED, "评价数", "Ratings"),
        "satisfied": Count("eval_rating", "unit_id", _RATED + " AND satisfied = @T", "满意数", "Satisfied"),
    },
    "area": {
        "reported": Count("eval_case", "@AREA", _REPORTED, "上报数", "Reported"),
        "public": Count("eval_case", "@AREA", _REPORTED + " AND source <> 'supervisor'", "公众上报数",
                        "Reported by the public"),
        "filed": Count("eval_case", "@AREA", _FILED, "立案数", "Filed"),
        "closed": Count("eval_case", "@AREA", _FILED + " AND closed_at < @C", "结案数", "Closed"),
        "on_time_closed": Count("eval_case", "@AREA", _FILED + " AND closed_at < @C AND (late_at IS NULL OR late_at >= @C)",
                                "按期结案数", "Closed on time"),
        "rated": Count("eval_rating", "@AREA", _RATED, "评价数", "Ratings"),
        "satisfied": Count("eval_rating", "@AREA", _RATED + " AND satisfied = @T", "满意数", "Satisfied"),
    },
    "supervisor": {
        "reported": Count("eval_case", "reporter_id", _SUP_REPORTED, "上报数", "Reported"),
        "filed": Count("eval_case", "reporter_id", _SUP_REPORTED + " AND filed_at < @C", "立案数", "Filed"),
        "verify_due": Count("eval_task", "COALESCE(done_by, assignee_id)", _task("verify"), "应核实数", "Verifications due"),
        "verify_on_time": Count("eval_task", "COALESCE(done_by, assignee_id)", _task("verify") + " AND on_time = @T",
                                "按时核实数", "Verified on time"),
        "check_due": Count("eval_task", "done_by", _task("check"), "核查数", "Checks"),
        "check_on_time": Count("eval_task", "done_by", _task("check") + " AND on_time = @T", "按时核查数",
                               "Checked on time"),
        "grid_filed": Count(GRID_CASES, "grid_supervisor", _FILED, "责任网格立案数", "Filed in their grids"),
        "missed": Count(GRID_CASES, "grid_supervisor", _FILED + " AND source <> 'supervisor'", "漏报数",
                        "Missed (reported by others)"),
    },
    "dispatcher": {
        "dispatch_due": Count("eval_task", "done_by", _task("dispatch"), "派遣数", "Dispatches"),
        "dispatch_on_time": Count("eval_task", "done_by", _task("dispatch") + " AND on_time = @T", "按时派遣数",
                                  "Dispatched on time"),
        "dispatched": Count("eval_episode", "dispatcher_id", _DISPATCHED, "派遣案件数", "Cases dispatched"),
        "accurate": Count("eval_episode", "dispatcher_id", _DISPATCHED + " AND (returned_at IS NULL OR returned_at >= @C)",
                          "准确派遣数", "Dispatched to the right unit"),
    },
}

RATES: dict[str, dict[str, Rate]] = {
    "unit": {
        "on_time_rate": Rate("on_time", "due", "按期处置率", "On-time handling rate"),
        "closure_rate": Rate("closed", "due", "结案率", "Closure rate"),
        "rework_rate": Rate("reworks", "handled", "返工率", "Rework rate"),
        "satisfaction_rate": Rate("satisfied", "rated", "满意率", "Satisfaction rate"),
    },
    "area": {
        "public_share": Rate("public", "reported", "公众上报占比", "Public-report share"),
        "closure_rate": Rate("closed", "filed", "结案率", "Closure rate"),
        "on_time_closure_rate": Rate("on_time_closed", "filed", "按期结案率", "On-time closure rate"),
        "satisfaction_rate": Rate("satisfied", "rated", "满意率", "Satisfaction rate"),
    },
    "supervisor": {
        "valid_report_rate": Rate("filed", "reported", "有效上报率", "Valid-report rate"),
        "verify_on_time_rate": Rate("verify_on_time", "verify_due", "按时核实率", "On-time verify rate"),
        "check_on_time_rate": Rate("check_on_time", "check_due", "按时核查率", "On-time check rate"),
        "missed_rate": Rate("missed", "grid_filed", "漏报率", "Missed-report rate"),  # not in the score: lower is better
    },
    "dispatcher": {
        "on_time_rate": Rate("dispatch_on_time", "dispatch_due", "按时派遣率", "On-time dispatch rate"),
        "accurate_rate": Rate("accurate", "dispatched", "准确派遣率", "Accurate dispatch rate"),
    },
}

# Which rate (as 0–100) feeds which part of the score; the unit's volume and rework parts are computed in engine.py.
SCORE_PARTS: dict[str, dict[str, str]] = {
    "unit": {"closure": "closure_rate", "on_time": "on_time_rate"},
    "area": {"closure": "closure_rate", "on_time_closure": "on_time_closure_rate"},
    "supervisor": {"valid_report": "valid_report_rate", "verify_on_time": "verify_on_time_rate",
                   "check_on_time": "check_on_time_rate"},
    "dispatcher": {"on_time": "on_time_rate", "accurate": "accurate_rate"},
}

# The times a drill-down shows for a case, per fact table.
TIMES = {
    "eval_episode": ("started_at", "due_at", "handled_at", "returned_at", "failed_at", "closed_at"),
    "eval_task": ("started_at", "due_at", "done_at"),
    "eval_case": ("reported_at", "filed_at", "closed_at", "late_at"),
    "eval_rating": ("at",),
    GRID_CASES: ("reported_at", "filed_at", "closed_at"),
}
