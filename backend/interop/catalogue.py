"""The Open311 service catalogue: one service per 小类 of the taxonomy, grouped by 大类, with its definition.

A definition's attributes are the category's own filing conditions (``condition``: which one applies) and the extra
questions of ``data/questions.json``. Answers are checked here against the definition, so nothing unknown is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.triage.taxonomy import Category, Taxonomy

QUESTIONS_PATH = Path(__file__).parent / "data" / "questions.json"
LIST_TYPES = ("singlevaluelist", "multivaluelist")


class AttributeProblem(ValueError):
    """An answer that does not fit the definition: ``zh`` and ``en`` say why."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    description: str
    order: int
    values: tuple[tuple[str, str], ...] = ()

    def wire(self) -> dict[str, Any]:
        return {"variable": True, "code": self.code, "datatype": self.datatype, "required": self.required,
                "datatype_description": "", "order": self.order, "description": self.description,
                "values": [{"key": k, "name": n} for k, n in self.values]}

    def check(self, raw: list[str]) -> str | list[str]:
        """The answer in its stored form; raises AttributeProblem when it does not fit."""
        if self.datatype == "multivaluelist":
            values = [v for v in raw if v != ""]
        elif len(raw) != 1:
            raise AttributeProblem(f"属性 {self.code} 只能有一个值", f"Attribute {self.code} takes one value")
        else:
            values = raw
        keys = {k for k, _ in self.values}
        if self.datatype in LIST_TYPES:
            bad = [v for v in values if v not in keys]
            if bad:
                raise AttributeProblem(f"属性 {self.code} 的取值无效：{', '.join(bad)}（可选：{', '.join(sorted(keys))}）",
                                       f"Attribute {self.code}: invalid value(s) {', '.join(bad)} "
                                       f"(allowed: {', '.join(sorted(keys))})")
            return values if self.datatype == "multivaluelist" else values[0]
        value = values[0].strip()
        if self.datatype == "number":
            try:
                float(value)
            except ValueError:
                raise AttributeProblem(f"属性 {self.code} 应为数字", f"Attribute {self.code} must be a number") from None
        elif self.datatype == "datetime":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise AttributeProblem(f"属性 {self.code} 应为 W3C 日期时间",
                                       f"Attribute {self.code} must be a W3C datetime") from None
        if len(value) > 500:
            raise AttributeProblem(f"属性 {self.code} 过长（最多 500 字）", f"Attribute {self.code} is too long (500 max)")
        return value


@lru_cache(maxsize=4)
def _questions(path: Path = QUESTIONS_PATH) -> tuple[dict[str, Any], ...]:
    with path.open(encoding="utf-8") as f:
        return tuple(json.load(f)["questions"])


def attributes(category: Category) -> list[Attribute]:
    conditions = tuple((str(i), s.filing_condition) for i, s in enumerate(category.standards))
    found = [Attribute("condition", "singlevaluelist", False, "符合哪一项立案条件？ / Which filing condition applies?",
                       1, conditions)]
    for q in _questions():
        if category.kind in q["applies_to"]:
            found.append(Attribute(q["code"], q["datatype"], bool(q["required"]), q["description"], len(found) + 1,
                                   tuple((v["key"], v["name"]) for v in q.get("values", []))))
    return found


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.kind_zh} · {category.major_name} · {category.name}",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.synonyms[:8]),
        "group": category.major_name,
        "groups": [category.major_name],
    }


def services(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Grouped by 大类 in file order, then by code; a 小类 the city switched off is not offered (its definition stays
    readable for requests made before)."""
    majors = list(taxonomy.majors)
    offered = (c for c in taxonomy.categories if c.code not in taxonomy.disabled)
    ordered = sorted(offered, key=lambda c: (majors.index(c.major_code), c.code))
    return [service(c) for c in ordered]


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": [a.wire() for a in attributes(category)]}


def check_answers(category: Category, answers: dict[str, list[str]]) -> dict[str, Any]:
    """Every answer checked against the category's definition; raises AttributeProblem on the first that fails."""
    known = {a.code: a for a in attributes(category)}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise AttributeProblem(f"服务 {category.code} 没有属性：{', '.join(unknown)}（可用：{', '.join(known)}）",
                               f"Service {category.code} has no attribute {', '.join(unknown)} "
                               f"(available: {', '.join(known)})")
    missing = [code for code, a in known.items() if a.required and code not in answers]
    if missing:
        raise AttributeProblem(f"缺少必填属性：{', '.join(missing)}", f"Missing required attribute(s): {', '.join(missing)}")
    return {code: known[code].check(raw) for code, raw in answers.items()}
