"""Evaluate the triage classifier: train on the corpus's train split only, report on the held-out test split.

    .venv/bin/python scripts/eval_classifier.py            # held-out figures (the ones in docs/benchmarks.md)
    .venv/bin/python scripts/eval_classifier.py --cv 4     # k-fold cross-validation inside the train split (tuning)

Urgency is the result's ``urgent`` (the whole distribution plus the urgency model); ``top_standard_urgent_*`` is the
old reading, the urgency of the top suggestion's own filing standard.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.triage.classifier import Classifier, ClassifyInput
from backend.triage.taxonomy import load_taxonomy
from backend.triage.textmodel import load_corpus, train

Row = dict[str, object]


def evaluate(train_rows: list[Row], test_rows: list[Row], show_errors: bool = False) -> dict[str, float]:
    taxonomy = load_taxonomy()
    pairs = [(str(r["text"]), str(r["code"])) for r in train_rows]
    urgent = {str(r["text"]): bool(r["urgent"]) for r in train_rows}
    classifier = Classifier(taxonomy, train(pairs, taxonomy, calibrate_on=pairs, urgent=urgent))
    classifier.classify(ClassifyInput(text="预热"))  # jieba initialisation is not a per-report cost
    top1 = top3 = major1 = major3 = tp = fp = fn = std_tp = std_fp = std_fn = 0
    confidences: list[tuple[float, bool]] = []
    start = time.perf_counter()
    results = [classifier.classify(ClassifyInput(text=str(r["text"]))) for r in test_rows]
    elapsed = time.perf_counter() - start
    for row, result in zip(test_rows, results):
        code = str(row["code"])
        codes = [s.code for s in result.suggestions]
        major = taxonomy.get(code).major_code
        top1 += codes[0] == code
        top3 += code in codes
        major1 += result.suggestions[0].major_code == major
        major3 += major in {s.major_code for s in result.suggestions}
        confidences.append((result.suggestions[0].confidence, codes[0] == code))
        predicted, actual, standard = result.urgent, bool(row["urgent"]), result.suggestions[0].urgent
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        std_tp += standard and actual
        std_fp += standard and not actual
        std_fn += actual and not standard
        if show_errors and (codes[0] != code or predicted != actual):
            names = [f"{s.code}{s.name}{'!' if s.urgent else ''}:{s.confidence:.2f}" for s in result.suggestions]
            flag = {(True, False): " [urgent missed]", (False, True): " [false urgent]"}.get((actual, predicted), "")
            sys.stdout.write(f"  {code}{'!' if actual else ''} {row['text']!r} -> {names} "
                             f"urgency {result.urgency:.2f}{flag}\n")
    n = len(test_rows)
    return {
        "n": n, "top1": top1 / n, "top3": top3 / n, "major_top1": major1 / n, "major_top3": major3 / n,
        "urgent_precision": tp / max(1, tp + fp), "urgent_recall": tp / max(1, tp + fn),
        "urgent_cases": tp + fn, "urgent_missed": fn, "urgent_false": fp,
        "top_standard_urgent_precision": std_tp / max(1, std_tp + std_fp),
        "top_standard_urgent_recall": std_tp / max(1, std_tp + std_fn),
        "ms_per_report": 1000 * elapsed / n,
        "mean_confidence": sum(c for c, _ in confidences) / n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, default=0, help="k-fold cross-validation inside the train split")
    parser.add_argument("--errors", action="store_true", help="list misclassified reports")
    args = parser.parse_args(argv)
    train_rows = load_corpus(split="train")
    if args.cv:
        runs = [evaluate([r for i, r in enumerate(train_rows) if i % args.cv != k], train_rows[k :: args.cv],
                         args.errors) for k in range(args.cv)]
        figures = {key: sum(run[key] for run in runs) / len(runs) for key in runs[0]}
        label = f"{args.cv}-fold CV on the train split ({len(train_rows)} reports)"
    else:
        figures = evaluate(train_rows, load_corpus(split="test"), args.errors)
        label = f"held-out test split, trained on the train split ({len(train_rows)} reports)"
    sys.stdout.write(f"{label}\n")
    for key, value in figures.items():
        whole = key == "n" or key.startswith("urgent_") and not key.endswith(("precision", "recall"))
        sys.stdout.write(f"  {key:29} {value:.0f}\n" if whole and not args.cv else f"  {key:29} {value:.3f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
