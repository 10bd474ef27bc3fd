"""Personal information (PIPL): everything held about a user as one download, and a citizen deleting their account.

Deleting keeps the cases: a report is a public record that staff go on handling, so its text stays and its reporter
becomes "已注销用户". What identifies the person goes: username, name, phone, password, every credential, the
location, time and camera read from their photos, and the photos they uploaded but never attached to a case.

Privacy spans accounts, cases and photos, so this module reads all three: it sits above them, and only its controller
imports it.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from msgspec import Struct

from backend.accounts.passwords import verify_password
from backend.accounts.roles import ROLE_NAMES, Role
from backend.accounts.services import Actor, end_sessions, now
from backend.accounts.tables import AuthToken, SupervisorGrid, User
from backend.audit import service as audit
from backend.cases.schemas import CaseView
from backend.cases.tables import Case, CaseFollow, TimelineEntry
from backend.cases.views import photo_url, render_case
from backend.context import AppContext
from backend.db import write_transaction
from backend.errors import AppError, Forbidden, InvalidInput
from backend.idempotency import IdempotencyRecord
from backend.org.tables import Unit
from backend.photos.tables import Photo

log = logging.getLogger("suishoupai.privacy")

DELETED_NAME = "已注销用户"


# ---------------------------------------------------------------- the download


class ProfileOut(Struct):
    id: int
    username: str
    display_name: str
    role: str
    role_zh: str
    role_en: str
    phone: str
    anonymous: bool
    active: bool
    created_at: datetime
    unit_name: str | None
    grids: list[str]


class SessionOut(Struct):
    """A credential of the user (never the token itself, nor its hash)."""

    kind: str  # session | device
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None
    user_agent: str
    current: bool  # the credential this download was asked with


class PhotoMetaOut(Struct):
    """What is stored about a photo the user uploaded; the image itself is at the (login-only) URLs."""

    id: int
    case_id: int | None
    kind: str
    status: str
    filename: str
    content_type: str
    size: int
    width: int
    height: int
    exif_lat: float | None
    exif_lng: float | None
    exif_alt: float | None
    exif_time: datetime | None
    exif: dict[str, Any]
    created_at: datetime
    urls: dict[str, str]


class RatingOut(Struct):
    case_id: int
    tracking_no: str
    at: datetime
    satisfied: bool | None
    comment: str


class ActivityOut(Struct):
    """A step the user took on a case someone else reported (staff work)."""

    case_id: int
    tracking_no: str
    at: datetime
    action: str
    note: str


class MyDataOut(Struct):
    exported_at: datetime
    profile: ProfileOut
    sessions: list[SessionOut]
    reports: list[CaseView]  # each as the user sees it in the app, with its timeline
    photos: list[PhotoMetaOut]
    ratings: list[RatingOut]
    activity: list[ActivityOut]


async def _profile(user: User) -> ProfileOut:
    zh, en = ROLE_NAMES[Role(user.role)]
    unit = await Unit.select(Unit.name).where(Unit.id == user.unit).first() if user.unit else None
    grids = await SupervisorGrid.select(SupervisorGrid.grid.code).where(SupervisorGrid.user == user.id)
    return ProfileOut(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role, role_zh=zh, role_en=en,
        phone=user.phone, anonymous=user.anonymous, active=user.active, created_at=user.created_at,
        unit_name=unit["name"] if unit else None, grids=sorted(g["grid.code"] for g in grids),
    )


async def _sessions(actor: Actor) -> list[SessionOut]:
    rows = await AuthToken.select(
        AuthToken.token_hash, AuthToken.kind, AuthToken.created_at, AuthToken.expires_at, AuthToken.last_seen_at,
        AuthToken.user_agent,
    ).where(AuthToken.user == actor.id).order_by(AuthToken.id)
    return [SessionOut(kind=r["kind"], created_at=r["created_at"], expires_at=r["expires_at"],
                       last_seen_at=r["last_seen_at"], user_agent=r["user_agent"],
                       current=bool(actor.session) and r["token_hash"] == actor.session) for r in rows]


async def _photos(ctx: AppContext, user_id: int) -> list[PhotoMetaOut]:
    rows = await Photo.select().output(load_json=True).where(Photo.uploader == user_id).order_by(Photo.id)
    return [
        PhotoMetaOut(
            id=p["id"], case_id=p["case"], kind=p["kind"], status=p["status"], filename=p["filename"],
            content_type=p["content_type"], size=p["size"], width=p["width"], height=p["height"],
            exif_lat=p["exif_lat"], exif_lng=p["exif_lng"], exif_alt=p["exif_alt"], exif_time=p["exif_time"],
            exif=dict(p["exif"] or {}), created_at=p["created_at"],
            # Display size and thumbnail: originals are staff's evidence, and what they hold is listed above.
            urls={v: photo_url(ctx.settings, p["id"], v) for v in ("display", "thumb")} if p["status"] == "ready" else {},
        )
        for p in rows
    ]


async def export_data(ctx: AppContext, actor: Actor) -> MyDataOut:
    """Everything held about the caller, whatever their role."""
    user = await User.objects().get(User.id == actor.id)
    assert user is not None  # user rows are never deleted, only anonymised
    reported = await Case.objects().output(load_json=True).where(Case.reporter == actor.id).order_by(Case.id)
    entries = await TimelineEntry.select(
        TimelineEntry.case, TimelineEntry.case.tracking_no.as_alias("tracking_no"),
        TimelineEntry.case.reporter.as_alias("reporter"), TimelineEntry.at, TimelineEntry.action, TimelineEntry.note,
        TimelineEntry.data,
    ).output(load_json=True).where(TimelineEntry.actor == actor.id).order_by(TimelineEntry.id)
    return MyDataOut(
        exported_at=now(),
        profile=await _profile(user),
        sessions=await _sessions(actor),
        reports=[await render_case(ctx.settings, actor, case) for case in reported],
        photos=await _photos(ctx, actor.id),
        ratings=[
            RatingOut(case_id=e["case"], tracking_no=e["tracking_no"], at=e["at"],
                      satisfied=(e["data"] or {}).get("satisfied"), comment=e["note"])
            for e in entries if e["action"] == "rate"
        ],
        activity=[
            ActivityOut(case_id=e["case"], tracking_no=e["tracking_no"], at=e["at"], action=e["action"],
                        note=e["note"])
            for e in entries if e["reporter"] != actor.id
        ],
    )


# ---------------------------------------------------------------- deleting an account


async def _confirmed(actor: Actor, password: str | None, confirm: bool) -> User:
    """A password account confirms with its password, a device credential (no password) with ``confirm``. Staff
    accounts are deactivated by an administrator instead: their actions must stay attributable."""
    if actor.role is not Role.CITIZEN:
        raise Forbidden("工作人员账号不能自行注销，请联系系统管理员停用", "Staff accounts cannot delete themselves: "
                        "ask an administrator to deactivate yours", code="account.staff_cannot_delete")
    user = await User.objects().get(User.id == actor.id)
    assert user is not None  # user rows are never deleted, only anonymised
    if user.password_hash:
        if not password or not await verify_password(user.password_hash, password):
            raise Forbidden("密码不正确，账号未注销", "Wrong password: the account was not deleted",
                            code="account.wrong_password")
    elif not confirm:
        raise InvalidInput("请确认注销账号", "Confirm that you want to delete the account",
                           code="account.confirm_required")
    return user


async def delete_account(ctx: AppContext, actor: Actor, password: str | None, confirm: bool, ip: str = "",
                         agent: str = "") -> int:
    """Anonymise the caller's account and end every session, audited in the same transaction (a refusal on its own);
    returns how many unattached photos were removed."""
    try:
        user = await _confirmed(actor, password, confirm)
    except AppError as exc:
        await audit.record("user.deleted", actor_id=actor.id, actor_name=actor.username, outcome="denied", ip=ip,
                           user_agent=agent, target=f"user:{actor.id}", details={"reason": exc.code})
        raise
    async with write_transaction(ctx.engine):
        loose = await Photo.select(Photo.id, Photo.original_key, Photo.display_key, Photo.thumb_key).where(
            (Photo.uploader == user.id) & Photo.case.is_null())
        if loose:
            await Photo.delete().where(Photo.id.is_in([p["id"] for p in loose]))
        # Photos on cases stay (they are the evidence), without where, when and with what phone they were taken.
        await Photo.update({Photo.exif_lat: None, Photo.exif_lng: None, Photo.exif_alt: None, Photo.exif_time: None,
                            Photo.exif: {}, Photo.filename: ""}).where(Photo.uploader == user.id)
        await IdempotencyRecord.delete().where(IdempotencyRecord.user == user.id)
        await CaseFollow.delete().where(CaseFollow.user == user.id)  # which reports they followed is theirs too
        await User.update({
            User.username: "deleted-" + secrets.token_hex(8), User.display_name: DELETED_NAME, User.phone: "",
            User.password_hash: "", User.active: False,
        }).where(User.id == user.id)
        await end_sessions(user.id)
        await audit.record("user.deleted", actor_id=actor.id, actor_name=actor.username, ip=ip, user_agent=agent,
                           target=f"user:{actor.id}",
                           details={"anonymous": actor.anonymous, "photos_removed": len(loose)})
    # The objects go after the commit, so a rollback never leaves rows pointing at deleted files.
    for photo in loose:
        for key in (photo["original_key"], photo["display_key"], photo["thumb_key"]):
            if key:
                try:
                    await ctx.store.delete(key)
                except Exception:  # the row is gone: an orphan object is logged for cleanup, not worth failing for
                    log.exception("privacy: could not delete object %s of a deleted account's photo", key)
    await ctx.bus.end_sessions(user.id)
    return len(loose)
