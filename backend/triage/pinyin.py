"""Read pinyin, initials and homophone typos in a report as the city's words: "jing gai diu le" → 井盖 丢了, 景盖 → 井盖.

The dictionary is the classifier's (category names, synonyms, condition phrases, hazard words); a reading is only
produced for a word of that dictionary, so ordinary English or unrelated Chinese is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from pypinyin import lazy_pinyin

_CJK = re.compile(r"[\u4e00-\u9fff]")
_TOKENS = re.compile(r"[\u4e00-\u9fff]|[a-z]+|[^\sa-z\u4e00-\u9fff]+|\s+")
_INITIALS = re.compile(r"[bpmfdtnlgkhjqxzcsryw]{2,4}")
MAX_SYLLABLES = 6
MAX_CHARS = 300  # pinyin and typos are read in the first few hundred characters: a report says what it is early on


@lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    """Every toneless syllable (lv for lü) that a common character is read as."""
    return frozenset(lazy_pinyin("".join(chr(c) for c in range(0x4E00, 0xA000)), errors="ignore"))


def split_syllables(token: str) -> list[str] | None:
    """"jinggai" → ["jing", "gai"]: longest syllable first, with backtracking; None when it is not pinyin."""
    known = syllables()

    @cache
    def parse(start: int) -> tuple[str, ...] | None:
        if start == len(token):
            return ()
        for end in range(min(len(token), start + 6), start, -1):
            if token[start:end] in known:
                rest = parse(end)
                if rest is not None:
                    return (token[start:end], *rest)
        return None

    found = parse(0)
    return list(found) if found is not None else None


@lru_cache(maxsize=30000)
def _syllable(char: str) -> str:
    return lazy_pinyin(char)[0]


def _spell(word: str) -> tuple[str, ...]:
    """Character by character (cached), the same way for the dictionary and the text, so that both read alike."""
    return tuple(_syllable(c) for c in word)


@dataclass(frozen=True)
class Reading:
    source: str  # as written: "jing gai", "景盖", "jg"
    word: str  # the dictionary word it stands for: 井盖


class PinyinReader:
    """Maps toneless syllable sequences (and, for a few words, their initials) to dictionary words."""

    def __init__(self, words: Iterable[str], initials_words: Sequence[str] = ()) -> None:
        self._words: dict[tuple[str, ...], str] = {}
        for word in sorted({w for w in words if 2 <= len(w) <= MAX_SYLLABLES and all(_CJK.match(c) for c in w)},
                           key=lambda w: (-len(w), w)):
            self._words.setdefault(_spell(word), word)
        # Initials ("jg") are ambiguous: only the listed words (the menu's names) are read from them, first listed wins.
        self._initials: dict[str, str] = {}
        for word in initials_words:
            key = "".join(s[0] for s in _spell(word))
            if len(key) >= 2 and _CJK.match(word):
                self._initials.setdefault(key, word)

    def read(self, text: str) -> list[Reading]:
        """The dictionary words that ``text`` (normalised: lower case) spells in pinyin or writes with homophones."""
        items: list[tuple[str, str, bool]] = []  # (syllable, as written, from ascii)
        readings: list[Reading] = []
        chunks: list[list[tuple[str, str, bool]]] = [items]
        for token in _TOKENS.findall(text[:MAX_CHARS]):
            if token.isspace():
                continue  # "jing gai": spaces between syllables do not break a word
            if _CJK.match(token):
                items.append((_syllable(token), token, False))
            elif token.isalpha() and token.isascii():
                parts = split_syllables(token)
                if parts:
                    items.extend((p, p, True) for p in parts)
                    continue
                if _INITIALS.fullmatch(token) and token in self._initials:
                    readings.append(Reading(token, self._initials[token]))
                items = []
                chunks.append(items)
            else:
                items = []
                chunks.append(items)
        for chunk in chunks:
            readings.extend(self._match(chunk))
        return list({r.word: r for r in readings}.values())

    def _match(self, items: list[tuple[str, str, bool]]) -> list[Reading]:
        found: list[Reading] = []
        start = 0
        while start < len(items):
            for size in range(min(MAX_SYLLABLES, len(items) - start), 1, -1):
                window = items[start : start + size]
                word = self._words.get(tuple(s for s, _, _ in window))
                if word is None:
                    continue
                written = "".join(w for _, w, _ in window)
                if written != word:  # pinyin, or a homophone typo; a word written right needs no reading
                    source = " ".join(w for _, w, _ in window) if any(a for _, _, a in window) else written
                    found.append(Reading(source, word))
                start += size
                break
            else:
                start += 1
        return found
