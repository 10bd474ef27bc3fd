"""The learning loop: corrections from the database, a candidate promoted only when it beats the current model,
reproducible training, the retrain schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.cases.tables import ClassificationLabel
from backend.jobs.tables import Job
from backend.settings import Settings
from backend.triage.learning import (
    JOB_KIND,
    corrections,
    is_held_out,
    model_path,
    promotion_path,
    retrain_and_promote,
    schedule,
)
from backend.triage.textmodel import PACKAGED_MODEL, Model
from backend.triage.training import train

ROWS = [("井盖没了", "C0123"), ("井盖丢了好危险", "C0123"), ("井盖被偷了", "C0123"), ("井盖不见了", "C0123"),
        ("垃圾成堆没人收", "E0110"), ("一堆垃圾好臭", "E0110"), ("路边全是垃圾", "E0110"), ("垃圾没人清", "E0110"),
        ("路灯不亮", "C0137"), ("路灯黑了", "C0137"), ("路灯坏了", "C0137"), ("路灯一闪一闪", "C0137")]
TEST = [("井盖没有了", "C0123"), ("好多垃圾", "E0110"), ("路灯不亮了", "C0137")]


def _corpus(tmp_path: Path) -> Path:
    directory = tmp_path / "corpus"
    directory.mkdir()
    lines = [{"text": t, "code": c, "urgent": c == "C0123", "split": "train"} for t, c in ROWS]
    lines += [{"text": t, "code": c, "urgent": c == "C0123", "split": "test"} for t, c in TEST]
    (directory / "reports.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), "utf-8")
    return directory


def test_the_same_data_gives_a_byte_identical_model(tmp_path: Path) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    train(ROWS, synthetic=False).save(first)  # type: ignore[union-attr]
    train(ROWS, synthetic=False).save(second)  # type: ignore[union-attr]
    assert first.read_bytes() == second.read_bytes()
    assert train(ROWS + [("马葫芦盖子飞了", "C0123")], synthetic=False).version != Model.load(first).version


def test_a_candidate_replaces_a_worse_model_and_not_an_equal_one(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    worse = tmp_path / "worse.npz"
    train([(t, "C0137" if c == "E0110" else c) for t, c in ROWS], synthetic=False).save(worse)  # type: ignore[union-attr]
    target = tmp_path / "promoted.npz"
    outcome = retrain_and_promote([("垃圾堆成山", "E0110")], current=worse, target=target, corpus_dir=corpus,
                                  synthetic=False)
    assert outcome.promoted and target.exists() and outcome.candidate.top1 > outcome.current.top1
    assert Model.load(target).version == outcome.candidate_version and "promoted" in outcome.text()
    again = retrain_and_promote([("垃圾堆成山", "E0110")], current=target, target=tmp_path / "again.npz",
                                corpus_dir=corpus, synthetic=False)
    assert not again.promoted and not (tmp_path / "again.npz").exists() and "kept" in again.text()


def test_held_out_corrections_are_a_stable_fifth() -> None:
    texts = [f"第{i}号井盖没了" for i in range(500)]
    held = [t for t in texts if is_held_out(t)]
    assert 60 <= len(held) <= 140 and held == [t for t in texts if is_held_out(t)]


def test_the_promoted_model_is_the_one_triage_loads(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert model_path(settings) == PACKAGED_MODEL and promotion_path(settings) == tmp_path / "textmodel.npz"
    train(ROWS, synthetic=False).save(promotion_path(settings))  # type: ignore[union-attr]
    assert model_path(settings) == tmp_path / "textmodel.npz"


def test_operator_choices_become_training_data_latest_per_case(client: Any) -> None:
    async def work() -> list[tuple[str, str]]:
        now = datetime.now(UTC)
        await ClassificationLabel.insert(
            ClassificationLabel(text="马葫芦盖子飞了", code="C0123", created_at=now),
            ClassificationLabel(text="   ", code="E0110", created_at=now),  # nothing to learn from
        )
        return await corrections()

    assert client.blocking_portal.call(work) == [("马葫芦盖子飞了", "C0123")]


def test_the_schedule_keeps_one_retrain_job_waiting(client: Any, settings: Settings) -> None:
    assert schedule(settings) is None  # off by default
    loop = schedule(settings.with_(retrain_interval_hours=24))
    assert loop is not None

    async def rounds() -> list[dict[str, Any]]:
        await loop.body()
        await loop.body()
        return await Job.select(Job.kind, Job.status, Job.run_after).where(Job.kind == JOB_KIND)

    jobs = client.blocking_portal.call(rounds)
    assert len(jobs) == 1 and jobs[0]["status"] == "pending"
    assert (jobs[0]["run_after"] - datetime.now(UTC)).total_seconds() > 23 * 3600


def test_the_retrain_job_swaps_this_processes_classifier(tmp_path: Path, monkeypatch: Any) -> None:
    import asyncio
    from types import SimpleNamespace

    from backend.triage import learning
    from backend.triage.classifier import Classifier
    from backend.triage.taxonomy import load_taxonomy

    corpus = _corpus(tmp_path)
    settings = Settings(data_dir=tmp_path)
    worse = tmp_path / "worse.npz"
    train([(t, "C0137" if c == "E0110" else c) for t, c in ROWS], synthetic=False).save(worse)  # type: ignore[union-attr]
    old = Classifier(load_taxonomy(), Model.load(worse))
    ctx = SimpleNamespace(settings=settings, triage=SimpleNamespace(taxonomy=load_taxonomy(), classifier=old))

    async def no_corrections() -> list[tuple[str, str]]:
        return []

    def promote(labels: Any, **kwargs: Any) -> Any:
        return retrain_and_promote(labels, **{**kwargs, "current": worse}, corpus_dir=corpus, synthetic=False)

    monkeypatch.setattr(learning, "corrections", no_corrections)
    monkeypatch.setattr(learning, "retrain_and_promote", promote)
    asyncio.run(learning.retrain_job(ctx, {}))
    assert ctx.triage.classifier is not old
    assert ctx.triage.classifier.model.version == Model.load(promotion_path(settings)).version
    assert "E0110" in ctx.triage.classifier.model.classes
