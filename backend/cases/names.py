"""English names of the 小类 for case outputs.

The taxonomy belongs to triage, a layer above cases, so triage registers the English names here when it loads one;
cases read them by code. A code without an English name (a city's own addition, or none registered yet) gives the
fallback, which is the stored Chinese name.
"""

from __future__ import annotations

from collections.abc import Mapping

_category_names_en: dict[str, str] = {}


def register_category_names_en(names: Mapping[str, str]) -> None:
    """Replace the registered 小类 code → English name table."""
    _category_names_en.clear()
    _category_names_en.update({code: name for code, name in names.items() if name})


def category_name_en(code: str, fallback: str = "") -> str:
    return (_category_names_en.get(code, "") if code else "") or fallback
