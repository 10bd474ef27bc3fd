"""The taxonomy data file: coverage of what citizens report, codes, standards, time limits, the menu, swapping files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from backend.errors import InvalidInput
from backend.triage.taxonomy import PACKAGED_PATH, load_taxonomy
from backend.cases.timelimits import Clock

ROOT = Path(__file__).resolve().parents[2]
# The reference table beside the repository (a checkout next to shared/), else where this workplace keeps it.
SOURCE = next((p for p in (ROOT.parent / "shared" / "reference" / "standards" / "city_standards.json",
                           Path("/work/shared/reference/standards/city_standards.json")) if p.exists()),
              ROOT.parent / "shared" / "reference" / "standards" / "city_standards.json")


def test_packaged_taxonomy_covers_the_source_table_and_the_city_extensions() -> None:
    taxonomy = load_taxonomy()
    kinds = [c.kind for c in taxonomy.categories]
    assert kinds.count("component") == 92 + 4 and kinds.count("event") == 98 + 4  # source table + extensions
    names = {c.name for c in taxonomy.categories}
    for everyday in ("不明井盖", "暴露生活垃圾", "占道经营", "机动车乱停放", "交通信号灯", "人行道", "道路积水",
                     "共享单车管理", "社会生活噪声扰民", "非法小广告", "路灯"):
        assert everyday in names
    assert taxonomy.get("E0470").major_name == "街面秩序"
    assert taxonomy.get("C0210").department.startswith("公安交通管理部门")
    assert "city_standards.json" in taxonomy.metadata["source"]


def test_codes_are_kind_prefixed_and_lookup_normalises_case() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.get(" c0101 ").name == "上水井盖"
    assert taxonomy.get("E0101").name == "私搭乱建"  # same digits as C0101, a different 小类
    assert taxonomy.majors["C01"] == "公用设施"


def test_unknown_code_is_a_422_with_a_stable_code() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_taxonomy().get("Z9999")
    assert caught.value.code == "taxonomy.unknown_code" and caught.value.status == 422
    assert caught.value.details == {"code": "Z9999"}


def test_standards_carry_parsed_time_limits_and_urgency() -> None:
    missing, damaged, rattling, frame = load_taxonomy().get("C0101").standards
    assert missing.filing_condition.startswith("缺失") and missing.urgent
    assert (missing.time_limit.amount, missing.time_limit.clock) == (2, Clock.EMERGENCY_HOURS)
    assert (damaged.time_limit.amount, damaged.time_limit.clock, damaged.urgent) == (4, Clock.WORKING_HOURS, False)
    assert rattling.urgent  # 翻盖明显影响安全: urgent by wording although the clock is 2 working days
    assert (frame.time_limit.amount, frame.time_limit.clock, frame.urgent) == (5, Clock.WORKING_DAYS, False)
    assert all(s.urgent for s in load_taxonomy().get("E0506").standards)


def test_citizen_menu_has_twelve_icons_mapping_to_real_codes() -> None:
    taxonomy = load_taxonomy()
    assert [m.name for m in taxonomy.menu][:3] == ["井盖", "垃圾", "占道经营"] and len(taxonomy.menu) == 12
    assert taxonomy.menu_item("井盖") is taxonomy.menu_item("manhole")
    assert {"C0123", "C0102"} <= set(taxonomy.menu_item("manhole").codes)
    assert "E0470" in taxonomy.menu_item("乱停车").codes
    listed = {code for m in taxonomy.menu for code in m.codes}
    assert listed == set(taxonomy.codes)  # "其他" takes whatever no other icon lists
    with pytest.raises(InvalidInput) as caught:
        taxonomy.menu_item("unicorns")
    assert caught.value.code == "taxonomy.unknown_menu"


def test_search_finds_categories_by_citizen_words() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.search("路灯")[0].code == "C0137"
    assert taxonomy.search("牛皮癣")[0].code == "E0201"
    assert taxonomy.search("e0470")[0].name == "机动车乱停放"
    assert taxonomy.search("   ") == []


def test_a_city_swaps_in_its_own_file(tmp_path: Path) -> None:
    own = {
        "format": "suishoupai-taxonomy/1",
        "menu": [{"id": "pothole", "name": "坑", "codes": ["E9901"]}],
        "categories": [{
            "code": "E9901", "kind": "event", "major_code": "E99", "major_name": "本市扩展", "name": "路面坑槽",
            "synonyms": ["坑槽"], "standards": [{"filing_condition": "坑槽", "time_limit": "3天"}],
        }],
    }
    path = tmp_path / "city.json"
    path.write_text(json.dumps(own, ensure_ascii=False), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.codes == ("E9901",) and load_taxonomy(str(path)) is taxonomy
    assert taxonomy.get("E9901").standards[0].urgent is False
    assert load_taxonomy() is load_taxonomy(None)


@pytest.mark.parametrize("broken", [
    "not json",
    json.dumps({"format": "other/1", "categories": []}),
    json.dumps({"format": "suishoupai-taxonomy/1", "categories": [{"code": "E1"}]}),
    json.dumps({"format": "suishoupai-taxonomy/1", "categories": [], "menu": [{"id": "x", "name": "x", "codes": ["E1"]}]}),
])
def test_a_broken_file_fails_loudly(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_taxonomy(path)
    assert caught.value.code == "taxonomy.bad_file"


@pytest.mark.skipif(not SOURCE.exists(), reason="reference standards not beside the repository")
def test_packaged_file_is_what_the_build_script_derives() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_taxonomy import build

    built = build(SOURCE)
    packaged = json.loads(PACKAGED_PATH.read_text(encoding="utf-8"))
    assert built["categories"] == packaged["categories"] and built["menu"] == packaged["menu"]
