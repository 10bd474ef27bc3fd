"""The learned text model: segmentation, training from examples and corrections, saving without pickle, versions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.triage.taxonomy import load_taxonomy
from backend.triage.textmodel import (
    FEATURE_WEIGHTS,
    LEGACY_FEATURE_WEIGHTS,
    PACKAGED_MODEL,
    Model,
    Segmenter,
    dictionary_words,
    featurize,
    load_corpus,
    normalise,
    synthetic_examples,
)
from backend.triage.training import train

TINY = [("井盖没了", "C0123"), ("井盖丢了好危险", "C0123"), ("垃圾成堆没人收", "E0110"), ("一堆垃圾好臭", "E0110"),
        ("路灯不亮", "C0137"), ("路灯黑了", "C0137")]


def test_normalise_strips_control_characters_and_truncates() -> None:
    assert normalise("\x00井盖\u200b没了\x1b  \n") == "井盖 没了"
    assert normalise("ＭＡＮＨＯＬＥ") == "manhole"
    assert len(normalise("字" * 10_000)) == 2000


def test_segmenter_knows_city_words_and_local_phrasing() -> None:
    words = Segmenter(dictionary_words(load_taxonomy())).cut("井盖冇得了路边渍水好深")
    assert "井盖" in words and "冇得" in words and "渍水" in words


def test_features_mix_words_character_ngrams_and_english() -> None:
    segmenter = Segmenter(["井盖"])
    features = featurize("井gai没了 manhole covers missing", segmenter)
    assert "c2:没了" in features and "e:manhole" in features and "e:cover" in features
    assert "e2:manhole cover" in features and "e:the" not in featurize("the", segmenter)


def test_features_are_weighted_by_kind_and_scaled_to_unit_length() -> None:
    segmenter = Segmenter(["井盖"])
    features = featurize("井盖没了", segmenter)
    assert np.isclose(sum(v * v for v in features.values()), 1.0)
    assert features["c1:井"] / features["c2:井盖"] == pytest.approx(FEATURE_WEIGHTS["c1"] / FEATURE_WEIGHTS["c2"])
    assert featurize("井盖没了", segmenter, weights=LEGACY_FEATURE_WEIGHTS, l2=False)["c1:井"] == 1.0


def test_the_model_file_says_how_its_features_were_built_and_older_files_keep_theirs(tmp_path: Path) -> None:
    model = train(TINY * 2, synthetic=False)
    path, old = tmp_path / "model.npz", tmp_path / "old.npz"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.feature_weights == FEATURE_WEIGHTS and loaded.l2
    # a file written before the weights were stored (format lin-1): binary, unnormalised features, legacy weights
    with np.load(path, allow_pickle=False) as data:
        np.savez(old, **{k: data[k] for k in data.files if k not in {"feature_kinds", "feature_kind_weights", "l2"}})
    legacy = Model.load(old)
    assert legacy.feature_weights is None and not legacy.l2
    def by_hand(weights: dict[str, float], l2: bool) -> np.ndarray:
        features = featurize("井盖没了", legacy.segmenter, legacy.reader, weights, l2)
        known = [f for f in features if f in legacy.vocabulary]
        values = np.array([features[f] for f in known], dtype=np.float32)
        return (legacy.intercept + values @ legacy.weights[[legacy.vocabulary[f] for f in known]]) / legacy.temperature

    assert np.allclose(legacy.logits("井盖没了"), by_hand(LEGACY_FEATURE_WEIGHTS, False), atol=1e-3)
    assert not np.allclose(legacy.logits("井盖没了"), by_hand(FEATURE_WEIGHTS, True), atol=1e-3)
    assert np.allclose(loaded.logits("井盖没了"), by_hand(FEATURE_WEIGHTS, True), atol=1e-3)


def test_synthetic_examples_come_from_names_synonyms_and_conditions() -> None:
    examples = set(synthetic_examples(load_taxonomy()))
    assert ("井盖没了", "C0123") in examples and ("牛皮癣", "E0201") in examples
    assert ("manhole cover", "C0123") in examples


def test_train_predicts_save_load_round_trips_without_pickle(tmp_path: Path) -> None:
    model = train(TINY * 2, synthetic=False)
    assert model.classes[int(np.argmax(model.predict_proba("井盖被偷了")))] == "C0123"
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert data["features"].dtype.kind == "U"
    loaded = Model.load(path)
    assert loaded.version == model.version and loaded.version.startswith("lin-")
    assert np.allclose(loaded.logits("垃圾好多"), model.logits("垃圾好多"), atol=0.05)


def test_operator_corrections_change_the_model_and_its_version() -> None:
    before = train(TINY, synthetic=False)
    corrections = [("马葫芦盖子飞了", "C0102")] * 3
    after = train(TINY + corrections, synthetic=False)
    assert after.version != before.version
    assert after.classes[int(np.argmax(after.predict_proba("马葫芦盖子飞了")))] == "C0102"


def test_unknown_codes_in_examples_are_skipped() -> None:
    model = train([*TINY, ("whatever", "Z0000")], synthetic=False)
    assert "Z0000" not in model.classes


def test_calibration_sets_a_temperature_and_an_auto_accept_threshold() -> None:
    model = train(TINY, taxonomy=None)
    assert model.temperature > 0 and model.auto_threshold is not None and 0.3 <= model.auto_threshold <= 1.0


def test_packaged_model_matches_the_packaged_taxonomy() -> None:
    model = Model.load(PACKAGED_MODEL)
    assert set(model.classes) == set(load_taxonomy().codes) and model.version


@pytest.mark.parametrize("split", ["train", "test"])
def test_corpus_is_labelled_with_known_codes(split: str) -> None:
    taxonomy = load_taxonomy()
    rows = load_corpus(split=split)
    assert rows and all(taxonomy.has(str(r["code"])) and isinstance(r["urgent"], bool) for r in rows)


def test_corpus_size_and_coverage() -> None:
    rows = load_corpus(split=None)
    assert len(rows) >= 400 and len({r["code"] for r in rows}) >= 60
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row["code"])] = counts.get(str(row["code"]), 0) + 1
    assert min(counts.get(c.code, 0) for c in load_taxonomy().categories) >= 10  # issue 18: 10 reports per 小类
    train_texts = {r["text"] for r in rows if r["split"] == "train"}
    assert not train_texts & {r["text"] for r in rows if r["split"] == "test"}
