"""Choose the text model's feature weights, normalisation, C and class weights by cross-validation inside the train
split only (the held-out test split is never read).

    nice .venv/bin/python scripts/tune_classifier.py            # the settings compared in docs/benchmarks.md
    nice .venv/bin/python scripts/tune_classifier.py --folds 4 --c 0.5 1 2
    nice .venv/bin/python scripts/tune_classifier.py --without-later    # as if reports_more.jsonl were not there

Folds: the train-split reports of ``reports.jsonl`` (the first hand-written corpus), report i in fold i mod k. Every
fold trains on the other folds plus, always, the train-split reports of the other corpus files (``reports_more.jsonl``:
thin 小类 and English phrasings added later) and the taxonomy's synthetic examples, as ``suishoupai classify --retrain``
does; it reports top-1 and top-3 小类 of the linear model's decision values (the classifier's ranking without menu,
components or photo). Needs the training extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.svm import LinearSVC

from backend.triage.taxonomy import load_taxonomy
from backend.triage.textmodel import (
    CORPUS_DIR,
    FEATURE_WEIGHTS,
    LEGACY_FEATURE_WEIGHTS,
    dictionary_words,
    featurize,
    labelled_synthetic,
    reader_for,
    segmenter_for,
)
from backend.triage.training import SEED, _int32

FIRST = "reports.jsonl"
# (name, feature weights, L2, C, class weight): the model before issue 18's second round, then one change at a time
SETTINGS = [
    ("before: binary, unnormalised, C 0.5", LEGACY_FEATURE_WEIGHTS, False, 0.5, None),
    ("L2", LEGACY_FEATURE_WEIGHTS, True, 1.0, None),
    ("L2, c1 2.5, e 1.5", FEATURE_WEIGHTS, True, 1.0, None),
    ("L2, c1 2.5, e 1.5, C 2", FEATURE_WEIGHTS, True, 2.0, None),
    ("L2, c1 2.5, e 1.5, balanced (chosen)", FEATURE_WEIGHTS, True, 1.0, "balanced"),
    ("L2, c1 2.5, e 1.5, balanced, C 2", FEATURE_WEIGHTS, True, 2.0, "balanced"),
]


def rows(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(r["text"], r["code"]) for r in map(json.loads, filter(str.strip, lines)) if r["split"] == "train"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--c", type=float, nargs="*", help="also try the chosen features with these C values")
    parser.add_argument("--without-later", action="store_true", help="leave out the later corpus files")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy()
    words = dictionary_words(taxonomy)
    initials = [m.name for m in taxonomy.menu if not m.catch_all]
    segmenter, reader = segmenter_for(tuple(words)), reader_for(tuple(words), tuple(initials))
    first = rows(CORPUS_DIR / FIRST)
    later = [] if args.without_later else [
        r for p in sorted(CORPUS_DIR.glob("*.jsonl")) if p.name != FIRST for r in rows(p)]
    seen = set(first) | set(later)
    synthetic = [r for r in dict.fromkeys((t, c) for t, c, _ in labelled_synthetic(taxonomy)) if r not in seen]
    settings = SETTINGS + [(f"chosen features, balanced, C {c:g}", FEATURE_WEIGHTS, True, c, "balanced")
                           for c in args.c or []]
    sys.stdout.write(f"{args.folds}-fold CV over {len(first)} train reports of {FIRST}; always in training: "
                     f"{len(later)} later reports, {len(synthetic)} synthetic examples\n")
    for name, weights, l2, c, class_weight in settings:
        started, top1, top3 = time.perf_counter(), 0, 0
        for fold in range(args.folds):
            held = [r for i, r in enumerate(first) if i % args.folds == fold]
            training = [r for i, r in enumerate(first) if i % args.folds != fold] + later + synthetic
            vectorizer = DictVectorizer(sort=True)
            x = _int32(vectorizer.fit_transform([featurize(t, segmenter, reader, weights, l2) for t, _ in training]))
            model = LinearSVC(C=c, class_weight=class_weight, random_state=SEED).fit(x, [code for _, code in training])
            decision = model.decision_function(_int32(vectorizer.transform(
                [featurize(t, segmenter, reader, weights, l2) for t, _ in held])))
            best = model.classes_[np.argsort(-decision, axis=1)[:, :3]]
            top1 += sum(b[0] == code for b, (_, code) in zip(best, held))
            top3 += sum(code in b for b, (_, code) in zip(best, held))
        n = len(first)
        sys.stdout.write(f"  top-1 {top1 / n:.3f}  top-3 {top3 / n:.3f}  ({time.perf_counter() - started:.0f} s)  {name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
