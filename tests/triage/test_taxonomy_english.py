"""English names for the taxonomy (大类, 小类, filing and closing conditions) and the units, and where staff read them."""

from __future__ import annotations

import json
import re

from backend.triage.taxonomy import PACKAGED_PATH, english_path_for, load_taxonomy, parse_taxonomy
from tests.helpers import login, point_in
from tests.triage.triage_helpers import submit

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _english(text: str) -> bool:
    return bool(text.strip()) and not CJK.search(text)


def test_every_category_and_every_standard_row_has_an_english_name() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.categories) >= 198
    missing = [c.code for c in taxonomy.categories if not _english(c.name_en) or not _english(c.major_name_en)]
    rows = [(c.code, i) for c in taxonomy.categories for i, s in enumerate(c.standards)
            if not _english(s.filing_condition_en) or not _english(s.closing_condition_en)]
    assert missing == [] and rows == []
    assert taxonomy.get("E0406").name_en == "Street vending on the roadway"
    assert taxonomy.get("C0101").standards[0].filing_condition_en == "Missing, shifted or cracked, a safety hazard"
    # The English file follows the Chinese one row for row: same codes, same number of standards.
    english = json.loads(english_path_for(PACKAGED_PATH).read_text(encoding="utf-8"))
    assert set(english["categories"]) == set(taxonomy.codes)
    assert all(len(english["categories"][c.code]["standards"]) == len(c.standards) for c in taxonomy.categories)


def test_a_city_file_without_english_falls_back_and_inline_english_is_read() -> None:
    own = {"format": "suishoupai-taxonomy/1", "categories": [
        {"code": "E9901", "kind": "event", "major_code": "E99", "major_name": "本市扩展", "name": "路面坑槽",
         "standards": [{"filing_condition": "坑槽", "time_limit": "3天"}]},
        {"code": "E9902", "kind": "event", "major_code": "E99", "major_name": "本市扩展", "name": "路面裂缝",
         "name_en": "Road crack", "major_name_en": "City additions",
         "standards": [{"filing_condition": "裂缝", "filing_condition_en": "Cracked", "time_limit": "3天"}]}]}
    taxonomy = parse_taxonomy(own)
    assert taxonomy.get("E9901").name_en == "" and taxonomy.name_en("E9901", "路面坑槽") == "路面坑槽"
    assert taxonomy.get("E9902").name_en == "Road crack" and taxonomy.get("E9902").major_name_en == "City additions"
    assert taxonomy.get("E9902").standards[0].filing_condition_en == "Cracked"


def test_staff_read_english_names_beside_the_chinese_ones(client) -> None:
    listed = client.get("/api/v1/meta/categories").json()
    manhole = next(c for c in listed["categories"] if c["code"] == "C0101")
    assert manhole["name"] == "上水井盖" and manhole["name_en"] == "Water supply manhole cover"
    assert manhole["major_name_en"] == "Public utilities"
    assert manhole["standards"][0]["filing_condition"] == "缺失、移位、开裂，存在安全隐患的"
    assert manhole["standards"][0]["filing_condition_en"] and manhole["standards"][0]["closing_condition_en"]
    assert all(_english(m["name_en"]) for m in listed["majors"])

    sup = login(client, "supervisor01")
    lng, lat = point_in("ZR04")
    case = submit(client, sup, lng, lat, category_code="C0101", description="井盖缺失")
    staff = client.get(f"/api/v1/cases/{case['id']}", headers=login(client, "operator01")).json()
    assert staff["category_name"] == "上水井盖" and staff["category_name_en"] == "Water supply manhole cover"
    unit = staff["unit"] or staff["suggested_unit"]
    assert unit and unit["name"] and _english(unit["name_en"])
    admin = login(client, "admin")
    units = client.get("/api/v1/org/units", headers=admin).json()
    assert units and all(_english(u["name_en"]) for u in units)
    # An edit without name_en keeps the English name; one with it changes it.
    water = next(u for u in units if u["code"] == "ld_water")
    body = {k: water[k] for k in ("code", "name", "kind", "contact", "phone", "categories", "areas", "active")}
    r = client.put(f"/api/v1/org/units/{water['id']}", json=body, headers=admin)
    assert r.status_code == 200 and r.json()["name_en"] == "Loudi Water Supply Company", r.text
    r = client.put(f"/api/v1/org/units/{water['id']}", json=body | {"name_en": "Loudi Water"}, headers=admin)
    assert r.status_code == 200 and r.json()["name_en"] == "Loudi Water", r.text
