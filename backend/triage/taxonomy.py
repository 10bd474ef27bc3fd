"""The category taxonomy (部件/事件, 大类/小类, filing standards, time limits) loaded from a data file.

File format (``suishoupai-taxonomy/1``, JSON, UTF-8), built by ``scripts/build_taxonomy.py``::

    {
      "format": "suishoupai-taxonomy/1",
      "metadata": {"title", "source", ...},                      # free-form provenance
      "menu": [{"id": "manhole", "name": "井盖", "name_en": "Manhole cover", "codes": ["C0101", ...]}, ...,
               {"id": "other", ..., "catch_all": true}],           # catch_all: the codes no other icon lists
      "condition_cues": [{"condition": ["缺失"], "phrases": ["没了", "missing", ...]}, ...],
      "categories": [{
        "code": "C0101",              # "C" 部件 component / "E" 事件 event + 2-digit 大类 + 2-digit 小类
        "kind": "component",          # or "event"
        "major_code": "C01", "major_name": "公用设施", "name": "上水井盖",
        "synonyms": ["自来水井盖", ...], "synonyms_en": ["manhole cover", ...],   # citizen phrasing
        "department": "...", "supervising_department": "...",
        "standards": [{"filing_condition": "...", "closing_condition": "...", "time_limit": "2紧急工作时",
                       "urgent": true}, ...]                       # urgent optional: derived from the limit if absent
      }, ...]
    }

A city replaces the file (setting ``taxonomy_path``) to use its own codes; ``condition_cues`` and ``menu`` may be empty.

English names (``suishoupai-taxonomy-en/1``) live beside the file as ``<stem>_en.json`` (packaged: ``taxonomy_en.json``)::

    {"format": "suishoupai-taxonomy-en/1", "majors": {"C01": "Public utilities", ...},
     "categories": {"C0101": {"name": "Water supply manhole cover",
                              "standards": [{"filing_condition": "...", "closing_condition": "..."}, ...]}, ...}}

``standards`` follow the order of the Chinese file. A category may also carry ``name_en``/``major_name_en`` and its
standards ``filing_condition_en``/``closing_condition_en`` inline. Missing English is "" (screens fall back to Chinese).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from backend.cases.timelimits import TimeLimit, parse_time_limit
from backend.errors import InvalidInput

PACKAGED_PATH = Path(__file__).parent / "data" / "taxonomy.json"
FORMAT = "suishoupai-taxonomy/1"
FORMAT_EN = "suishoupai-taxonomy-en/1"
Kind = Literal["component", "event"]


@dataclass(frozen=True)
class Standard:
    filing_condition: str
    closing_condition: str
    time_limit: TimeLimit
    urgent: bool
    filing_condition_en: str = ""
    closing_condition_en: str = ""


@dataclass(frozen=True)
class Category:
    code: str
    kind: Kind
    major_code: str
    major_name: str
    name: str
    synonyms: tuple[str, ...]
    standards: tuple[Standard, ...]
    department: str
    supervising_department: str
    synonyms_en: tuple[str, ...] = ()
    name_en: str = ""
    major_name_en: str = ""

    @property
    def kind_zh(self) -> str:
        return "部件" if self.kind == "component" else "事件"


@dataclass(frozen=True)
class MenuItem:
    id: str
    name: str
    name_en: str
    codes: tuple[str, ...]
    catch_all: bool = False  # "其他": every code no other icon lists


@dataclass(frozen=True)
class ConditionCue:
    """Citizen ``phrases`` that point at filing conditions containing one of ``condition``."""

    condition: tuple[str, ...]
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]
    menu: tuple[MenuItem, ...]
    condition_cues: tuple[ConditionCue, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()  # 小类 the city switched off: known (old cases keep them), not offered
    _by_code: dict[str, Category] = field(init=False, repr=False, compare=False)
    _menu_by_key: dict[str, MenuItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {c.code: c for c in self.categories})
        object.__setattr__(self, "_menu_by_key", {k: m for m in self.menu for k in (m.id, m.name, m.name_en.lower())})

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def majors(self) -> dict[str, str]:
        """大类 code → name, in file order."""
        return {c.major_code: c.major_name for c in self.categories}

    @property
    def majors_en(self) -> dict[str, str]:
        """大类 code → English name ("" when the file has none)."""
        return {c.major_code: c.major_name_en for c in self.categories}

    def name_en(self, code: str, fallback: str = "") -> str:
        """The 小类's English name; ``fallback`` for an unknown code or one without English."""
        category = self._by_code.get(_normalise_code(code)) if code else None
        return (category.name_en if category else "") or fallback

    def has(self, code: str) -> bool:
        return _normalise_code(code) in self._by_code

    def get(self, code: str) -> Category:
        category = self._by_code.get(_normalise_code(code))
        if category is None:
            raise InvalidInput(
                f"未知的案件类别代码：{code!r}",
                f"Unknown category code: {code!r}",
                code="taxonomy.unknown_code",
                details={"code": code},
            )
        return category

    def choosable(self, code: str) -> Category:
        """The category for a new report or a new choice: known and not switched off by the city."""
        category = self.get(code)
        if category.code in self.disabled:
            raise InvalidInput(f"类别 {category.code} {category.name} 已停用", f"Category {category.code} is disabled",
                               code="taxonomy.disabled", details={"code": category.code})
        return category

    def menu_item(self, key: str) -> MenuItem:
        item = self._menu_by_key.get(key.strip()) or self._menu_by_key.get(key.strip().lower())
        if item is None:
            raise InvalidInput(
                f"未知的菜单选项：{key!r}",
                f"Unknown menu choice: {key!r}",
                code="taxonomy.unknown_menu",
                details={"menu": key, "allowed": [m.id for m in self.menu]},
            )
        return item

    def search(self, text: str, limit: int = 10) -> list[Category]:
        """Categories whose code, name or synonyms contain ``text`` (or are contained in it), best first."""
        query = text.strip().lower()
        if not query:
            return []
        scored: list[tuple[int, int, Category]] = []
        for index, category in enumerate(self.categories):
            if query == category.code.lower():
                scored.append((1000, index, category))
                continue
            best = 0
            for term in (category.name, *category.synonyms, *category.synonyms_en):
                term = term.lower()
                if query == term:
                    best = max(best, 500 + len(term))
                elif query in term or (len(term) >= 2 and term in query):
                    best = max(best, 100 + min(len(term), len(query)))
            if best:
                scored.append((best, index, category))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [c for _, _, c in scored[:limit]]


