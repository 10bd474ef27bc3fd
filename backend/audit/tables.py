"""The audit entry. No foreign keys: an entry outlives the user, unit or rule it names, and is never updated."""

from piccolo.columns import Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.jsoncolumn import JSON


class AuditEntry(Table, tablename="audit_log"):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    at = Timestamptz(index=True)
    action = Varchar(length=40, index=True)  # see backend/audit/service.py ACTIONS
    outcome = Varchar(length=16, default="ok")  # ok | denied | failed
    actor_id = Integer(null=True, default=None, index=True)
    actor_name = Varchar(length=64, default="")
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=256, default="")
    target = Varchar(length=128, default="", index=True)
    details = JSON(default={})
