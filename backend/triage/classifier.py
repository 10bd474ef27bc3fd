"""Classify a report: the top-3 小类 with calibrated confidence, the matching filing standard, urgency and reasons.

Signals, combined in log space: the text model (a calibrated linear model over words, character n-grams, English and
the words read from pinyin and typos), the citizen's menu icon, surveyed components nearby, and optional photo scores.
The hazard lexicon (data/hazards.json) makes a report urgent whatever the model says. A supervisor's code is taken as
given. The top confidence is what the model's out-of-fold answers at that probability were worth (``Model.confidence``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from backend.cases.timelimits import TimeLimit
from backend.errors import InvalidInput
from backend.triage.hazards import HazardHit, HazardLexicon, load_hazards
from backend.triage.pinyin import Reading
from backend.triage.taxonomy import Category, MenuItem, Taxonomy, load_taxonomy
from backend.triage.textmodel import MAX_CHARS, PACKAGED_MODEL, Model, normalise, softmax

ReasonKind = Literal["word", "pinyin", "hazard", "menu", "component", "image", "supervisor_code"]
TOP_K = 3
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_ASCII_WORDS = re.compile(r"[a-z0-9][a-z0-9'-]*")
_SPLIT_CONDITION = re.compile(r"[、，,。；;（）()：:\s]+")


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    kind: str
    major_code: str
    major_name: str
    confidence: float
    standard_index: int
    filing_condition: str
    urgent: bool
    time_limit: TimeLimit
    reasons: list[Reason]
    name_en: str = ""  # English names ("" when the taxonomy has none)
    filing_condition_en: str = ""


@dataclass(frozen=True)
class ClassifyInput:
    text: str = ""
    menu: str | None = None  # a menu item's id or Chinese name
    code: str | None = None  # a supervisor's 小类 code, taken as given
    nearby_component_codes: Sequence[str] = ()
    image_scores: Mapping[str, float] | None = None


@dataclass(frozen=True)
class ClassifyResult:
    suggestions: list[Suggestion]
    model_version: str
    auto: bool = False  # set by the caller's policy (settings.auto_classify_threshold)
    notes: list[str] = field(default_factory=list)  # stable codes: text.empty, text.truncated, ...
    # The report's urgency (紧急) judged from the whole distribution, not only the top suggestion's standard: the
    # probability mass of urgent standards over all 小类 mixed with the urgency model's score. ``urgent`` can be True
    # while the top suggestion's own standard is not urgent (its 小类 has no urgent standard, or it is the wrong one).
    urgent: bool = False
    urgency: float = 0.0  # 0..1; ``urgent`` is ``urgency >= Weights.urgency_threshold`` or a hazard was found
    hazards: list[str] = field(default_factory=list)  # ids of the hazards found (data/hazards.json): urgent whatever
    auto_threshold: float | None = None  # the model's auto-accept threshold (calibrated for a stated precision)

    @property
    def top(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None

    def decide(self, threshold: float) -> ClassifyResult:
        """Auto-classify when the best suggestion's confidence reaches ``threshold``."""
        return replace(self, auto=bool(self.top and self.top.confidence >= threshold))


@dataclass(frozen=True)
class Weights:
    """Log-space weights of the non-text signals (tuned by cross-validation on the train split)."""

    word: float = 0.0  # a taxonomy word found in the text: shown as a reason; the model already weighs words, and a
    # boost on top of the calibrated probabilities made one keyword alone "100%"
    # The icon as evidence: if citizens pick an icon that holds their 小类 about 9 times in 10 and otherwise one of the
    # dozen others, the icon multiplies the odds of its 小类 by about 100. (It was 20 while binary unnormalised features
    # left vague texts nearly flat; with L2-normalised features "坏了，快来修" gives its best 小类 0.12 and 路灯 0.002.)
    menu: float = math.log(100.0)
    component: float = math.log(8.0)
    image: float = 1.0
    contradiction: float = 0.5  # text-only probability above which a text outside the menu counts as contradicting
    # Urgency: z = mass_weight·logit(mass) + model_weight·(urgency model logit) + bias, where mass is the probability of
    # an urgent standard under the distribution softened by urgency_temperature (a 小类 whose text matches no filing
    # condition counts with the share of its standards that are urgent); urgent when sigmoid(z) >= urgency_threshold.
    # Chosen by 4-fold cross-validation inside the train split (out-of-fold: recall 97.3%, precision 82.8%): urgent
    # as soon as urgent standards hold about 3% of the probability, i.e. recall is bought with some false alarms.
    urgency_temperature: float = 1.0
    urgency_mass_weight: float = 1.0
    urgency_model_weight: float = 0.1
    urgency_bias: float = 3.375
    urgency_threshold: float = 0.5