def _normalise_code(code: str) -> str:
    return str(code).strip().upper()


def _fail(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(f"分类文件无效（{path}）：{reason}", f"Invalid taxonomy file {path}: {reason}",
                        code="taxonomy.bad_file", details={"path": str(path)})


def _category(raw: dict[str, Any], english: dict[str, Any] | None = None) -> Category:
    english = english or {}
    english_rows = english.get("standards", [])
    standards = []
    for i, s in enumerate(raw.get("standards", [])):
        limit = parse_time_limit(s["time_limit"])
        row_en = english_rows[i] if i < len(english_rows) else {}
        standards.append(Standard(s["filing_condition"], s.get("closing_condition", ""), limit,
                                  bool(s.get("urgent", limit.is_emergency)),
                                  s.get("filing_condition_en") or row_en.get("filing_condition", ""),
                                  s.get("closing_condition_en") or row_en.get("closing_condition", "")))
    if raw["kind"] not in ("component", "event"):
        raise ValueError(f"{raw['code']}: kind must be component or event")
    if not standards:
        raise ValueError(f"{raw['code']}: needs at least one standard")
    return Category(
        code=_normalise_code(raw["code"]), kind=raw["kind"], major_code=raw["major_code"],
        major_name=raw["major_name"], name=raw["name"], synonyms=tuple(raw.get("synonyms", ())),
        standards=tuple(standards), department=raw.get("department", ""),
        supervising_department=raw.get("supervising_department", ""), synonyms_en=tuple(raw.get("synonyms_en", ())),
        name_en=raw.get("name_en") or english.get("name", ""), major_name_en=raw.get("major_name_en", ""),
    )


def parse_taxonomy(data: dict[str, Any], path: Path = PACKAGED_PATH, english: dict[str, Any] | None = None) -> Taxonomy:
    """``english``: the ``suishoupai-taxonomy-en/1`` names (None: only what the file carries inline)."""
    if data.get("format") != FORMAT:
        raise _fail(path, f"format must be {FORMAT!r}")
    english = english or {}
    names_en: dict[str, Any] = english.get("categories", {})
    majors_en: dict[str, str] = english.get("majors", {})
    try:
        categories = tuple(_category(c, names_en.get(_normalise_code(c["code"]))) for c in data["categories"])
        categories = tuple(c if c.major_name_en else replace(c, major_name_en=majors_en.get(c.major_code, ""))
                           for c in categories)
        menu = tuple(MenuItem(m["id"], m["name"], m.get("name_en", ""), tuple(m["codes"]), bool(m.get("catch_all")))
                     for m in data.get("menu", []))
        cues = tuple(ConditionCue(tuple(c["condition"]), tuple(c["phrases"])) for c in data.get("condition_cues", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(path, str(exc)) from exc
    codes = [c.code for c in categories]
    if len(set(codes)) != len(codes):
        raise _fail(path, "duplicate category codes")
    unknown = sorted({code for m in menu for code in m.codes} - set(codes))
    if unknown:
        raise _fail(path, f"menu lists unknown codes {unknown}")
    return Taxonomy(categories, menu, cues, dict(data.get("metadata", {})))


@lru_cache(maxsize=8)
def _load(path: Path) -> Taxonomy:
    english_path = english_path_for(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        english = json.loads(english_path.read_text(encoding="utf-8")) if english_path.exists() else None
    except (OSError, ValueError) as exc:
        raise _fail(path, str(exc)) from exc
    if english is not None and english.get("format") != FORMAT_EN:
        raise _fail(english_path, f"format must be {FORMAT_EN!r}")
    return parse_taxonomy(data, path, english)


def english_path_for(path: Path) -> Path:
    """Where a taxonomy file's English names live: ``<stem>_en.json`` beside it."""
    return path.with_name(f"{path.stem}_en.json")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load (once per path) the taxonomy file; ``None`` or ``""`` means the packaged one."""
    return _load(Path(path).resolve() if path else PACKAGED_PATH)
