"""The event log: every state change, with a global increasing sequence number, for live pushes and resume."""

from piccolo.columns import BigSerial, Integer, Timestamptz, Varchar
from piccolo.table import Table

from backend.jsoncolumn import JSON


class Event(Table):
    seq = BigSerial(primary_key=True)
    at = Timestamptz()
    kind = Varchar(length=32)
    case_id = Integer(null=True, index=True)
    topics = JSON(default=[])  # case:{id}, unit:{id}, supervisor:{user id}, command, reporter:{user id}
    payload = JSON(default={})