class Classifier:
    def __init__(self, taxonomy: Taxonomy, model: Model, weights: Weights | None = None,
                 hazards: HazardLexicon | None = None) -> None:
        self.taxonomy = taxonomy
        self.model = model
        self.weights = weights or Weights()
        self.hazards = hazards or load_hazards()
        model_index = {code: i for i, code in enumerate(model.classes)}
        self._model_index = np.array([model_index.get(c, -1) for c in taxonomy.codes])
        self._terms = [_terms(c) for c in taxonomy.categories]
        # terms by their first character (Chinese) or first word (English): a report is checked against the few
        # terms that can start in it, not all 2,000
        self._term_index: dict[str, list[tuple[int, str]]] = {}
        for i, terms in enumerate(self._terms):
            for term in terms:
                self._term_index.setdefault(term.split()[0] if term.isascii() else term[0], []).append((i, term))
        self._term_keys = frozenset(self._term_index)
        self._index = {code: i for i, code in enumerate(taxonomy.codes)}
        self._standard_cues = [_standard_cues(taxonomy, c) for c in taxonomy.categories]
        # per 小类, the cues and phrases any of its standards uses: most 小类 match nothing and are skipped at once
        self._category_cues = [frozenset(j for _, cues, _ in s for j in cues) for s in self._standard_cues]
        self._category_parts = [frozenset(p for _, _, parts in s for p in parts) for s in self._standard_cues]
        self._all_parts = sorted(frozenset().union(*self._category_parts))
        self._urgent_share = [sum(s.urgent for s in c.standards) / max(1, len(c.standards)) for c in taxonomy.categories]

    @classmethod
    def load(cls, taxonomy: Taxonomy | None = None, model_path: str | Path | None = None,
             weights: Weights | None = None) -> Classifier:
        return cls(taxonomy or load_taxonomy(), Model.load(model_path or PACKAGED_MODEL), weights)

    @property
    def auto_threshold(self) -> float | None:
        """The confidence from which the model's answers were right at its stated precision (None: not calibrated)."""
        return self.model.auto_threshold

    def classify(self, report: ClassifyInput) -> ClassifyResult:
        raw = "" if report.text is None else str(report.text)
        text = normalise(raw)
        notes = ["text.truncated"] if len(raw) > MAX_CHARS else []
        version, threshold = self.model.version, self.model.auto_threshold
        if report.code:
            category = self.taxonomy.get(report.code)
            reason = Reason("supervisor_code", f"监督员指定类别 {category.code}", f"Code {category.code} given by a supervisor")
            given = self._suggest(category, 1.0, text, [reason])
            return ClassifyResult([given], version, notes=notes, urgent=given.urgent,
                                  urgency=1.0 if given.urgent else 0.0, auto_threshold=threshold)
        menu = self.taxonomy.menu_item(report.menu) if report.menu else None
        if not _MEANINGFUL.search(text):
            notes.append("text.empty")
            text = ""

        readings = self.model.reader.read(text) if text else []
        read = text + "".join(" " + r.word for r in readings)  # the text as the model and the lexicon read it
        text_scores, urgency_logit = self._text_scores(read)
        words = self._word_hits(read)
        for i, (term, _) in words.items():
            text_scores[i] += self.weights.word * (0.5 + 0.5 * min(_length(term), 4) / 4)
        text_probs = softmax(text_scores)

        scores = text_scores.copy()
        reasons: dict[int, list[Reason]] = {i: [] for i in range(len(scores))}
        for i, (term, _) in words.items():
            reasons[i].append(Reason("word", f"描述中有“{term}”", f"the description mentions “{term}”"))
        menu_set = self._apply_menu(menu, scores, reasons)
        self._apply_components(report.nearby_component_codes, scores, reasons, notes)
        self._apply_image(report.image_scores, scores, reasons)

        probs = softmax(scores)
        order = np.argsort(-probs)[:TOP_K]
        if text:
            probs = self._calibrated(probs, order)
        if menu is not None and menu_set and int(order[0]) not in menu_set:
            best_text = int(np.argmax(text_probs))
            if best_text not in menu_set and text_probs[best_text] >= self.weights.contradiction:
                reasons[int(order[0])].append(Reason(
                    "menu", f"描述内容与所选菜单“{menu.name}”不符，以描述为准",
                    f"the description contradicts the chosen menu icon “{menu.name_en or menu.name}”; the text wins"))
        fallback = Reason("word", "与已标注的相似描述接近（文本模型）", "close to similar labelled descriptions (text model)")
        if not text:
            fallback = Reason("word", "描述为空或无法识别，按类别常见程度排列",
                              "no readable description: ordered by how common each category is")
        found_hazards = self.hazards.find(read) if read else []
        hits = cue_hits(self.taxonomy, read)
        hit_cues = {j for j, hit in enumerate(hits) if hit}
        found = {p for p in self._all_parts if p in read}
        picks = [_pick(standards, hits, read, None) if not (cues.isdisjoint(hit_cues) and parts.isdisjoint(found))
                 else (0, []) for standards, cues, parts in zip(self._standard_cues, self._category_cues,
                                                                 self._category_parts)]
        urgency = self.urgency(probs, picks, urgency_logit if text else None)
        urgent = urgency >= self.weights.urgency_threshold or bool(found_hazards)
        if found_hazards:
            urgency = max(urgency, 0.99)
        suggestions = []
        for rank, i in enumerate(order):
            category = self.taxonomy.categories[int(i)]
            why = reasons[int(i)] or [fallback]
            if rank == 0:
                why = [*_hazard_reasons(found_hazards), *_pinyin_reasons(readings), *why]
            if found_hazards and any(s.urgent for s in category.standards):
                # a hazard: the deadline is an urgent standard's, the one whose condition the text matches best
                pick = _pick(self._standard_cues[int(i)], hits, read, True, only_urgent=True)
            else:
                pick = picks[int(i)] if picks[int(i)][1] else _pick(self._standard_cues[int(i)], hits, read, urgent)
            suggestions.append(self._suggest(category, float(probs[i]), read, why, pick))
        return ClassifyResult(suggestions, version, notes=notes, urgent=urgent, urgency=round(urgency, 4),
                              hazards=[h.hazard.id for h in found_hazards], auto_threshold=threshold)

    def _calibrated(self, probs: np.ndarray, order: np.ndarray) -> np.ndarray:
        """The top answer's probability replaced by what such answers were worth out of fold; the others scaled to
        share the rest, never above the top."""
        top = float(probs[order[0]])
        confidence = self.model.confidence(top)
        if confidence == top:
            return probs
        rest = probs.copy()
        rest[order[0]] = 0.0
        mass = float(rest.sum())
        scaled = rest * ((1.0 - confidence) / mass) if mass > 0 else rest
        scaled = np.minimum(scaled, confidence)
        scaled[order[0]] = confidence
        return scaled

    def urgency(self, probs: np.ndarray, picks: Sequence[tuple[int, list[str]]], model_logit: float | None) -> float:
        """Probability that the report is 紧急, from the whole distribution over 小类 and the urgency model.

        Each 小类 contributes, with its (softened) probability, the urgency of the standard its filing condition phrases
        pick (``picks``, one per 小类), or, when no phrase matches, the share of its standards that are urgent.
        """
        w = self.weights
        softened = probs ** (1.0 / w.urgency_temperature)
        softened /= softened.sum()
        shares = np.array([float(c.standards[index].urgent) if phrases else share
                           for c, (index, phrases), share in zip(self.taxonomy.categories, picks, self._urgent_share)])
        mass = min(max(float(softened @ shares), 1e-4), 1 - 1e-4)
        z = w.urgency_mass_weight * math.log(mass / (1 - mass)) + w.urgency_bias
        if model_logit is not None:
            z += w.urgency_model_weight * model_logit
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def _model_scores(self, read: str) -> tuple[np.ndarray, float | None]:
        logits, urgency = self.model.scores(read, expanded=True)
        floor = float(logits.min())
        return np.where(self._model_index >= 0, logits[np.maximum(self._model_index, 0)], floor), urgency

    def _text_scores(self, read: str) -> tuple[np.ndarray, float | None]:
        scores, urgency = self._model_scores(read)
        shifted = scores - scores.max()
        return shifted - np.log(np.exp(shifted).sum()), urgency  # log-softmax: no log(0) when a class underflows

    def _word_hits(self, text: str) -> dict[int, tuple[str, int]]:
        """Per category, its longest taxonomy word found in the text."""
        hits: dict[int, tuple[str, int]] = {}
        if not text:
            return hits
        keys = set(text) | set(_ASCII_WORDS.findall(text))
        for key in keys & self._term_keys:
            for i, term in self._term_index[key]:
                if _contains(text, term) and (i not in hits or _length(term) > _length(hits[i][0])):
                    hits[i] = (term, _length(term))
        return hits

    def _apply_menu(self, menu: MenuItem | None, scores: np.ndarray, reasons: dict[int, list[Reason]]) -> set[int]:
        if menu is None:
            return set()
        members = {self._index[c] for c in menu.codes}
        for i in members:
            scores[i] += self.weights.menu
            reasons[i].append(Reason("menu", f"符合所选菜单“{menu.name}”", f"matches the chosen menu icon “{menu.name_en}”"))
        return members

    def _apply_components(self, codes: Sequence[str], scores: np.ndarray, reasons: dict[int, list[Reason]],
                          notes: list[str]) -> None:
        for code in dict.fromkeys(str(c).strip().upper() for c in codes or ()):
            i = self._index.get(code)
            if i is None or self.taxonomy.categories[i].kind != "component":
                notes.append("component.unknown_code")
                continue
            # A generic description ("井盖没了") near a surveyed 污水井盖 is that 污水井盖: the component inherits the
            # best text score of its menu family before the boost.
            family = [j for item in self.taxonomy.menu if not item.catch_all and code in item.codes
                      for j in (self._index[c] for c in item.codes)]
            scores[i] = max([scores[i], *(scores[j] for j in family)]) + self.weights.component
            name = self.taxonomy.categories[i].name
            reasons[i].append(Reason("component", f"附近有已普查的部件“{name}”", f"a surveyed {code} ({name}) is nearby"))

    def _apply_image(self, image_scores: Mapping[str, float] | None, scores: np.ndarray,
                     reasons: dict[int, list[Reason]]) -> None:
        if not image_scores:
            return
        given: dict[int, float] = {}
        for code, value in image_scores.items():
            try:
                p = float(value)
            except (TypeError, ValueError):
                p = math.nan
            if not 0.0 <= p <= 1.0:
                raise InvalidInput("照片识别分数无效", "Image scores must be probabilities between 0 and 1",
                                   code="classify.bad_image_scores", details={"code": str(code)})
            i = self._index.get(str(code).strip().upper())
            if i is not None:
                given[i] = max(given.get(i, 0.0), p)
        if not given:
            return
        rest = max(0.0, 1.0 - sum(given.values())) / max(1, len(scores) - len(given))
        probs = np.full(len(scores), rest)
        for i, p in given.items():
            probs[i] = p
        scores += self.weights.image * np.log(np.clip(probs, 0.01, 1.0))
        for i, p in given.items():
            if p >= 0.2:
                reasons[i].append(Reason("image", f"照片识别为该类（{p:.0%}）", f"the photo looks like this category ({p:.0%})"))

    def _suggest(self, category: Category, confidence: float, text: str, reasons: list[Reason],
                 pick: tuple[int, list[str]] | None = None) -> Suggestion:
        index, phrases = pick or pick_standard(self.taxonomy, category, text)
        standard = category.standards[index]
        if phrases:
            reasons = [*reasons, Reason("word", f"“{'、'.join(phrases)}”符合立案条件：{standard.filing_condition}",
                                        f"“{', '.join(phrases)}” matches the filing condition: "
                                        f"{standard.filing_condition_en or standard.filing_condition}")]
        return Suggestion(
            code=category.code, name=category.name, kind=category.kind, major_code=category.major_code,
            major_name=category.major_name, confidence=round(min(1.0, max(0.0, confidence)), 4), standard_index=index,
            filing_condition=standard.filing_condition, urgent=standard.urgent, time_limit=standard.time_limit,
            reasons=reasons, name_en=category.name_en, filing_condition_en=standard.filing_condition_en,
        )


