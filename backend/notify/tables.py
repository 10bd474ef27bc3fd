"""Notification tables. A case knows nothing of them: the feed reads the event log and these rows point at users."""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import User


class PushSubscription(Table):
    """One device's way to be reached: a Web Push endpoint with its keys, or a WeChat openid (``channel``)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    user = ForeignKey(User, index=True)
    channel = Varchar(length=16, default="webpush")  # webpush | wechat
    endpoint = Varchar(length=1000, unique=True)  # the push service URL, or the openid
    p256dh = Varchar(length=100, default="")
    auth = Varchar(length=40, default="")
    lang = Varchar(length=2, default="zh")
    created_at = Timestamptz()
    last_sent_at = Timestamptz(null=True, default=None)


class NotifyPreference(Table):
    """What a user wants to hear about, and when not (quiet hours in Asia/Shanghai minutes of the day)."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    user = ForeignKey(User, unique=True)
    enabled = Boolean(default=True)
    status = Boolean(default=True)  # my reports' progress
    tasks = Boolean(default=True)  # new 核实/核查 tasks (supervisors)
    cases = Boolean(default=True)  # new cases and deadlines of my unit (unit staff)
    sms = Boolean(default=False)  # also by text message to my phone (when the city has SMS on)
    quiet_start = Integer(null=True, default=None)
    quiet_end = Integer(null=True, default=None)


class NotifyDelivery(Table):
    """One event for one address. ``key`` derives from (event, channel, address): the feed cannot make it twice."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    key = Varchar(length=36, unique=True)
    event_seq = BigInt(index=True)
    user_id = Integer(index=True)
    channel = Varchar(length=16)
    address = Varchar(length=1000)  # the endpoint, openid or phone (never logged)
    subscription_id = Integer(null=True, default=None)
    message = Text()  # JSON: what is shown
    status = Varchar(length=16, default="pending", index=True)  # pending | sent | gone | dead
    attempts = Integer(default=0)
    last_status = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class NotifyCursor(Table):
    """How far in the event log the notifier has read."""

    name = Varchar(length=32, unique=True)
    seq = BigInt(default=0)


class CitizenStatusSeen(Table):
    """The citizen status a case's reporter was last told (so only a change of citizen words is news)."""

    case_id = Integer(unique=True)
    status = Varchar(length=16)
    seq = BigInt(default=0)  # the event it was learnt from: an event read again (a replay) is not news
