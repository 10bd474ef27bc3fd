"""Interop tables: external systems' API keys, what Open311 added to a case, webhook subscribers and deliveries.

Kept apart from the case tables on purpose: a case knows nothing about Open311 or webhooks; these rows point at it.
"""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.accounts.tables import User
from backend.cases.tables import Case
from backend.jsoncolumn import JSON


class ApiClient(Table):
    """An external system (a 12345 hotline, a district back office): one key, one service account, its own limit."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    name = Varchar(length=64, unique=True)
    # The key is shown once; only its SHA-256 is kept (it is 32 random bytes, so a slow hash adds nothing).
    key_prefix = Varchar(length=12, index=True)
    key_hash = Varchar(length=64, unique=True)
    # The account the client's reports are filed under (role citizen, anonymous: never a person).
    user = ForeignKey(User)
    rate_per_minute = Integer(default=60)
    active = Boolean(default=True)
    created_at = Timestamptz()
    created_by = Integer(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class Open311Request(Table):
    """What an Open311 POST carried beyond the report itself, keyed by the case it created."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    case = ForeignKey(Case, unique=True)
    client = ForeignKey(ApiClient, index=True)
    service_code = Varchar(length=8)
    attributes = JSON(default={})
    media_url = Varchar(length=500, default="")
    address_string = Varchar(length=200, default="")
    token = Varchar(length=40, unique=True)
    created_at = Timestamptz()


class WebhookSubscriber(Table):
    id: Serial  # Piccolo adds this primary key itself; named here for type checkers
    name = Varchar(length=64)
    url = Varchar(length=500)
    # Needed in clear to sign each delivery (HMAC); shown once on creation, never listed.
    secret = Varchar(length=128, secret=True)
    kinds = JSON(default=[])  # event kinds (case.created, case.updated…); empty: all
    states = JSON(default=[])  # case states after the event; empty: all
    categories = JSON(default=[])  # 小类 codes, or a 大类 prefix (C01); empty: all
    areas = JSON(default=[])  # district / street / community / unit-grid code prefixes; empty: all
    active = Boolean(default=True)
    created_at = Timestamptz()
    created_by = Integer(null=True, default=None)


class WebhookDelivery(Table):
    """One event for one subscriber. ``delivery_id`` is what receivers de-duplicate on: a retry or a replay reuses it."""

    id: Serial  # Piccolo adds this primary key itself; named here for type checkers

    delivery_id = Varchar(length=36, unique=True)
    subscriber = ForeignKey(WebhookSubscriber, index=True)
    event_seq = BigInt(index=True)
    kind = Varchar(length=32)
    body = Text()  # the exact bytes signed and sent
    status = Varchar(length=16, default="pending", index=True)  # pending | delivered | dead
    attempts = Integer(default=0)
    last_status = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None)


class InteropCursor(Table):
    """How far in the event log a feed has read (one row per feed), so a restart resumes without gap or repeat."""

    name = Varchar(length=32, unique=True)
    seq = BigInt(default=0)