def pick_standard(taxonomy: Taxonomy, category: Category, text: str, *,
                  prefer_urgent: bool | None = None) -> tuple[int, list[str]]:
    """The standard whose filing condition the text matches best; ties go to an urgent one, then the first.

    When no phrase matches: the first standard (``prefer_urgent`` None), else the first urgent (True) or not urgent
    (False) one if there is one. The classifier passes its whole-report urgency, so a text that matches no filing
    condition no longer gets the first standard, often the urgent one, by default.
    """
    return _pick(_standard_cues(taxonomy, category), cue_hits(taxonomy, text), text, prefer_urgent)


StandardCues = list[tuple[bool, tuple[int, ...], tuple[str, ...]]]  # per standard: urgent, its cues, its phrases


def _standard_cues(taxonomy: Taxonomy, category: Category) -> StandardCues:
    return [(standard.urgent,
             tuple(j for j, cue in enumerate(taxonomy.condition_cues)
                   if any(c in standard.filing_condition for c in cue.condition)),
             tuple(p for p in _SPLIT_CONDITION.split(standard.filing_condition) if len(p) >= 2))
            for standard in category.standards]


def cue_hits(taxonomy: Taxonomy, text: str) -> list[str | None]:
    """Per condition cue, its first phrase found in ``text`` (None if none): computed once per report."""
    return [next((p for p in cue.phrases if _contains(text, p.lower())), None) for cue in taxonomy.condition_cues]


