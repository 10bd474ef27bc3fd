"""Wire schemas of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from backend.org.schemas import ProblemOut

Username = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[str, Meta(min_length=1, max_length=128)]
RoleName = Annotated[str, Meta(pattern=r"^(citizen|supervisor|operator|shift_lead|dispatcher|unit_staff|admin)$")]


class LoginIn(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=64)]
    password: Password


class UserOut(Struct):
    id: int
    username: str
    display_name: str
    role: str
    role_zh: str
    role_en: str
    unit_id: int | None
    anonymous: bool
    grids: list[str]
    active: bool = True
    must_change_password: bool = False


class TokenOut(Struct):
    token: str
    expires_at: datetime
    user: UserOut
    must_change_password: bool = False


class LogoutIn(Struct, forbid_unknown_fields=True):
    everywhere: bool = False  # end every session of this user, not only this one


class PasswordChangeIn(Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Annotated[str, Meta(min_length=1, max_length=128)]


class AuditOut(Struct):
    id: int
    at: datetime
    action: str
    action_zh: str
    action_en: str
    outcome: str
    actor_id: int | None
    actor_name: str
    ip: str
    user_agent: str
    target: str
    details: dict[str, object]


class UserIn(Struct, forbid_unknown_fields=True):
    username: Username
    password: Annotated[str, Meta(min_length=8, max_length=128)]
    role: RoleName
    display_name: Annotated[str, Meta(max_length=64)] = ""
    unit_code: Annotated[str, Meta(max_length=32)] | None = None
    phone: Annotated[str, Meta(max_length=32)] = ""


class UserPatch(Struct, forbid_unknown_fields=True):
    display_name: Annotated[str, Meta(max_length=64)] | None = None
    active: bool | None = None
    grids: Annotated[list[Annotated[str, Meta(max_length=32)]], Meta(max_length=100)] | None = None
    # A reset: a temporary password the user must change at the next login.
    password: Annotated[str, Meta(min_length=8, max_length=128)] | None = None
    role: RoleName | None = None
    unit_code: Annotated[str, Meta(max_length=32)] | None = None


class ImportedUserOut(Struct):
    line: int
    username: str
    role: str
    initial_password: str  # shown once to the importing admin; must be changed at the first login


class UserImportOut(Struct):
    applied: bool  # False: a dry run, or refused (see problems); no account was created
    rows: int
    problems: list[ProblemOut]
    created: list[ImportedUserOut]
