"""Accounts: users with one role, login tokens and anonymous device credentials, supervisors' grids."""

from piccolo.columns import Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.org.tables import ResponsibilityGrid, Unit


class User(Table, tablename="app_user"):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=64, default="")
    role = Varchar(length=16, index=True)  # see accounts/roles.py
    password_hash = Varchar(length=255, default="")
    unit = ForeignKey(Unit, null=True)  # unit_staff only
    phone = Varchar(length=32, default="")
    anonymous = Boolean(default=False)  # a device credential, not a person's account
    active = Boolean(default=True)
    created_at = Timestamptz()
    # Admin-created and reset accounts must choose their own password before doing anything else.
    must_change_password = Boolean(default=False)
    password_changed_at = Timestamptz(null=True, default=None)


class AuthToken(Table):
    """Only the SHA-256 of a token is stored, so a leaked database does not leak sessions."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True)
    kind = Varchar(length=16, default="session")  # session | device
    created_at = Timestamptz()
    expires_at = Timestamptz()  # the absolute limit
    last_seen_at = Timestamptz(null=True, default=None)  # for the idle limit (staff sessions)
    user_agent = Varchar(length=200, default="")


class SupervisorGrid(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    user = ForeignKey(User, index=True)
    grid = ForeignKey(ResponsibilityGrid, unique=True)