def _pick(standards: StandardCues, hits_by_cue: list[str | None], text: str,
          prefer_urgent: bool | None, *, only_urgent: bool = False) -> tuple[int, list[str]]:
    best: tuple[float, int, int, list[str]] = (0.0, 0, 0, [])
    for index, (urgent, cues, parts) in enumerate(standards):
        if only_urgent and not urgent:
            continue
        hits: list[str] = []
        for j in cues:
            hit = hits_by_cue[j]
            if hit and hit not in hits:
                hits.append(hit)
        for part in parts:
            if part in text and part not in hits:
                hits.append(part)
        key = (float(len(hits)), int(urgent) if hits else 0, -index, hits)
        if key[:3] > best[:3]:
            best = key
    if not best[3] and prefer_urgent is not None:
        return next((i for i, s in enumerate(standards) if s[0] == prefer_urgent), 0), []
    return -best[2], best[3]


def _hazard_reasons(hits: Sequence[HazardHit]) -> list[Reason]:
    return [Reason("hazard", f"危险情况：{h.hazard.name}（“{h.matched}”），按紧急处理",
                   f"hazard: {h.hazard.name_en} (“{h.matched}”), handled as urgent") for h in hits]


def _pinyin_reasons(readings: Sequence[Reading]) -> list[Reason]:
    return [Reason("pinyin", f"“{r.source}”读作“{r.word}”", f"“{r.source}” read as “{r.word}”") for r in readings]


def _terms(category: Category) -> list[str]:
    parts = {p for p in re.split(r"[（）()、，,]", category.name) if len(p) >= 2}
    terms = parts | {s.lower() for s in category.synonyms} | {s.lower() for s in category.synonyms_en}
    return sorted(t for t in terms if t)


def _length(term: str) -> int:
    return len(term) if _MEANINGFUL.search(term) and not term.isascii() else 2 * len(term.split())


def _contains(text: str, term: str) -> bool:
    if not term:
        return False
    if term.isascii():
        return _ascii_term(term).search(text) is not None
    return term in text


@lru_cache(maxsize=4096)
def _ascii_term(term: str) -> re.Pattern[str]:
    """An English term as a whole word ("bin" is not in "cabinet"); compiled once."""
    return re.compile(r"(?<![a-z])" + re.escape(term) + r"(?![a-z])")
