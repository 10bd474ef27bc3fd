"""The scoring scheme a city sets: the weights of each composite score and the grade thresholds (A–E)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.errors import InvalidInput
from backend.evaluation.tables import EvalScheme

# Each subject's score is the weighted mean of its component scores (each 0–100) that have a denominator.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    # The common composite (DOMAIN §6): 10 % volume, 30 % closure, 30 % on time, 30 % (1 − rework rate).
    "unit": {"volume": 10, "closure": 30, "on_time": 30, "rework": 30},
    "area": {"closure": 50, "on_time_closure": 50},
    "supervisor": {"valid_report": 40, "verify_on_time": 30, "check_on_time": 30},
    "dispatcher": {"on_time": 50, "accurate": 50},
}
DEFAULT_GRADES: dict[str, float] = {"A": 90, "B": 75, "C": 60, "D": 40}  # below D: E


@dataclass(frozen=True)
class Scheme:
    weights: Mapping[str, Mapping[str, float]]
    grades: Mapping[str, float]

    def score(self, subject: str, parts: Mapping[str, float | None]) -> float | None:
        """The weighted mean of the parts that exist; None when none does (nothing to judge in the period)."""
        total = weight = 0.0
        for name, w in self.weights[subject].items():
            value = parts.get(name)
            if value is None or w <= 0:
                continue
            total += w * value
            weight += w
        return round(total / weight, 2) if weight else None

    def grade(self, score: float | None) -> str | None:
        if score is None:
            return None
        for letter in ("A", "B", "C", "D"):
            if score >= self.grades[letter]:
                return letter
        return "E"

    def as_dict(self) -> dict[str, Any]:
        return {"weights": {k: dict(v) for k, v in self.weights.items()}, "grades": dict(self.grades)}


DEFAULT = Scheme(DEFAULT_WEIGHTS, DEFAULT_GRADES)


def validate(weights: Mapping[str, Mapping[str, float]], grades: Mapping[str, float]) -> Scheme:
    """A scheme from a city's input: every subject and part known, weights ≥ 0 with a positive sum, A > B > C > D."""
    merged: dict[str, dict[str, float]] = {k: dict(v) for k, v in DEFAULT_WEIGHTS.items()}
    for subject, parts in weights.items():
        if subject not in DEFAULT_WEIGHTS:
            raise InvalidInput(f"未知的考评对象：{subject}", f"Unknown subject: {subject}", code="evaluation.bad_scheme",
                               details={"subjects": sorted(DEFAULT_WEIGHTS)})
        for part, value in parts.items():
            if part not in DEFAULT_WEIGHTS[subject] or not 0 <= float(value) <= 1000:
                raise InvalidInput(f"权重无效：{subject}.{part}", f"Bad weight: {subject}.{part}",
                                   code="evaluation.bad_scheme", details={"parts": sorted(DEFAULT_WEIGHTS[subject])})
            merged[subject][part] = float(value)
        if sum(merged[subject].values()) <= 0:
            raise InvalidInput(f"权重之和必须大于 0：{subject}", f"The weights of {subject} must add up to more than 0",
                               code="evaluation.bad_scheme")
    levels = {**DEFAULT_GRADES, **{k: float(v) for k, v in grades.items()}}
    if set(levels) != set(DEFAULT_GRADES) or not (
            100 >= levels["A"] > levels["B"] > levels["C"] > levels["D"] >= 0):
        raise InvalidInput("等级分数线须满足 100 ≥ A > B > C > D ≥ 0", "Grade thresholds must be 100 ≥ A > B > C > D ≥ 0",
                           code="evaluation.bad_scheme")
    return Scheme(merged, levels)


async def current() -> Scheme:
    row = await EvalScheme.select(EvalScheme.weights, EvalScheme.grades).order_by(
        EvalScheme.id, ascending=False).output(load_json=True).first()
    if row is None:
        return DEFAULT
    return validate(row["weights"] or {}, row["grades"] or {})
