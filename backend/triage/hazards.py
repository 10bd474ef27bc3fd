"""The hazard safety net: a lexicon (data/hazards.json) of dangers that make a report urgent whatever the model says.

Gas, a collapse or hole, a live wire, an open manhole, fire or smoke, deep water, a fallen tree or pole, people
trapped, steam or hot water, a burst main, things falling from a height, dark traffic signals, exposed rebar and a
reporter who says it is dangerous. A hit right after a negation ("没有漏气", "no smell of gas") does not count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from backend.errors import InvalidInput

PACKAGED_PATH = Path(__file__).parent / "data" / "hazards.json"
FORMAT = "suishoupai-hazards/1"
# Between a negation and the hazard words: nothing, or a verb of noticing ("没闻到煤气味", "没发现漏电").
_FILLERS = ("", "有", "闻到", "闻见", "发现", "看到", "看见", "听到", "再", "是", "在", "会", "存在", "有什么", "什么", "smell ", "see ")
_CLAUSE = re.compile(r"[，,。.!！?？;；\n]")


@dataclass(frozen=True)
class Hazard:
    id: str
    name: str
    name_en: str
    codes: tuple[str, ...]  # the 小类 this hazard usually is (informative; the model still ranks the categories)
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class HazardHit:
    hazard: Hazard
    matched: str  # the words of the report that matched


class HazardLexicon:
    def __init__(self, hazards: tuple[Hazard, ...], negations: tuple[str, ...]) -> None:
        self.hazards = hazards
        words = "|".join(re.escape(n) for n in sorted(negations, key=len, reverse=True))
        fillers = "|".join(re.escape(f) for f in sorted(_FILLERS, key=len, reverse=True))
        self._negated = re.compile(rf"(?:{words})(?:{fillers})$")

    def find(self, text: str) -> list[HazardHit]:
        """The hazards ``text`` (normalised, lower case) mentions, each once, with the words that matched."""
        hits: list[HazardHit] = []
        for hazard in self.hazards:
            for pattern in hazard.patterns:
                match = next((m for m in pattern.finditer(text) if m.group(0) and not self._is_negated(text, m.start())),
                             None)
                if match is not None:
                    hits.append(HazardHit(hazard, match.group(0).strip()))
                    break
        return hits

    def _is_negated(self, text: str, start: int) -> bool:
        clause = _CLAUSE.split(text[:start])[-1]
        return bool(self._negated.search(clause[-8:]))


def _fail(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(f"危险情况词表无效（{path}）：{reason}", f"Invalid hazard lexicon {path}: {reason}",
                        code="hazards.bad_file", details={"path": str(path)})


@lru_cache(maxsize=4)
def load_hazards(path: Path = PACKAGED_PATH) -> HazardLexicon:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format must be {FORMAT!r}")
        hazards = tuple(
            Hazard(h["id"], h["name"], h["name_en"], tuple(h.get("codes", ())),
                   tuple(re.compile(p) for p in h["patterns"]))
            for h in data["hazards"]
        )
        return HazardLexicon(hazards, tuple(data.get("negations", ())))
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        raise _fail(path, str(exc)) from exc
