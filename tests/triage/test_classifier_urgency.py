"""Urgency of a report: judged from the whole distribution over 小类 and a small urgency model, not only the top one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.triage.classifier import Classifier, ClassifyInput, pick_standard
from backend.triage.taxonomy import load_taxonomy
from backend.triage.textmodel import PACKAGED_MODEL, Model
from backend.triage.training import train

TINY = [("井盖没了", "C0123"), ("井盖丢了好危险", "C0123"), ("垃圾成堆没人收", "E0110"), ("一堆垃圾好臭", "E0110"),
        ("路灯不亮", "C0137"), ("路灯黑了", "C0137")]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def classify(classifier: Classifier, text: str = "", **kwargs: object):  # type: ignore[no-untyped-def]
    return classifier.classify(ClassifyInput(text=text, **kwargs))  # type: ignore[arg-type]


def test_packaged_model_has_an_urgency_model() -> None:
    model = Model.load(PACKAGED_MODEL)
    assert model.urgency_weights is not None and model.urgency_weights.shape == (len(model.vocabulary),)


@pytest.mark.parametrize("text", ["井盖没了，晚上很危险", "路面塌陷了一个大坑", "自来水管爆了，水冒得老高"])
def test_dangerous_reports_are_urgent(classifier: Classifier, text: str) -> None:
    result = classify(classifier, text)
    assert result.urgent and result.urgency >= classifier.weights.urgency_threshold


@pytest.mark.parametrize("text", ["路灯白天还一直亮着", "垃圾桶有点脏", "绿地里的草长得太高了"])
def test_ordinary_reports_are_not_urgent(classifier: Classifier, text: str) -> None:
    result = classify(classifier, text)
    assert not result.urgent and 0.0 <= result.urgency < classifier.weights.urgency_threshold


def test_supervisor_code_gives_its_standards_urgency(classifier: Classifier) -> None:
    result = classify(classifier, "井盖没了", code="C0102")
    assert result.urgent == result.suggestions[0].urgent is True and result.urgency == 1.0


def test_nothing_to_read_is_not_urgent_by_default(classifier: Classifier) -> None:
    result = classify(classifier, "😀😀")
    assert 0.0 <= result.urgency <= 1.0


def test_the_top_standard_follows_the_reports_urgency_when_no_phrase_matches(classifier: Classifier) -> None:
    taxonomy = load_taxonomy()
    for text in ["井盖没了，晚上很危险", "路灯白天还一直亮着", "井盖上有点脏", "人行道上的井盖"]:
        result = classify(classifier, text)
        top = result.suggestions[0]
        _, phrases = pick_standard(taxonomy, taxonomy.get(top.code), text.lower())
        if not phrases and len({s.urgent for s in taxonomy.get(top.code).standards}) == 2:
            assert top.urgent == result.urgent


def test_pick_standard_without_a_matching_phrase_can_prefer_either_urgency() -> None:
    taxonomy = load_taxonomy()
    manhole, parking = taxonomy.get("C0123"), taxonomy.get("E0470")  # urgent first; not urgent first
    assert pick_standard(taxonomy, manhole, "") == (0, [])
    assert not manhole.standards[pick_standard(taxonomy, manhole, "", prefer_urgent=False)[0]].urgent
    assert parking.standards[pick_standard(taxonomy, parking, "", prefer_urgent=True)[0]].urgent
    # a matching phrase wins over the preference
    assert pick_standard(taxonomy, manhole, "井盖没了", prefer_urgent=False)[0] == 0


def test_urgency_model_trains_saves_and_loads(tmp_path: Path) -> None:
    urgent = {"井盖没了": True, "井盖丢了好危险": True, "垃圾成堆没人收": False, "一堆垃圾好臭": False,
              "路灯不亮": False, "路灯黑了": False}
    model = train(TINY * 2, synthetic=False, urgent=urgent)
    assert model.scores("井盖丢了")[1] > model.scores("垃圾好臭")[1]
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.urgency_weights is not None
    assert abs(loaded.scores("井盖丢了")[1] - model.scores("井盖丢了")[1]) < 0.05


def test_a_model_saved_without_an_urgency_model_still_classifies(tmp_path: Path) -> None:
    model = train(TINY * 2, synthetic=False)
    model.urgency_weights = None
    path = tmp_path / "old.npz"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.urgency_weights is None and loaded.scores("井盖没了")[1] is None
    result = Classifier(load_taxonomy(), loaded).classify(ClassifyInput(text="井盖没了"))
    assert result.suggestions and isinstance(result.urgent, bool) and 0.0 <= result.urgency <= 1.0
    assert np.isfinite(result.urgency)
