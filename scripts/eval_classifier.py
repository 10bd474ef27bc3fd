"""Evaluate the triage classifier: train on the corpus's train split only, report on the held-out test split.

    .venv/bin/python scripts/eval_classifier.py            # held-out figures (the ones in docs/benchmarks.md)
    .venv/bin/python scripts/eval_classifier.py --cv 4     # k-fold cross-validation inside the train split (tuning)
    .venv/bin/python scripts/eval_classifier.py --errors   # also list misclassified reports and urgency misses

Needs the training extra (scikit-learn). Reports top-1/top-3 小类, urgent recall and precision, the expected
calibration error with its reliability table, wrong answers at >= 0.99, the hazard lexicon's recall on
backend/triage/data/hazard_eval.jsonl (and its false alarms on the non-hazard phrasings there), and the time per
report. The baseline, measured in the same run, is the taxonomy's word search (``Taxonomy.search``): the first
category whose name or synonym appears in the text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.triage.classifier import Classifier, ClassifyInput
from backend.triage.taxonomy import load_taxonomy
from backend.triage.textmodel import DATA_DIR, load_corpus
from backend.triage.training import reliability, train

Row = dict[str, object]
HAZARD_SET = DATA_DIR / "hazard_eval.jsonl"
TARGETS = {"top1": 0.92, "top3": 0.98, "urgent_recall": 0.98, "ece": 0.05, "hazard_recall": 0.99, "ms_per_report": 5.0}


def evaluate(train_rows: list[Row], test_rows: list[Row], show_errors: bool = False) -> tuple[dict[str, float], list]:
    taxonomy = load_taxonomy()
    pairs = [(str(r["text"]), str(r["code"])) for r in train_rows]
    urgent = {str(r["text"]): bool(r["urgent"]) for r in train_rows}
    classifier = Classifier(taxonomy, train(pairs, taxonomy, urgent=urgent))
    classifier.classify(ClassifyInput(text="预热 yu re"))  # jieba and pypinyin initialisation is not a per-report cost
    start = time.perf_counter()
    results = [classifier.classify(ClassifyInput(text=str(r["text"]))) for r in test_rows]
    elapsed = time.perf_counter() - start
    top1 = top3 = tp = fp = fn = baseline = wrong_99 = 0
    confidences, correct = [], []
    for row, result in zip(test_rows, results):
        code, codes = str(row["code"]), [s.code for s in result.suggestions]
        top1 += codes[0] == code
        top3 += code in codes
        found = taxonomy.search(str(row["text"]), limit=1)
        baseline += bool(found) and found[0].code == code
        confidence = result.suggestions[0].confidence
        confidences.append(confidence)
        correct.append(codes[0] == code)
        wrong_99 += confidence >= 0.99 and codes[0] != code
        predicted, actual = result.urgent, bool(row["urgent"])
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        if show_errors and (codes[0] != code or (actual and not predicted)):
            names = [f"{s.code}{s.name}:{s.confidence:.2f}" for s in result.suggestions]
            flag = " [urgent missed]" if actual and not predicted else ""
            sys.stdout.write(f"  {code} {row['text']!r} -> {names}{flag}\n")
    ece, table = reliability(confidences, correct)
    n = len(test_rows)
    auto: dict[str, float] = {}
    for name, threshold in (("model", classifier.auto_threshold or 1.0), ("fixed_0.6", 0.6)):
        chosen = [ok for c, ok in zip(confidences, correct) if c >= threshold]
        auto[f"auto_{name}_threshold"] = threshold
        auto[f"auto_{name}_precision"] = sum(chosen) / max(1, len(chosen))
        auto[f"auto_{name}_coverage"] = len(chosen) / n
    hazard = hazard_figures(classifier, show_errors)
    figures = {
        "n": n, "top1": top1 / n, "top3": top3 / n, "baseline_top1": baseline / n,
        "urgent_recall": tp / max(1, tp + fn), "urgent_precision": tp / max(1, tp + fp), "urgent_cases": tp + fn,
        "urgent_missed": fn, "urgent_false": fp, "ece": ece, "mean_confidence": sum(confidences) / n,
        "wrong_at_0.99": wrong_99, **auto, **hazard, "ms_per_report": 1000 * elapsed / n,
    }
    return figures, table


def hazard_figures(classifier: Classifier, show_errors: bool) -> dict[str, float]:
    rows = [json.loads(line) for line in HAZARD_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    hazards = [r for r in rows if r["hazard"]]
    others = [r for r in rows if not r["hazard"]]
    lexicon_hits = urgent_hits = false_alarms = 0
    for row in hazards:
        result = classifier.classify(ClassifyInput(text=row["text"]))
        lexicon_hits += bool(result.hazards)
        urgent_hits += result.urgent
        if show_errors and not result.hazards:
            sys.stdout.write(f"  hazard missed by the lexicon ({row['hazard']}): {row['text']!r}\n")
    for row in others:
        result = classifier.classify(ClassifyInput(text=row["text"]))
        false_alarms += bool(result.hazards)
        if show_errors and result.hazards:
            sys.stdout.write(f"  hazard false alarm {result.hazards}: {row['text']!r}\n")
    return {"hazard_set": len(hazards), "hazard_recall": lexicon_hits / len(hazards),
            "hazard_urgent_recall": urgent_hits / len(hazards), "non_hazard_set": len(others),
            "hazard_false_alarms": false_alarms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, default=0, help="k-fold cross-validation inside the train split")
    parser.add_argument("--errors", action="store_true", help="list misclassified reports")
    args = parser.parse_args(argv)
    train_rows = load_corpus(split="train")
    if args.cv:
        runs = [evaluate([r for i, r in enumerate(train_rows) if i % args.cv != k], train_rows[k :: args.cv],
                         args.errors)[0] for k in range(args.cv)]
        figures = {key: sum(run[key] for run in runs) / len(runs) for key in runs[0]}
        table = []
        label = f"{args.cv}-fold CV on the train split ({len(train_rows)} reports)"
    else:
        figures, table = evaluate(train_rows, load_corpus(split="test"), args.errors)
        label = f"held-out test split, trained on the train split ({len(train_rows)} reports)"
    sys.stdout.write(f"{label}\n")
    for key, value in figures.items():
        whole = isinstance(value, int) or key in {"n", "urgent_cases", "urgent_missed", "urgent_false"}
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            ok = value <= target if key in {"ece", "ms_per_report"} else value >= target
            verdict = f"   target {'<=' if key in {'ece', 'ms_per_report'} else '>='} {target:g}: {'met' if ok else 'NOT MET'}"
        sys.stdout.write((f"  {key:22} {value:.0f}" if whole else f"  {key:22} {value:.3f}") + verdict + "\n")
    if figures.get("baseline_top1"):
        sys.stdout.write(f"  top-1 / baseline       {figures['top1'] / figures['baseline_top1']:.2f}x\n")
    if table:
        sys.stdout.write("reliability on the test split (bin: answers, mean confidence, accuracy)\n")
        for b in table:
            if b.count:
                sys.stdout.write(f"  {b.low:.1f}-{b.high:.1f} {b.count:5d}  {b.confidence:.3f}  {b.accuracy:.3f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
