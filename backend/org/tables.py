"""Organisation tables: districts → streets → communities → unit grids, responsibility grids, units, components."""

from piccolo.columns import Boolean, Float, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.jsoncolumn import JSON


class District(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    code = Varchar(length=6, unique=True)
    name = Varchar(length=64)
    geometry = JSON(default={})


class Street(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    code = Varchar(length=9, unique=True)
    name = Varchar(length=64)
    district = ForeignKey(District)
    geometry = JSON(default={})


class Community(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    code = Varchar(length=12, unique=True)
    name = Varchar(length=64)
    street = ForeignKey(Street)
    geometry = JSON(default={})


class ResponsibilityGrid(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    code = Varchar(length=32, unique=True)
    name = Varchar(length=64)
    district = ForeignKey(District, null=True)
    geometry = JSON(default={})


class UnitGrid(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    code = Varchar(length=15, unique=True)
    community = ForeignKey(Community)
    responsibility_grid = ForeignKey(ResponsibilityGrid, null=True)
    geometry = JSON(default={})
    area_m2 = Float(default=0.0)


class Unit(Table):
    """A responsible unit (责任单位): a department, company or street office that handles cases."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    code = Varchar(length=32, unique=True)
    name = Varchar(length=128)
    name_en = Varchar(length=128, default="")  # English name; "" shows the Chinese one
    kind = Varchar(length=32)  # water, drainage, power, telecom, gas, sanitation, parks, traffic_police, street_office…
    contact = Varchar(length=64, default="")
    phone = Varchar(length=32, default="")
    categories = JSON(default=[])  # 小类 codes it handles; ["*"] for all
    areas = JSON(default=[])  # district/street/community codes it covers; [] for the whole city
    active = Boolean(default=True)


class Component(Table):
    """A surveyed city asset (部件普查) with its owner and maintainer."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    code = Varchar(length=32, unique=True)
    category_code = Varchar(length=8, index=True)
    name = Varchar(length=128, default="")
    lng = Float()
    lat = Float()
    owner = ForeignKey(Unit, null=True)
    maintainer = ForeignKey(Unit, null=True)
    unit_grid = Varchar(length=15, default="")
    status = Varchar(length=16, default="normal")
    moved_at = Timestamptz(null=True, default=None)  # an admin moved the point: other processes reload the index


class RoutingRule(Table):
    """Routing as data: the first matching rule (lowest priority number) names the unit. See triage/routing.py."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    priority = Integer(default=100)
    name = Varchar(length=128)
    kind = Varchar(length=16, default="any")  # component | event | any
    category_prefix = Varchar(length=8, default="")  # "" matches all; "01" a 大类; "0101" one 小类
    area_prefix = Varchar(length=15, default="")  # district/street/community code prefix; "" everywhere
    target = Varchar(length=16)  # owner | maintainer | unit | street_office
    unit = ForeignKey(Unit, null=True)
    active = Boolean(default=True)
    note = Text(default="")
    updated_at = Timestamptz()


class CalendarDay(Table):
    """A city's own entry in the working calendar: a public holiday (``workday`` False) or a swapped working day
    (调休, ``workday`` True). It wins over the ``chinese_calendar`` package, which knows only the years it shipped
    with; days not listed follow the package, or Monday–Friday outside its years."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    day = Varchar(length=10, unique=True)  # the ISO date (2027-02-11): one entry per day, sorts as dates do
    workday = Boolean()
    name = Varchar(length=64, default="")  # 春节, 春节调休上班 …
    updated_at = Timestamptz()
    updated_by = Integer(null=True, default=None)


class OrgImport(Table):
    """One accepted import of organisation data (see org/transfer.py). Its newest id is the organisation's revision:
    every process compares it with the one it loaded and reloads grids, components and routing when it moved."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    at = Timestamptz()
    by_user = Integer(null=True, default=None)  # the admin's user id; None from the command line
    by_name = Varchar(length=64, default="")
    datasets = JSON(default=[])  # ["units", "routing_rules", …]
    summary = JSON(default={})  # per dataset: added, updated, removed counts


class RuntimeSetting(Table):
    """An admin's value for one of the settings that are safe to change while running (``backend/org/runtime.py``).
    A key without a row uses the value from settings.py (the environment)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    key = Varchar(length=64, unique=True)
    value = JSON(default={})  # {"value": …}: JSON keeps the type (bool, int, float)
    updated_at = Timestamptz()
    updated_by = Integer(null=True, default=None)


class CategorySetting(Table):
    """The city's changes to the taxonomy file: a 小类 switched off, its time limits changed, or a 小类 of its own.
    Applied over the file by ``backend/triage/cityconfig.py``; a code without a row is as the file says."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    code = Varchar(length=8, unique=True)
    enabled = Boolean(default=True)
    time_limits = JSON(default=[])  # one limit per standard ("" keeps the file's); [] changes none
    addition = JSON(default={})  # a city 小类: its record in the taxonomy file's shape; {} for a code of the file
    updated_at = Timestamptz()
    updated_by = Integer(null=True, default=None)
