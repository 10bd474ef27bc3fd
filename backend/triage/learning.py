"""The learning loop: operators' corrections become training data, and a retrained candidate replaces the current
model only if it beats it on a held-out set.

Corrections are the ``ClassificationLabel`` rows an operator's reclassification writes (the text and the code chosen;
the latest choice per case wins). One in five, picked by a hash of the text (stable across runs), is held out with
the corpus's test split; the rest are trained on with the corpus's train split. The candidate is promoted when its
top-1 accuracy on the held-out set is higher, or equal with a lower log loss. The promoted model is written to
``classifier_model_path`` (default: ``<data_dir>/textmodel.npz``), which ``model_path`` prefers over the packaged one.

Run by the ``retrain`` job (queued every ``retrain_interval_hours``, 0 = off), or by hand: ``suishoupai classify --promote``.
Training needs the training extra (scikit-learn); without it the schedule stays off and the job says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from backend.cases.tables import ClassificationLabel
from backend.jobs.queue import enqueue
from backend.jobs.tables import Job
from backend.loops import Loop
from backend.settings import Settings
from backend.triage.classifier import Classifier
from backend.triage.taxonomy import Taxonomy, load_taxonomy
from backend.triage.textmodel import CORPUS_DIR, PACKAGED_MODEL, Example, Model, load_corpus, softmax

log = logging.getLogger("suishoupai.triage.learning")
JOB_KIND = "retrain"
HOLD_OUT_EVERY = 5


@dataclass(frozen=True)
class Score:
    n: int
    top1: float
    log_loss: float

    def beats(self, other: Score) -> bool:
        return (self.top1, -self.log_loss) > (other.top1, -other.log_loss)


@dataclass(frozen=True)
class Outcome:
    promoted: bool
    current_version: str
    candidate_version: str
    current: Score
    candidate: Score
    corrections: int
    path: Path

    def text(self) -> str:
        verdict = "promoted" if self.promoted else "kept the current model"
        return (f"{verdict}: candidate {self.candidate_version} top-1 {self.candidate.top1:.1%} (log loss "
                f"{self.candidate.log_loss:.3f}) vs current {self.current_version} {self.current.top1:.1%} "
                f"({self.current.log_loss:.3f}) on {self.current.n} held-out reports; {self.corrections} corrections; "
                f"{self.path}")


def can_train() -> bool:
    return importlib.util.find_spec("sklearn") is not None


def model_path(settings: Settings) -> Path:
    """The model triage loads: the configured or promoted one when it exists, else the packaged one."""
    target = promotion_path(settings)
    return target if target.exists() else PACKAGED_MODEL


def promotion_path(settings: Settings) -> Path:
    return Path(settings.classifier_model_path) if settings.classifier_model_path else settings.data_dir / "textmodel.npz"


def is_held_out(text: str) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % HOLD_OUT_EVERY == 0


async def corrections() -> list[Example]:
    """Operators' choices, the latest per case (a label without a case stands alone), oldest first."""
    rows = await ClassificationLabel.select(ClassificationLabel.id, ClassificationLabel.case, ClassificationLabel.text,
                                            ClassificationLabel.code).order_by(ClassificationLabel.id)
    latest: dict[Any, tuple[str, str]] = {}
    for row in rows:
        text = str(row["text"] or "").strip()
        if text:
            latest[row["case"] if row["case"] is not None else f"label-{row['id']}"] = (text, str(row["code"]))
    return list(latest.values())


def score(model: Model, examples: Sequence[Example]) -> Score:
    """Top-1 accuracy and log loss; a code the model does not know counts as wrong (the same set for every model)."""
    if not examples:
        return Score(0, 0.0, math.inf)
    index = {code: i for i, code in enumerate(model.classes)}
    right, loss = 0, 0.0
    for text, code in examples:
        probs = softmax(model.logits(text))
        known = code in index
        right += known and int(np.argmax(probs)) == index[code]
        loss -= math.log(max(float(probs[index[code]]) if known else 0.0, 1e-12))
    return Score(len(examples), right / len(examples), loss / len(examples))


def retrain_and_promote(labels: Iterable[Example], *, current: Path, target: Path, taxonomy: Taxonomy | None = None,
                        corpus_dir: Path = CORPUS_DIR, **options: Any) -> Outcome:
    """Build a candidate from the corpus's train split and the training share of ``labels``; save it to ``target``
    only if it beats the model at ``current`` on the corpus's test split plus the held-out share of ``labels``.
    ``options`` go to ``training.train`` (tests train without the synthetic examples)."""
    from backend.triage.training import corpus_examples, train  # scikit-learn: the training extra

    taxonomy = taxonomy or load_taxonomy()
    labels = [(t, c) for t, c in labels if taxonomy.has(c)]
    held = [(str(r["text"]), str(r["code"])) for r in load_corpus(corpus_dir, "test")]
    held += [e for e in labels if is_held_out(e[0])]
    learn = [e for e in labels if not is_held_out(e[0])]
    corpus, urgent = corpus_examples(corpus_dir)
    candidate = train(corpus + learn, taxonomy, urgent=urgent, corrections=len(learn), **options)
    assert isinstance(candidate, Model)
    existing = Model.load(current)
    before, after = score(existing, held), score(candidate, held)
    promoted = after.beats(before)
    if promoted:
        target.parent.mkdir(parents=True, exist_ok=True)
        candidate.save(target)
    outcome = Outcome(promoted, existing.version, candidate.version, before, after, len(labels), target)
    log.info("retrain: %s", outcome.text())
    return outcome


async def retrain_job(ctx: Any, payload: dict[str, Any]) -> None:
    """The ``retrain`` job: read the corrections, train beside the event loop, swap this process's classifier (other
    processes load the promoted model when they next start)."""
    if not can_train():
        log.warning("retrain: scikit-learn (the training extra) is not installed; nothing done")
        return
    settings: Settings = ctx.settings
    labels = await corrections()
    outcome = await asyncio.to_thread(retrain_and_promote, labels, current=model_path(settings),
                                      target=promotion_path(settings),
                                      taxonomy=load_taxonomy(settings.taxonomy_path or None))
    triage = getattr(ctx, "triage", None)
    if outcome.promoted and triage is not None and triage.classifier is not None:
        # a new classifier, not a new model in the old one: its class index is built from the model's classes
        triage.classifier = Classifier(triage.taxonomy, Model.load(outcome.path), triage.classifier.weights)


def schedule(settings: Settings) -> Loop | None:
    """Keeps one ``retrain`` job queued ``retrain_interval_hours`` ahead (several processes run this loop; the first
    to look queues it, the others see it waiting). None when off (the default, 0) or without scikit-learn."""
    if settings.retrain_interval_hours <= 0 or not can_train():
        return None
    interval = timedelta(hours=settings.retrain_interval_hours)

    async def round_() -> bool:
        waiting = await Job.exists().where((Job.kind == JOB_KIND) & Job.status.is_in(["pending", "running"]))
        if not waiting:
            await enqueue(JOB_KIND, {}, delay=interval)
        return False

    return Loop("retrain-schedule", round_, min(interval.total_seconds(), 3600.0))
