"""Citizen words: every lifecycle state has a citizen status, and what a reporter reads holds no internals."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from backend.cases.lifecycle import STATE_NAMES, State
from backend.notify import words
from tests.cases.flows import Flow

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_state_has_one_of_five_citizen_statuses() -> None:
    assert set(words.BY_STATE) == set(State)
    assert {words.status_name(s) for s in words.BY_STATE.values()} == {"已提交", "已受理", "处理中", "已办结", "未受理"}


def test_messages_in_both_languages_without_internal_words() -> None:
    due = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # 18:00 in Beijing
    internal = {zh for zh, _ in STATE_NAMES.values()} - {"已结案"}
    for state in State:
        for lang in ("zh", "en"):
            title, body = words.status_message("SSP20261204000001", state.value, due, lang=lang)
            text = title + body
            assert not any(word in text for word in internal), (state, text)
            assert not re.search(r"[CE]\d{4}|灯|light|green|yellow|red", text), (state, text)
            if lang == "en":
                assert not CJK.search(text), (state, text)
    assert words.status_message("X", "handling", due)[1] == "预计 12月5日 18:00 前办结"
    assert words.status_message("X", "handling", due, lang="en")[1] == "Expected by 5 Dec 18:00"
    assert words.expected_by("pending_filing", due) == ""  # the intake deadline is no promise about the problem
    assert words.status_message("X", "voided", None, "不属于城管职责")[1] == "不属于城管职责"
    assert words.status_message("X", "duplicate", None, lang="en")[1].startswith("Someone already reported")


def test_the_reporter_reads_their_report_in_citizen_words(client: Any) -> None:
    f = Flow(client)
    cid = f.report()["id"]
    mine = client.get(f"/api/v1/citizen/cases/{cid}/status", headers=f.h("citizen01"))
    assert mine.status_code == 200 and mine.json()["name_zh"] == "已提交" and mine.json()["expected_zh"] == ""
    other = client.get(f"/api/v1/citizen/cases/{cid}/status", headers=f.h("citizen02"))
    assert other.status_code == 404  # someone else's report: as if it did not exist
    for user, action, fields in (("operator01", "accept_report", {}), ("shiftlead01", "file", {}),
                                 ("dispatcher01", "dispatch", {"unit": "water"})):
        f.act(user, cid, action, **fields)
    body = client.get(f"/api/v1/citizen/cases/{cid}/status", headers=f.h("citizen01")).json()
    assert (body["status"], body["name_zh"], body["name_en"]) == ("in_progress", "处理中", "In progress")
    assert body["expected_zh"].startswith("预计 ") and body["expected_en"].startswith("Expected by ")
    voided = f.report()["id"]
    f.act("operator01", voided, "void", reason="该处为私人庭院，不属于城管职责")
    body = client.get(f"/api/v1/citizen/cases/{voided}/status", headers=f.h("citizen01")).json()
    assert (body["name_zh"], body["reason_zh"]) == ("未受理", "该处为私人庭院，不属于城管职责")
