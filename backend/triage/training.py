"""Train the triage text model with scikit-learn and export it to the runtime ``.npz`` (read without scikit-learn).

The pipeline: the features of ``textmodel.featurize`` (jieba words, character n-grams, English words, the words read
from pinyin and typos) → ``DictVectorizer`` → ``LinearSVC``, calibrated by temperature scaling fitted on the
out-of-fold decision values of the real reports (one linear model and one temperature: what the runtime format holds).
A binary logistic regression over the same features is the urgency model.

Out-of-fold predictions for the real (not synthetic) reports give the reliability table, the expected calibration
error and the auto-accept threshold for a stated precision, stored with the model. Everything is seeded and the
export has fixed zip timestamps: the same data gives a byte-identical file. scikit-learn is a training extra
(``pip install -e .[train]``), never imported at run time.

    suishoupai classify --retrain          # rebuilds backend/triage/data/textmodel.npz and prints the report
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction import DictVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from backend.triage.taxonomy import Taxonomy, load_taxonomy
from backend.triage.textmodel import (
    CORPUS_DIR,
    FEATURE_WEIGHTS,
    PACKAGED_MODEL,
    Example,
    Model,
    category_urgency,
    dictionary_words,
    featurize,
    labelled_synthetic,
    load_corpus,
    reader_for,
    segmenter_for,
    softmax,
)

SEED = 20261204
FOLDS = 5
# LinearSVC regularisation and class weights (balanced: thin 小类 count as much as common ones), chosen by 4-fold
# cross-validation inside the train split (scripts/tune_classifier.py; C 1–2 within 0.2 point, 0.5 one point lower)
C = 1.0
CLASS_WEIGHT = "balanced"
TARGET_PRECISION = 0.95  # the auto-accept threshold: the lowest confidence above which 95% of out-of-fold answers are right
BINS = 10
# A few thousand labelled reports cannot show that an answer is right 99 times in 100 (one wrong answer more in the
# top block moves it by a point), so no confidence goes above this.
MAX_CONFIDENCE = 0.98
FORMAT_VERSION = "lin-2"  # lin-2: L2-normalised features, weights per kind stored in the model


@dataclass
class Reliability:
    """One confidence bin: ``count`` answers with mean confidence ``confidence``, ``accuracy`` of them right."""

    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


@dataclass
class Report:
    version: str
    real: int
    synthetic: int
    corrections: int
    classes: int
    features: int
    temperature: float
    oof_top1: float
    ece: float
    reliability: list[Reliability]
    auto_threshold: float
    auto_precision: float
    auto_coverage: float
    wrong_at_99: int
    seconds: float

    def text(self) -> str:
        lines = [
            (f"model {self.version}: {self.real} reports + {self.corrections} corrections + {self.synthetic} synthetic, "
            f"{self.classes} 小类, {self.features} features, temperature {self.temperature:.3f}, {self.seconds:.1f} s"),
            (f"out-of-fold ({FOLDS} folds, real reports): top-1 {self.oof_top1:.1%}, expected calibration error "
            f"{self.ece:.3f}, wrong answers at >= 0.99: {self.wrong_at_99}"),
            (f"auto-accept threshold {self.auto_threshold:.2f} for precision >= {TARGET_PRECISION:.0%}: "
            f"precision {self.auto_precision:.1%}, {self.auto_coverage:.1%} of reports accepted"),
            "reliability (confidence bin: answers, mean confidence, accuracy):",
        ]
        lines += [f"  {b.low:.1f}-{b.high:.1f}: {b.count:5d}  {b.confidence:.3f}  {b.accuracy:.3f}"
                  for b in self.reliability if b.count]
        return "\n".join(lines)


def reliability(confidences: Sequence[float], correct: Sequence[bool], bins: int = BINS) -> tuple[float, list[Reliability]]:
    """Expected calibration error (bin-weighted |accuracy − confidence|) and the per-bin table."""
    conf, right = np.asarray(confidences, dtype=float), np.asarray(correct, dtype=float)
    table, ece = [], 0.0
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        mask = (conf > low) & (conf <= high) if i else (conf >= low) & (conf <= high)
        count = int(mask.sum())
        mean_conf = float(conf[mask].mean()) if count else 0.0
        accuracy = float(right[mask].mean()) if count else 0.0
        ece += count / max(1, len(conf)) * abs(accuracy - mean_conf)
        table.append(Reliability(low, high, count, mean_conf, accuracy))
    return ece, table


def threshold_for(confidences: Sequence[float], correct: Sequence[bool],
                  precision: float = TARGET_PRECISION) -> tuple[float, float, float]:
    """The lowest threshold (steps of 0.01) at which the answers at or above it are right ``precision`` of the time,
    with the precision and coverage it gives; 1.0 (never auto-accept) when no threshold reaches it."""
    conf, right = np.asarray(confidences, dtype=float), np.asarray(correct, dtype=bool)
    for t in np.round(np.arange(0.30, 1.0, 0.01), 2):
        chosen = conf >= t
        if chosen.sum() >= 10 and right[chosen].mean() >= precision:
            return float(t), float(right[chosen].mean()), float(chosen.mean())
    return 1.0, 1.0, 0.0


def fit_temperature(decision: np.ndarray, truth: Sequence[int]) -> float:
    """The inverse temperature β minimising the negative log-likelihood of softmax(β · decision) on held-out rows."""
    rows = np.arange(len(truth))

    def nll(log_beta: float) -> float:
        z = decision * np.exp(log_beta)
        top = z.max(axis=1)
        return float((np.log(np.exp(z - top[:, None]).sum(axis=1)) + top - z[rows, truth]).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-6}).x))


def confidence_knots(raw: np.ndarray, correct: Sequence[bool]) -> np.ndarray:
    """Isotonic regression of being right on the top probability, as (x, y) knots for ``np.interp``; each block's
    accuracy is shrunk towards 1/2 by one pseudo-answer, so that a block with no wrong answer does not say 100%, and
    capped at ``MAX_CONFIDENCE``."""
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, np.asarray(correct, dtype=float))
    fitted = iso.predict(raw)
    x, y = [], []
    for value in np.unique(fitted):
        members = raw[fitted == value]
        shrunk = min((value * len(members) + 0.5) / (len(members) + 1), MAX_CONFIDENCE)
        x += [float(members.min()), float(members.max())]
        y += [shrunk, shrunk]
    return np.array([x, y], dtype=np.float64)


def _per_class(decision: np.ndarray) -> np.ndarray:
    """Two classes give one decision value d; as two logits (−d/2, d/2) their softmax is the same sigmoid."""
    return decision if decision.ndim == 2 else np.column_stack([-decision / 2, decision / 2])


def _int32(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """liblinear takes 32-bit sparse indices; DictVectorizer gives 64-bit ones."""
    matrix = sparse.csr_matrix(matrix)
    matrix.indices = matrix.indices.astype(np.int32)
    matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix


def pipeline(c: float = C) -> Pipeline:
    return Pipeline([
        ("features", DictVectorizer(sort=True)),
        ("int32", FunctionTransformer(_int32, accept_sparse=True)),
        ("linear", LinearSVC(C=c, class_weight=CLASS_WEIGHT, random_state=SEED)),
    ])


@overload
def train(examples: Iterable[Example], taxonomy: Taxonomy | None = None, *, urgent: Mapping[str, bool] | None = None,
          synthetic: bool = True, folds: int = FOLDS, corrections: int = 0, c: float = C,
          with_report: Literal[False] = False) -> Model: ...


@overload
def train(examples: Iterable[Example], taxonomy: Taxonomy | None = None, *, urgent: Mapping[str, bool] | None = None,
          synthetic: bool = True, folds: int = FOLDS, corrections: int = 0, c: float = C,
          with_report: Literal[True]) -> tuple[Model, Report]: ...


def train(examples: Iterable[Example], taxonomy: Taxonomy | None = None, *, urgent: Mapping[str, bool] | None = None,
          synthetic: bool = True, folds: int = FOLDS, corrections: int = 0, c: float = C,
          with_report: bool = False) -> Model | tuple[Model, Report]:
    """Fit the model on ``examples`` (real reports and corrections) plus, by default, the taxonomy's synthetic ones.

    ``urgent`` labels real texts 紧急 or not for the urgency model; a text without a label counts as its category's
    urgency when all of the category's standards agree, and is left out of the urgency model otherwise.
    """
    started = time.perf_counter()
    taxonomy = taxonomy or load_taxonomy()
    words = dictionary_words(taxonomy)
    initials = [m.name for m in taxonomy.menu if not m.catch_all]
    segmenter, reader = segmenter_for(tuple(words)), reader_for(tuple(words), tuple(initials))
    real = sorted(dict.fromkeys((str(t), taxonomy.get(c).code) for t, c in examples if taxonomy.has(c)))
    labelled = labelled_synthetic(taxonomy) if synthetic else []
    seen = set(real)
    extra = [row for row in dict.fromkeys((t, c) for t, c, _ in labelled) if row not in seen]
    rows = real + extra
    texts, labels = [t for t, _ in rows], [c for _, c in rows]
    features = [featurize(t, segmenter, reader) for t in texts]
    counts = np.unique(labels, return_counts=True)[1]
    folds = max(2, min(folds, int(counts.min()))) if len(counts) > 1 else 2
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    fitted = pipeline(c).fit(features, labels)
    classes = [str(k) for k in fitted.classes_]
    vectorizer: DictVectorizer = fitted.named_steps["features"]
    linear: LinearSVC = fitted.named_steps["linear"]
    vocabulary = {str(f): i for i, f in enumerate(vectorizer.feature_names_)}
    # Calibration on held-out folds: one temperature fitted on the out-of-fold decision values of the real reports.
    # Not CalibratedClassifierCV: it fits on every fold's rows, synthetic ones included (names and condition phrases,
    # far easier than what people write), which left the top bin at 0.99 confidence for 0.88 accuracy (ECE 0.13).
    beta, confidences, correct, knots = 1.0, [], [], None
    if real:
        decision = _per_class(cross_val_predict(pipeline(c), features, labels, cv=splitter, method="decision_function"))
        held, truth = decision[: len(real)], labels[: len(real)]
        index = {k: i for i, k in enumerate(classes)}
        beta = fit_temperature(held, [index[label] for label in truth])
        probs = softmax(held * beta)
        best = probs.argmax(axis=1)
        raw = probs[np.arange(len(real)), best]
        correct = [classes[b] == label for b, label in zip(best, truth)]
        # A temperature is one number: it left the margins of a linear SVM underconfident below 0.5 and overconfident
        # above 0.9. A monotone map of the top probability onto the out-of-fold accuracy fixes both ends.
        knots = confidence_knots(raw, correct)
        confidences = [float(p) for p in np.interp(raw, knots[0], knots[1])]
    coef, intercept = (linear.coef_, linear.intercept_) if len(classes) > 2 else (
        np.vstack([-linear.coef_[0], linear.coef_[0]]) / 2, np.array([-linear.intercept_[0], linear.intercept_[0]]) / 2)
    model = Model(classes, vocabulary, coef.T.astype(np.float32), intercept.astype(np.float32),
                  1.0 / beta, words, "", initials=initials, confidence_knots=knots,
                  feature_weights=dict(FEATURE_WEIGHTS), l2=True)

    urgent = urgent or {}
    synthetic_urgency = {(t, c): u for t, c, u in labelled}
    urgency_rows = [(i, urgent[t] if t in urgent else category_urgency(taxonomy, c)) for i, (t, c) in enumerate(real)]
    urgency_rows += [(len(real) + i, synthetic_urgency.get(row)) for i, row in enumerate(extra)]
    known = [(i, u) for i, u in urgency_rows if u is not None]
    if len({u for _, u in known}) == 2:
        matrix = vectorizer.transform([features[i] for i, _ in known])
        urgency = LogisticRegression(C=1.0, solver="liblinear", random_state=SEED)
        urgency.fit(_int32(matrix), [int(u) for _, u in known])
        model.urgency_weights = urgency.coef_[0].astype(np.float32)
        model.urgency_intercept = float(urgency.intercept_[0])

    ece, table = reliability(confidences, correct) if confidences else (0.0, [])
    threshold, precision, coverage = threshold_for(confidences, correct) if confidences else (1.0, 1.0, 0.0)
    model.auto_threshold, model.auto_precision = threshold, TARGET_PRECISION

    digest_data: list[object] = [FORMAT_VERSION, c, CLASS_WEIGHT, folds, SEED, MAX_CONFIDENCE, sorted(FEATURE_WEIGHTS.items()), words, initials, rows,
                                 sorted((t, u) for t, u in urgent.items())]
    model.version = "lin-" + hashlib.sha256(json.dumps(digest_data, ensure_ascii=False).encode()).hexdigest()[:12]
    if not with_report:
        return model
    return model, Report(
        version=model.version, real=len(real) - corrections, synthetic=len(extra), corrections=corrections,
        classes=len(classes), features=len(vocabulary), temperature=model.temperature,
        oof_top1=float(np.mean(correct)) if correct else 0.0, ece=ece, reliability=table, auto_threshold=threshold,
        auto_precision=precision, auto_coverage=coverage,
        wrong_at_99=sum(1 for p, ok in zip(confidences, correct) if p >= 0.99 and not ok),
        seconds=time.perf_counter() - started,
    )


def corpus_examples(corpus_dir: Path = CORPUS_DIR, split: str = "train") -> tuple[list[Example], dict[str, bool]]:
    rows = load_corpus(corpus_dir, split)
    return [(str(r["text"]), str(r["code"])) for r in rows], {str(r["text"]): bool(r["urgent"]) for r in rows}


def retrain(extra_examples: Iterable[Example] = (), *, taxonomy: Taxonomy | None = None,
            out: str | Path = PACKAGED_MODEL, corpus_dir: Path = CORPUS_DIR) -> Report:
    """Rebuild the model from the corpus's train split plus ``extra_examples`` (operators' corrections), save it."""
    corpus, urgent = corpus_examples(corpus_dir)
    extra = [(str(t), str(c)) for t, c in extra_examples]
    model, report = train(corpus + extra, taxonomy, urgent=urgent, corrections=len(extra), with_report=True)
    model.save(out)
    return report
