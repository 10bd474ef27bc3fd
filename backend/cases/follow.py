"""Following a case one did not report (只报一次): 我也遇到 on an open public report nearby, or the reporter's own other
device with the tracking number and its follow code. A follower hears what the reporter hears: the recorder puts
their ``reporter:`` topic on the case's events, so the live channel and the notifier reach them too.

The follow code is derived from the tracking number with the server's secret (HMAC), so nothing new is stored and it
never appears in a URL. A wrong number and a wrong code get the same answer, and the endpoint is rate-limited, so
neither can be probed one part at a time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from datetime import UTC, datetime
from typing import Any

from backend.accounts.services import Actor
from backend.cases.lifecycle import State
from backend.cases.tables import Case, CaseFollow
from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound
from backend.settings import Settings

CODE_LENGTH = 6
# Open public reports a passer-by may join: filed and not yet finished (a closed one can be reopened by its reporter).
JOINABLE = frozenset({State.PENDING_DISPATCH, State.DISPATCHED, State.HANDLING, State.RETURN_REQUESTED,
                      State.EXTENSION_REQUESTED, State.SUSPENSION_REQUESTED, State.SUSPENDED, State.CHECKING,
                      State.PENDING_CLOSE})
NEARBY_METRES = 300
NEARBY_LIMIT = 10
NO_MATCH = ("案件编号或关注码不正确", "The tracking number or the follow code is not right")


def follow_code(settings: Settings, tracking_no: str) -> str:
    """Six letters and digits (30 bits) a reporter types on another phone to follow their report there."""
    digest = hmac.new(settings.secret_key.encode(), f"follow:{tracking_no.upper()}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def _normal_code(code: str) -> str:
    # People read it off a screen: O for 0 and I/L for 1 are not in the base-32 alphabet, so they can only mean these.
    return code.strip().upper().replace(" ", "").replace("0", "O").replace("1", "I").replace("8", "B")


async def following(user_id: int, case_id: int) -> str | None:
    """How ``user_id`` follows the case (``nearby`` or ``device``), or None."""
    row = await CaseFollow.select(CaseFollow.kind).where(
        (CaseFollow.case == case_id) & (CaseFollow.user == user_id)).first()
    return str(row["kind"]) if row else None


async def followed(user_id: int) -> list[tuple[int, str]]:
    """(case id, kind) of every case ``user_id`` follows."""
    rows = await CaseFollow.select(CaseFollow.case, CaseFollow.kind).where(CaseFollow.user == user_id)
    return [(int(r["case"]), str(r["kind"])) for r in rows]


async def follower_ids(case_id: int) -> list[int]:
    return [int(r["user"]) for r in await CaseFollow.select(CaseFollow.user).where(CaseFollow.case == case_id)]


async def follower_count(case_ids: list[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    counts: dict[int, int] = {}
    for r in await CaseFollow.select(CaseFollow.case).where(CaseFollow.case.is_in(case_ids)):
        counts[int(r["case"])] = counts.get(int(r["case"]), 0) + 1
    return counts


async def _add(actor: Actor, case: dict[str, Any], kind: str) -> int:
    if case["reporter"] == actor.id:
        return int(case["id"])  # their own report: they hear of it already
    async with write_transaction(CaseFollow._meta.db):
        if await following(actor.id, case["id"]) is None:
            await CaseFollow.insert(CaseFollow(case=case["id"], user=actor.id, kind=kind,
                                               created_at=datetime.now(UTC)))
        elif kind == "device":  # the code proves more than a tap on the map did
            await CaseFollow.update({CaseFollow.kind: kind}).where(
                (CaseFollow.case == case["id"]) & (CaseFollow.user == actor.id))
    return int(case["id"])


async def follow_with_code(settings: Settings, actor: Actor, tracking_no: str, code: str) -> int:
    """Attach a case to this device: the tracking number and the follow code must both be right."""
    tracking_no = tracking_no.strip().upper()
    case = await Case.select(Case.id, Case.reporter, Case.tracking_no).where(Case.tracking_no == tracking_no).first()
    # The code is compared even for an unknown number, in constant time: the answer and its timing tell nothing.
    expected = follow_code(settings, tracking_no)
    # As bytes: compare_digest refuses str with non-ASCII characters, and a code typed in Chinese is just wrong.
    if not hmac.compare_digest(expected.encode(), _normal_code(code).encode()) or case is None:
        raise NotFound(*NO_MATCH, code="follow.no_match")
    return await _add(actor, case, "device")


async def follow_public(actor: Actor, tracking_no: str) -> int:
    """我也遇到: follow an open public report (one the public map shows and that is still being dealt with)."""
    case = await Case.select(Case.id, Case.reporter, Case.state).where(
        Case.tracking_no == tracking_no.strip().upper()).first()
    if case is None or State(case["state"]) not in JOINABLE:
        raise NotFound("这条上报不公开或已办结，无法关注", "This report is not public or is finished; it cannot be followed",
                       code="follow.not_public")
    return await _add(actor, case, "nearby")


async def unfollow(actor: Actor, case_id: int) -> None:
    gone = await CaseFollow.delete().where((CaseFollow.case == case_id) & (CaseFollow.user == actor.id)).returning(
        CaseFollow.id)
    if not gone:
        raise NotFound("您没有关注这条上报", "You do not follow this report", code="follow.not_following")


def _metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    dx = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(dx, math.radians(lat2 - lat1))


async def nearby(lng: float, lat: float, codes: tuple[str, ...] | None) -> list[tuple[dict[str, Any], float]]:
    """Open public reports within NEARBY_METRES (of these category codes, when given), nearest first."""
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise InvalidInput("位置无效", "Not a valid position", code="follow.bad_position")
    dlat = NEARBY_METRES / 111_000
    dlng = dlat / max(0.1, math.cos(math.radians(lat)))
    query = Case.select(Case.id, Case.tracking_no, Case.state, Case.category_code, Case.category_name, Case.lng,
                        Case.lat, Case.created_at, Case.due_at, Case.reporter).where(
        Case.state.is_in([s.value for s in JOINABLE]) & (Case.lng >= lng - dlng) & (Case.lng <= lng + dlng)
        & (Case.lat >= lat - dlat) & (Case.lat <= lat + dlat))
    if codes:
        query = query.where(Case.category_code.is_in(list(codes)))
    found = [(row, _metres(lng, lat, row["lng"], row["lat"])) for row in await query.limit(200)]
    found = [(row, d) for row, d in found if d <= NEARBY_METRES]
    found.sort(key=lambda pair: pair[1])
    return found[:NEARBY_LIMIT]
