"""Search keys of a place name: the name itself, its pinyin and its initials, each with and without the generic suffix
(街道, 社区, 路 …), so that 长青, changqing, cq and cqjd all find 长青街道; and the same normal form for a query."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Longest first: 社区卫生服务中心 before 中心.
SUFFIXES = ("社区卫生服务中心", "经济技术开发区", "农贸市场", "责任网格", "街道", "社区", "新区", "大道", "公园", "小学",
            "广场", "体育馆", "区", "路", "街")
_CJK = re.compile(r"[\u3400-\u9fff]")
_JUNK = re.compile(r"[\s\u00b7·,，。.;；:：'\"“”‘’()（）\[\]【】<>《》/\\|_-]+")
_MEANINGFUL = re.compile(r"[0-9a-z\u3400-\u9fff]")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, separators and spaces removed."""
    return _JUNK.sub("", unicodedata.normalize("NFKC", text).lower())


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def meaningful(text: str) -> bool:
    """Whether a normalised query holds anything a place name could match (a letter, a digit or a CJK character)."""
    return bool(_MEANINGFUL.search(text))


def pinyin(text: str) -> str:
    """``长青街道`` → ``changqingjiedao``; characters that are not Chinese stay as they are (lower case)."""
    return "".join(lazy_pinyin(text, errors=lambda s: s.lower())).lower()


def initials(text: str) -> str:
    """``长青街道`` → ``cqjd``."""
    # ``errors`` returning a list keeps each character of a run that is not Chinese as an item of its own: ``A1路`` →
    # ``a1l``, not ``al``. pypinyin documents list results (and handles them), but its annotation allows a string only.
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER,
                          errors=_each_character)  # type: ignore[arg-type]  # pypinyin's annotation: str results only
    return "".join(p[0] for p in letters if p)


def _each_character(run: str) -> list[str]:
    return list(run.lower())


def stem(name: str) -> str:
    """The name without its generic suffix: ``长青街道`` → ``长青``; a name that is all suffix stays whole."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=4096)
def name_keys(name: str) -> tuple[str, ...]:
    """Every key a query may equal or begin with to find ``name`` (deduplicated, in order)."""
    short = stem(name)
    keys = [normalise(name), normalise(short), pinyin(name), pinyin(short), initials(name), initials(short)]
    return tuple(dict.fromkeys(k for k in keys if k))
