"""``suishoupai classify``: text and JSON output, bad codes, and --retrain with operators' corrections."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from backend.triage import classify_cli
from backend.triage.classifier import ClassifyResult
from backend.triage.classify_cli import format_suggestions, run


def _run(argv: list[str], **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out=out, err=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_prints_suggestions_with_confidence_urgency_time_limit_and_reasons() -> None:
    code, out, _ = _run(["井盖没了，晚上很危险"])
    assert code == 0
    overall, first = out.splitlines()[:2]
    assert overall == "整体判断：紧急"
    assert first.startswith("1. C") and "井盖" in first and "置信度" in first and "紧急" in first
    assert "处置时限 2紧急工作时" in out and "理由：" in out and "模型版本 lin-" in out


def test_english_output() -> None:
    code, out, _ = _run(["manhole cover missing", "--lang", "en"])
    assert code == 0 and "confidence" in out and "URGENT" in out and "2 emergency hours" in out


def test_json_output() -> None:
    code, out, _ = _run(["路灯不亮", "--json", "--near", "C0137"])
    data = json.loads(out)
    top = data["suggestions"][0]
    assert code == 0 and top["code"] == "C0137" and top["time_limit"]["clock"] == "working_days"
    assert {r["kind"] for r in top["reasons"]} >= {"component"} and data["model_version"]


def test_unknown_supervisor_code_exits_with_a_message() -> None:
    code, out, err = _run(["井盖没了", "--code", "Z9999"])
    assert code == 2 and out == "" and err.startswith("taxonomy.unknown_code")


def test_retrain_feeds_operator_corrections(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def fake_retrain(extra: list[tuple[str, str]], **kwargs: object) -> str:
        seen.update(extra=extra, **kwargs)
        return "lr-test"

    monkeypatch.setattr(classify_cli, "retrain", fake_retrain)
    target = tmp_path / "m.npz"
    code, out, _ = _run(["--retrain", "--model", str(target)], corrections=lambda: [("马葫芦盖子飞了", "C0102")])
    assert code == 0 and "lr-test" in out and "1 corrections" in out
    assert seen["extra"] == [("马葫芦盖子飞了", "C0102")] and seen["out"] == str(target)


def test_format_an_empty_result() -> None:
    assert "无建议" in format_suggestions(ClassifyResult([], "v1"), "zh")
    assert "no suggestion" in format_suggestions(ClassifyResult([], "v1", notes=["text.empty"]), "en")
