"""Issue 18: the reports the classifier got dangerously wrong, the hazard safety net, pinyin and typos, confidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.errors import InvalidInput
from backend.triage.classifier import Classifier, ClassifyInput, ClassifyResult
from backend.triage.classify_cli import format_suggestions
from backend.triage.hazards import load_hazards
from backend.triage.pinyin import PinyinReader, split_syllables
from backend.triage.taxonomy import load_taxonomy
from backend.triage.textmodel import DATA_DIR, expand
from backend.cases.timelimits import Clock

TAXONOMY = load_taxonomy()
MANHOLES = set(TAXONOMY.menu_item("manhole").codes)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def classify(classifier: Classifier, text: str) -> ClassifyResult:
    return classifier.classify(ClassifyInput(text=text))


# -- what we saw ------------------------------------------------------------------------------------------------

def test_a_gas_leak_is_urgent_with_the_reason_shown(classifier: Classifier) -> None:
    result = classify(classifier, "天然气管道漏气了，整条街都是味道")
    top = result.suggestions[0]
    assert result.urgent and "gas" in result.hazards
    assert top.code == "E0502" and top.urgent and top.time_limit.clock == Clock.EMERGENCY_HOURS
    hazard = [r for r in top.reasons if r.kind == "hazard"]
    assert hazard and "燃气" in hazard[0].text_zh and "gas" in hazard[0].text_en


def test_a_burst_heating_pipe_steaming_on_the_road_is_urgent(classifier: Classifier) -> None:
    result = classify(classifier, "暖气管道破了，路上冒白气")
    assert result.urgent and "steam_hot_water" in result.hazards
    assert result.suggestions[0].code == "E0504" and result.suggestions[0].urgent


def test_a_collapsed_manhole_cover_called_dangerous_gets_the_emergency_limit(classifier: Classifier) -> None:
    result = classify(classifier, "井盖塌下去了，很危险")
    top = result.suggestions[0]
    assert result.urgent and top.code in MANHOLES
    # before: the subsidence standard's 5 days; a hazard takes the urgent standard's limit
    assert top.urgent and (top.time_limit.amount, top.time_limit.clock) == (2, Clock.EMERGENCY_HOURS)


def test_a_muck_truck_shedding_mud_is_not_a_certain_wrong_answer(classifier: Classifier) -> None:
    result = classify(classifier, "渣土车一路掉泥巴，路上全是泥")
    top = result.suggestions[0]
    assert top.confidence < 0.99
    assert {"E0114", "E0312"} & {s.code for s in result.suggestions}  # 道路遗撒 or 车轮夹带, what people mean


def test_a_factory_pouring_black_water_into_the_river_is_pollution_not_a_street_tree(classifier: Classifier) -> None:
    result = classify(classifier, "工厂往河里倒黑水")
    assert result.suggestions[0].code != "C0402"
    assert result.suggestions[0].code == "E0126"


@pytest.mark.parametrize("word", ["井盖", "垃圾", "路灯", "小广告"])
def test_one_keyword_alone_is_never_100_percent(classifier: Classifier, word: str) -> None:
    result = classify(classifier, word)
    assert result.suggestions[0].confidence < 0.99
    assert "100%" not in format_suggestions(result)


def test_pinyin_is_read_as_the_citys_words(classifier: Classifier) -> None:
    result = classify(classifier, "jing gai diu le")
    top = result.suggestions[0]
    assert top.code in MANHOLES and result.urgent
    assert any(r.kind == "pinyin" and "井盖" in r.text_zh for r in top.reasons)


@pytest.mark.parametrize("text", ["景盖没了", "jinggai meile", "井gai没了"])
def test_typos_and_mixed_pinyin_find_the_manhole(classifier: Classifier, text: str) -> None:
    assert classify(classifier, text).suggestions[0].code in MANHOLES


# -- the hazard lexicon -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["检查过了，没有漏气", "没闻到煤气味", "no smell of gas, just a broken bench",
                                  "fire hydrant is rusty", "垃圾桶没盖子", "小区门口车乱停，车出不来"])
def test_negations_and_look_alikes_are_not_hazards(classifier: Classifier, text: str) -> None:
    assert classify(classifier, text).hazards == []


def test_the_lexicon_finds_99_percent_of_the_hazard_set_and_says_which() -> None:
    lexicon = load_hazards()
    reader = Classifier.load().model.reader
    rows = [json.loads(line) for line in (DATA_DIR / "hazard_eval.jsonl").read_text(encoding="utf-8").splitlines()]
    hazards = [r for r in rows if r["hazard"]]
    assert len(hazards) >= 150 and len({r["hazard"] for r in hazards}) >= 10
    found = [r for r in hazards if lexicon.find(expand(r["text"], reader))]
    assert len(found) / len(hazards) >= 0.99
    named = [r for r in hazards if r["hazard"] in {h.hazard.id for h in lexicon.find(expand(r["text"], reader))}]
    assert len(named) / len(hazards) >= 0.9  # mostly for the right reason, not only "dangerous"


def test_a_broken_lexicon_file_is_refused_with_a_stable_code(tmp_path: Path) -> None:
    path = tmp_path / "hazards.json"
    path.write_text(json.dumps({"format": "suishoupai-hazards/1", "hazards": [
        {"id": "x", "name": "x", "name_en": "x", "patterns": ["(unclosed"]}]}), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_hazards(path)
    assert caught.value.code == "hazards.bad_file"


# -- the pinyin reader ------------------------------------------------------------------------------------------

def test_pinyin_reader_spaces_initials_homophones_and_plain_english() -> None:
    reader = PinyinReader(["井盖", "丢了", "路灯", "绿地"], initials_words=["井盖", "路灯"])
    assert [r.word for r in reader.read("jing gai diu le")] == ["井盖", "丢了"]
    assert [r.word for r in reader.read("jg diule")] == ["井盖", "丢了"]
    assert [(r.source, r.word) for r in reader.read("景盖")] == [("景盖", "井盖")]
    assert reader.read("井盖丢了") == []  # written right: nothing to read
    assert reader.read("manhole cover missing, the street light is out") == []
    assert split_syllables("jinggai") == ["jing", "gai"] and split_syllables("manhole") is None


# -- confidence and the model ------------------------------------------------------------------------------------

def test_every_result_names_the_model_and_its_auto_accept_threshold(classifier: Classifier) -> None:
    result = classify(classifier, "路灯不亮")
    assert result.model_version == classifier.model.version and result.model_version.startswith("lin-")
    assert result.auto_threshold == classifier.auto_threshold and 0.5 <= (result.auto_threshold or 0) < 1.0
    assert result.decide(result.auto_threshold or 1.0).auto == (result.suggestions[0].confidence >= result.auto_threshold)


def test_confidences_stay_probabilities_after_calibration(classifier: Classifier) -> None:
    for text in ["路边一大堆生活垃圾好几天没人收", "有个东西坏了", "jing gai", "😀"]:
        confidences = [s.confidence for s in classify(classifier, text).suggestions]
        assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1.0 + 1e-6
