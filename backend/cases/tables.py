"""Case tables: the case, its immutable timeline, tracking-number counters and labels (the idempotency records this
app's migrations made live in backend/idempotency.py, shared with photos)."""

from piccolo.columns import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.accounts.tables import User
from backend.jsoncolumn import JSON
from backend.org.tables import Component, Unit


class Case(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    tracking_no = Varchar(length=20, unique=True)
    state = Varchar(length=24, index=True)
    source = Varchar(length=16)  # citizen | supervisor | open311 | hotline
    reporter = ForeignKey(User, index=True)
    idempotency_key = Varchar(length=80, null=True, default=None)
    description = Text(default="")
    address = Varchar(length=200, default="")  # what the reporter wrote (the form suggests the place's name)
    lng = Float()
    lat = Float()
    location_source = Varchar(length=16, default="browser")  # browser | exif | manual
    location_accuracy_m = Float(null=True, default=None)
    flags = JSON(default=[])  # location_mismatch, old_photo, outside_area, unrouted, likely_duplicate…
    menu = Varchar(length=32, default="")
    # classification
    category_code = Varchar(length=8, default="", index=True)
    category_name = Varchar(length=64, default="")
    category_kind = Varchar(length=16, default="")
    standard_index = Integer(default=0)
    urgent = Boolean(default=False)
    time_limit = Varchar(length=32, default="")
    suggestions = JSON(default=[])
    classifier_version = Varchar(length=64, default="")
    confidence = Float(default=0.0)
    # location context
    unit_grid = Varchar(length=15, default="", index=True)
    community = Varchar(length=12, default="")
    street = Varchar(length=9, default="")
    district = Varchar(length=6, default="")
    responsibility_grid = Varchar(length=32, default="")
    # The point's place as the gazetteer names it, written when the case is made: 娄星区 长青街道 和园社区 · 近春晖大道
    # (searchable), and its parts ({district, street, community, unit_grid, road, road_m, landmark, landmark_m, outside_m}).
    place_text = Varchar(length=200, default="")
    place = JSON(default={})
    component = ForeignKey(Component, null=True)
    # routing and people
    unit = ForeignKey(Unit, null=True, index=True)
    suggested_unit = ForeignKey(Unit, null=True)
    routing_rule = Varchar(length=200, default="")
    assigned_supervisor = ForeignKey(User, null=True, index=True)
    duplicate_of: ForeignKey["Case"] = ForeignKey("self", null=True)
    likely_duplicate_of: ForeignKey["Case"] = ForeignKey("self", null=True)
    # clocks (all aware UTC)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    filed_at = Timestamptz(null=True, default=None)
    dispatched_at = Timestamptz(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    reported_back_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    triaged_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz(null=True, default=None)  # handling deadline
    stage_due_at = Timestamptz(null=True, default=None)  # deadline of the current stage task (verify, check…)
    paused_at = Timestamptz(null=True, default=None)  # while suspended (挂账)
    pauses = JSON(default=[])  # [[start, end], …] ISO times of past suspensions: they do not count on the clock
    extension_minutes = Integer(default=0)  # approved extensions, counted on the limit's own clock
    requested_extension_hours = Float(null=True, default=None)
    light = Varchar(length=8, default="green")
    # counters for evaluation
    rework_count = Integer(default=0)
    return_count = Integer(default=0)
    reopen_count = Integer(default=0)
    rating = Integer(null=True, default=None)  # 1 satisfied, 0 not satisfied
    rating_comment = Varchar(length=500, default="")
    version = Integer(default=1)


class TimelineEntry(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    case = ForeignKey(Case, index=True)
    at = Timestamptz()
    actor = ForeignKey(User, null=True)
    actor_role = Varchar(length=16)
    action = Varchar(length=32)
    from_state = Varchar(length=24, default="")
    to_state = Varchar(length=24, default="")
    note = Text(default="")
    photo_ids = JSON(default=[])
    data = JSON(default={})


class TrackingCounter(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    day = Varchar(length=8, unique=True)
    value = Integer(default=0)


class ClassificationLabel(Table):
    """An operator's choice of category for a report's text: training data for the classifier."""

    id = Serial(primary_key=True)
    case = ForeignKey(Case, null=True)
    text = Text()
    code = Varchar(length=8)
    suggested_code = Varchar(length=8, default="")
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz()


class CaseFollow(Table):
    """A citizen following a case they did not report: 我也遇到 from the nearby list (``nearby``), or the reporter's
    own other device with the tracking number and follow code (``device``). Followers hear what the reporter hears."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case = ForeignKey(Case, index=True)
    user = ForeignKey(User, index=True)
    kind = Varchar(length=8)  # nearby | device
    created_at = Timestamptz()


class CaseDayCount(Table):
    """How many cases reported on one local day (the city's time zone) have one value of one statistics dimension, per
    category: the statistics' counts over long ranges add these up instead of reading every case. Kept current by the
    case recorder, built from ``case`` the first time they are read (``daycounts.py``)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    dim = Varchar(length=12)  # category | source | state | unit | district | street | community
    day = Date()
    value = Varchar(length=32)  # the dimension's value as text ('' for none)
    category_code = Varchar(length=8, default="")
    category_name = Varchar(length=64, default="")  # only for dim "category" (the counts name a category by it)
    n = Integer(default=0)


class CaseDayCountBuild(Table):
    """The day counts were built from ``case`` in this time zone (no row: not yet; they are built when first read)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    timezone = Varchar(length=64)
    built_at = Timestamptz()
