"""``suishoupai classify "描述" [--json]``: print the classifier's suggestions; ``--retrain`` rebuilds the text model
(needs the training extra, scikit-learn) and prints its report; ``--promote`` builds a candidate with the operators'
corrections and replaces the model only if it beats the current one on a held-out set."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

import msgspec

from backend.cases.timelimits import Clock, TimeLimit
from backend.errors import AppError
from backend.settings import Settings
from backend.triage.classifier import Classifier, ClassifyInput, ClassifyResult
from backend.triage.learning import model_path
from backend.triage.taxonomy import load_taxonomy

Corrections = Callable[[], Iterable[tuple[str, str]]]
_CLOCK_EN = {Clock.EMERGENCY_HOURS: "emergency hours", Clock.WORKING_HOURS: "working hours",
             Clock.WORKING_DAYS: "working days", Clock.CALENDAR_DAYS: "calendar days"}


def _limit(limit: TimeLimit, lang: str) -> str:
    if lang == "zh":
        return limit.raw
    amount = f"{limit.amount:g}"
    return f"{amount} {_CLOCK_EN[limit.clock]}" + (f" ({limit.note})" if limit.note else "")


def _percent(confidence: float) -> str:
    return "<1%" if 0 < confidence < 0.005 else f"{confidence:.0%}"


def format_suggestions(result: ClassifyResult, lang: str = "zh") -> str:
    """Human-readable suggestions, one block per 小类, in Chinese (``zh``) or English (``en``)."""
    zh = lang != "en"
    overall = getattr(result, "urgent", False)
    lines = [("整体判断：紧急" if overall else "整体判断：一般") if zh else
             ("overall: URGENT" if overall else "overall: normal")] if result.suggestions else []
    for rank, s in enumerate(result.suggestions, 1):
        kind = ("部件" if s.kind == "component" else "事件") if zh else s.kind
        urgency = ("紧急" if s.urgent else "一般") if zh else ("URGENT" if s.urgent else "normal")
        if zh:
            lines.append(f"{rank}. {s.code} {s.name}（{kind}·{s.major_name}）  置信度 {_percent(s.confidence)}  {urgency}")
            lines.append(f"   处置时限 {_limit(s.time_limit, 'zh')} · 立案条件：{s.filing_condition}")
            lines.append("   理由：" + "；".join(r.text_zh for r in s.reasons))
        else:
            lines.append(f"{rank}. {s.code} {s.name} ({kind}, {s.major_name})  confidence {_percent(s.confidence)}  {urgency}")
            lines.append(f"   time limit {_limit(s.time_limit, 'en')} · filing condition: {s.filing_condition}")
            lines.append("   reasons: " + "; ".join(r.text_en for r in s.reasons))
    if not result.suggestions:
        lines.append("无建议" if zh else "no suggestion")
    notes = f"  ({', '.join(result.notes)})" if result.notes else ""
    lines.append(("模型版本 " if zh else "model ") + result.model_version + notes)
    return "\n".join(lines)


def retrain(extra: list[tuple[str, str]], **kwargs: object) -> str:
    """Rebuild the model and return its report (scikit-learn is imported only here: a training extra)."""
    from backend.triage.training import retrain as build

    return build(extra, **kwargs).text()  # type: ignore[arg-type]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suishoupai classify", description="Classify a report description.")
    parser.add_argument("text", nargs="?", default="", help="the description (描述)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--menu", help="citizen menu icon id or name, e.g. manhole or 井盖")
    parser.add_argument("--code", help="a supervisor's 小类 code, taken as given after validation")
    parser.add_argument("--near", action="append", default=[], metavar="CODE", help="a surveyed component nearby")
    parser.add_argument("--taxonomy", help="taxonomy file (default: the packaged one)")
    parser.add_argument("--model", help="text model file (default: the packaged one)")
    parser.add_argument("--retrain", action="store_true", help="rebuild the text model from the corpus and print its report")
    parser.add_argument("--promote", action="store_true",
                        help="train a candidate with the operators' corrections; keep it only if it beats the current model")
    return parser


def run(argv: list[str], *, corrections: Corrections | None = None, out: TextIO | None = None,
        err: TextIO | None = None, settings: Settings | None = None, promote: Callable[[], str] | None = None) -> int:
    """Entry point for the CLI; ``corrections`` yields extra ``(text, code)`` labels for ``--retrain``; ``promote``
    runs the learning loop once (``backend/triage/learning.py``) and returns its verdict."""
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.promote:
            if promote is None:
                err.write("--promote needs the database: run it as `suishoupai classify --promote`\n")
                return 2
            out.write(promote() + "\n")
            return 0
        taxonomy = load_taxonomy(args.taxonomy or (settings.taxonomy_path if settings else None))
        if args.retrain:
            extra = list(corrections()) if corrections else []
            target = {"out": args.model} if args.model else {}
            report = retrain(extra, taxonomy=taxonomy, **target)
            out.write(f"{report}\n({len(extra)} corrections)\n")
            return 0
        classifier = Classifier.load(taxonomy, args.model or (model_path(settings) if settings else None))
        result = classifier.classify(ClassifyInput(text=args.text, menu=args.menu, code=args.code,
                                                   nearby_component_codes=tuple(args.near)))
    except AppError as exc:
        err.write(f"{exc.code}: {exc.message_zh if args.lang == 'zh' else exc.message_en}\n")
        return 2
    out.write((msgspec.json.encode(result).decode() if args.json else format_suggestions(result, args.lang)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
