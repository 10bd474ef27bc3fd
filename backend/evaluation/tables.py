"""Evaluation facts: what the case timeline says happened, one row per handling episode, stage task, case and rating.

The rows are derived only from ``TimelineEntry`` (see ``facts.py``) and carry the times of each step, so a figure
for any period is an SQL aggregate over them with every time compared against the period's cut-off: entries written
after the cut-off cannot change it. They are a cache of the timeline, rebuilt for a case whenever it gets new entries.
"""

from piccolo.columns import Boolean, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.jsoncolumn import JSON


class EvalEpisode(Table):
    """One stretch of a case with a responsible unit: from a dispatch (or a failed check: 返工) to its report back,
    or to an approved return (回退)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case_id = Integer(index=True)
    tracking_no = Varchar(length=20)
    unit_id = Integer(index=True)
    kind = Varchar(length=8)  # dispatch | rework
    dispatcher_id = Integer(null=True, default=None)  # who dispatched it (none for a rework)
    start_entry = Integer(unique=True)  # the timeline entry that started it
    started_at = Timestamptz()
    base_due_at = Timestamptz(null=True, default=None)  # the limit from the start, frozen once computed
    due_at = Timestamptz(null=True, default=None)  # with extensions and suspensions; none while suspended
    handled_at = Timestamptz(null=True, default=None)  # report back (处置反馈)
    returned_at = Timestamptz(null=True, default=None)  # return approved
    failed_at = Timestamptz(null=True, default=None)  # its work failed the check: a rework against the unit
    closed_at = Timestamptz(null=True, default=None)  # the case was closed after this episode's work
    settled_at = Timestamptz(null=True, default=None, index=True)  # the earlier of handled_at and due_at
    on_time = Boolean(default=False)  # handled no later than due_at


class EvalTask(Table):
    """A stage task with its own short limit: verify (核实), dispatch (派遣) or check (核查)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case_id = Integer(index=True)
    tracking_no = Varchar(length=20)
    kind = Varchar(length=8)  # verify | dispatch | check
    start_entry = Integer(unique=True)
    assignee_id = Integer(null=True, default=None)  # the supervisor asked to verify, when the timeline names one
    done_by = Integer(null=True, default=None)
    started_at = Timestamptz()
    due_at = Timestamptz()
    done_at = Timestamptz(null=True, default=None)
    settled_at = Timestamptz(index=True)  # the earlier of done_at and due_at
    on_time = Boolean(default=False)


class EvalCase(Table):
    """A case's own milestones and where it lies."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case_id = Integer(unique=True)
    tracking_no = Varchar(length=20)
    source = Varchar(length=16)  # citizen | supervisor | open311 | hotline
    reporter_id = Integer(null=True, default=None)
    reporter_role = Varchar(length=16, default="")
    district = Varchar(length=6, default="")
    street = Varchar(length=9, default="")
    community = Varchar(length=12, default="")
    unit_grid = Varchar(length=15, default="")
    responsibility_grid = Varchar(length=32, default="")
    reported_at = Timestamptz(index=True)
    filed_at = Timestamptz(null=True, default=None, index=True)
    closed_at = Timestamptz(null=True, default=None)  # the first close
    late_at = Timestamptz(null=True, default=None)  # when its first episode settled late, if one did


class EvalRating(Table):
    """A citizen's rating (好差评) of a closed case, charged to the unit that did the work."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case_id = Integer(index=True)
    tracking_no = Varchar(length=20)
    entry = Integer(unique=True)
    at = Timestamptz(index=True)
    satisfied = Boolean()
    unit_id = Integer(null=True, default=None)
    district = Varchar(length=6, default="")
    street = Varchar(length=9, default="")
    community = Varchar(length=12, default="")
    unit_grid = Varchar(length=15, default="")


class EvalCursor(Table):
    """How far into the timeline the facts are built: the highest timeline entry id folded in."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    name = Varchar(length=32, unique=True)
    last_entry = Integer(default=0)


class EvalScheme(Table):
    """The city's weights of the composite score and its grade thresholds; the newest row is in force."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    weights = JSON(default={})  # {"volume": 10, "closure": 30, "on_time": 30, "rework": 30}
    grades = JSON(default={})  # {"A": 90, "B": 75, "C": 60, "D": 40}; below D is E
    updated_at = Timestamptz()
    updated_by = Integer(null=True, default=None)


class FollowUpCall(Table):
    """One call back (回访) to a citizen about a dissatisfied rating or a reopened case: who called, when, the outcome.

    ``entry`` is the timeline entry called about (the rating or the reopening); a case can be called about again when
    the citizen rates or reopens it again.
    """

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case_id = Integer(index=True)
    entry = Integer(index=True)
    caller_id = Integer()
    caller_name = Varchar(length=64)
    called_at = Timestamptz()
    outcome = Varchar(length=16)  # resolved | dissatisfied | unreachable | refused (see followup.OUTCOMES)
    note = Varchar(length=500, default="")
