"""Likely duplicates: same 小类 within 50 m and 24 h, or a near-identical photo; never across different 小类."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.accounts.tables import User
from backend.cases.tables import Case
from backend.photos.tables import Photo
from backend.photos.pipeline import hamming
from tests.helpers import login, point_in
from tests.triage.triage_helpers import entries, run, submit


def _photo(client: Any, username: str, phash: str, sha: str = "") -> int:
    async def insert() -> int:
        user = await User.select(User.id).where(User.username == username).first()
        rows = await Photo.insert(Photo(kind="report", uploader=user["id"], status="ready", original_key=f"x/{phash}",
                                        phash=phash, sha256=sha, created_at=datetime.now(UTC))).returning(Photo.id)
        return int(rows[0]["id"])

    return run(client, insert)


def test_same_category_within_50_m_is_a_candidate(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR04")
    first = submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    near = submit(client, sup, lng + 0.0002, lat, category_code="C0305", description="垃圾箱破损")  # about 20 m east
    assert near["likely_duplicate_of"] == first["id"] and "likely_duplicate" in near["flags"]
    data = entries(near, "triage")[0]["data"]["duplicate"]
    assert data["reason"] == "distance" and 15 < data["distance_m"] < 25
    assert first["likely_duplicate_of"] is None


def test_other_category_or_far_away_is_not(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR05")
    submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    other = submit(client, sup, lng + 0.0001, lat, category_code="C0137", description="路灯不亮")
    far = submit(client, sup, lng + 0.0008, lat, category_code="C0305", description="垃圾箱破损")  # about 80 m
    assert other["likely_duplicate_of"] is None and "likely_duplicate" not in other["flags"]
    assert far["likely_duplicate_of"] is None


def test_older_than_the_window_is_not(client):
    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR06")
    first = submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    run(client, Case.update({Case.created_at: datetime.now(UTC) - timedelta(hours=25)}).where(
        Case.id == first["id"]).run)
    again = submit(client, sup, lng, lat, category_code="C0305", description="垃圾箱破损")
    assert again["likely_duplicate_of"] is None


def test_a_near_identical_photo_is_a_candidate_only_for_the_same_category(client):
    sup = login(client, "supervisor01")
    base = "f0e1d2c3b4a59687"
    close, differs = "f0e1d2c3b4a59680", "0f1e2d3c4b5a6978"
    assert hamming(base, close) <= 8 < hamming(base, differs)
    a = point_in("ZR08")
    first = submit(client, sup, *a, category_code="C0101", description="井盖缺失", photo_ids=[_photo(client, "supervisor01", base)])
    b = point_in("ZR12")  # far away: only the photo can match
    same = submit(client, sup, *b, category_code="C0101", description="井盖缺失",
                  photo_ids=[_photo(client, "supervisor01", close)])
    assert same["likely_duplicate_of"] == first["id"]
    data = entries(same, "triage")[0]["data"]["duplicate"]
    assert data["reason"] == "photo" and data["hamming"] == hamming(base, close)
    other = submit(client, sup, *point_in("ZR13"), category_code="C0137", description="路灯不亮",
                   photo_ids=[_photo(client, "supervisor01", close)])
    assert other["likely_duplicate_of"] is None
    unlike = submit(client, sup, *point_in("ZR14"), category_code="C0101", description="井盖缺失",
                    photo_ids=[_photo(client, "supervisor01", differs)])
    assert unlike["likely_duplicate_of"] is None


def test_identical_photo_bytes_match_at_any_age(client):
    sup = login(client, "supervisor01")
    sha = "ab" * 32
    first = submit(client, sup, *point_in("ZR15"), category_code="C0101", description="井盖缺失",
                   photo_ids=[_photo(client, "supervisor01", "1111111111111111", sha)])
    run(client, Case.update({Case.created_at: datetime.now(UTC) - timedelta(days=30)}).where(
        Case.id == first["id"]).run)
    again = submit(client, sup, *point_in("ZR16"), category_code="C0101", description="井盖缺失",
                   photo_ids=[_photo(client, "supervisor01", "eeeeeeeeeeeeeeee", sha)])
    assert again["likely_duplicate_of"] == first["id"]
