"""The learned part of triage at run time: a calibrated linear model over jieba words, character n-grams, English
words and the words read from pinyin and typos, stored as ``.npz`` (numpy only, no pickle, no scikit-learn).

Trained by ``backend/triage/training.py`` (scikit-learn, a training extra) from the labelled corpus
(data/classification/, train split), synthetic examples built from the taxonomy's names, synonyms and condition
phrases, and operators' corrections passed in as ``(text, code)`` pairs: ``suishoupai classify --retrain``.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import threading
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from backend.triage.pinyin import PinyinReader
from backend.triage.taxonomy import Taxonomy

DATA_DIR = Path(__file__).parent / "data"
PACKAGED_MODEL = DATA_DIR / "textmodel.npz"
USER_DICT = DATA_DIR / "userdict.txt"
HAZARDS = DATA_DIR / "hazards.json"
CORPUS_DIR = DATA_DIR / "classification"  # packaged: `classify --retrain` must work from an installed wheel
MAX_CHARS = 2000  # a longer description adds nothing a 2,000-character one does not say
Example = tuple[str, str]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Weights per kind of feature, then the vector is scaled to unit length (L2): chosen by 4-fold cross-validation inside
# the train split (scripts/tune_classifier.py). Characters alone (c1) count more than their pairs and triples once the
# vector is normalised: short reports ("灯不亮") are mostly single characters.
FEATURE_WEIGHTS = {"w": 1.0, "c1": 2.5, "c2": 1.0, "c3": 0.6, "e": 1.5, "e2": 1.0}
# Models saved before the weights and the normalisation were stored in the file: binary features with these weights.
LEGACY_FEATURE_WEIGHTS = {"w": 1.0, "c1": 1.0, "c2": 1.0, "c3": 0.6, "e": 1.0, "e2": 1.0}
_STOPWORDS = frozenset(
    ["a", "an", "the", "on", "in", "at", "of", "to", "for", "and", "or", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "there", "here", "my", "our", "your", "with", "by", "from", "near", "after", "before", "again", "very", "so", "too", "all", "over", "up", "down", "out", "off", "into", "onto", "just", "some"]
)


def normalise(text: str, max_chars: int = MAX_CHARS) -> str:
    """NFKC, lower case, control characters removed, whitespace collapsed, truncated."""
    text = unicodedata.normalize("NFKC", str(text or ""))[: max_chars * 2]
    text = _CONTROL.sub(" ", text).lower()
    return " ".join(text.split())[:max_chars]


class Segmenter:
    """A private jieba tokenizer with our dictionary; initialised once, lazily and quietly."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(words)
        self._tokenizer: object | None = None
        self._lock = threading.Lock()

    def _ready(self) -> object:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    logging.getLogger("jieba").setLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    for word in self.words:
                        tokenizer.add_word(word, freq=max(2000, 400 * len(word)))
                    self._tokenizer = tokenizer
        return self._tokenizer

    def cut(self, text: str) -> list[str]:
        return [w for w in self._ready().lcut(text, HMM=True) if _CJK.search(w)]  # type: ignore[attr-defined]


@lru_cache(maxsize=4)
def segmenter_for(words: tuple[str, ...]) -> Segmenter:
    """One segmenter per dictionary: jieba's initialisation costs about a second."""
    return Segmenter(words)


def dictionary_words(taxonomy: Taxonomy, user_dict: Path = USER_DICT) -> list[str]:
    """Category names, synonyms, condition phrases (Chinese only) and the hand-made user dictionary."""
    words: set[str] = set()
    for category in taxonomy.categories:
        words.update(re.split(r"[（）()、，,]", category.name))
        words.update(category.synonyms)
    for cue in taxonomy.condition_cues:
        words.update(cue.phrases)
    if user_dict.exists():
        words.update(line.split()[0] for line in user_dict.read_text(encoding="utf-8").splitlines() if line.strip())
    if HAZARDS.exists():
        words.update(w for h in json.loads(HAZARDS.read_text(encoding="utf-8"))["hazards"] for w in h.get("words", ()))
    return sorted(w for w in words if len(w) >= 2 and _CJK.search(w))


@lru_cache(maxsize=4)
def reader_for(words: tuple[str, ...], initials: tuple[str, ...] = ()) -> PinyinReader:
    """One pinyin reader per dictionary (built in ~0.1 s)."""
    return PinyinReader(words, initials)


def expand(text: str, reader: PinyinReader | None) -> str:
    """The normalised text followed by the words its pinyin and typos stand for ("jing gai diu le 井盖丢了")."""
    text = normalise(text)
    if reader is None:
        return text
    readings = reader.read(text)
    return text + "".join(" " + r.word for r in readings) if readings else text


def featurize(text: str, segmenter: Segmenter, reader: PinyinReader | None = None,
              weights: Mapping[str, float] | None = None, l2: bool = True) -> dict[str, float]:
    """Binary features, weighted by kind (``weights``, default ``FEATURE_WEIGHTS``): w: jieba words, c1–c3: character
    n-grams, e/e2: English words and pairs; with a ``reader``, over the text followed by the words read from its pinyin
    and typos; with ``l2``, scaled to unit length."""
    weights = FEATURE_WEIGHTS if weights is None else weights
    text = expand(text, reader)
    features: dict[str, float] = {}
    for run in _RUNS.findall(text):
        if _CJK.match(run):
            for word in segmenter.cut(run):
                features["w:" + word] = weights["w"]
            for n in (1, 2, 3):
                for i in range(len(run) - n + 1):
                    features[f"c{n}:" + run[i : i + n]] = weights[f"c{n}"]
    english = [_stem(w) for w in _RUNS.findall(text) if not _CJK.match(w) and not w.isdigit() and w not in _STOPWORDS]
    for word in english:
        features["e:" + word] = weights["e"]
    for a, b in pairwise(english):
        features[f"e2:{a} {b}"] = weights["e2"]
    if l2 and features:
        norm = math.sqrt(sum(v * v for v in features.values()))
        features = {k: v / norm for k, v in features.items()}
    return features


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@dataclass
class Model:
    classes: list[str]
    vocabulary: dict[str, int]
    weights: np.ndarray  # features × classes
    intercept: np.ndarray  # classes
    temperature: float  # the calibration: probabilities are softmax((features @ weights + intercept) / temperature)
    words: list[str]  # the segmenter's and the pinyin reader's dictionary the model was trained with
    version: str
    _segmenter: Segmenter | None = None
    # A separate binary urgency model over the same features (None in models saved before it existed): its logit is
    # ``values @ urgency_weights + urgency_intercept``; the classifier mixes it with the category distribution.
    urgency_weights: np.ndarray | None = None
    urgency_intercept: float = 0.0
    initials: list[str] = field(default_factory=list)  # words the pinyin reader also reads from initials (jg → 井盖)
    # Auto-accept: the lowest confidence at which out-of-fold answers were right ``auto_precision`` of the time (None:
    # a model saved without one; the caller's setting decides).
    auto_threshold: float | None = None
    auto_precision: float | None = None
    # (x, y) knots mapping the top probability onto the out-of-fold accuracy (None: the probability is used as is)
    confidence_knots: np.ndarray | None = None
    _reader: PinyinReader | None = None
    # How the features were built (stored in the file since format lin-2; None: a model saved before, built with
    # ``LEGACY_FEATURE_WEIGHTS`` and no normalisation)
    feature_weights: dict[str, float] | None = None
    l2: bool = False

    @property
    def segmenter(self) -> Segmenter:
        if self._segmenter is None:
            self._segmenter = segmenter_for(tuple(self.words))
        return self._segmenter

    @property
    def reader(self) -> PinyinReader:
        if self._reader is None:
            self._reader = reader_for(tuple(self.words), tuple(self.initials))
        return self._reader

    def logits(self, text: str) -> np.ndarray:
        """Tempered scores per class; their softmax is the calibrated text-only probability."""
        return self.scores(text)[0]

    def scores(self, text: str, *, expanded: bool = False) -> tuple[np.ndarray, float | None]:
        """The tempered class scores and the urgency model's logit (None without one), from one featurization;
        ``expanded``: the text is already followed by its pinyin readings (the classifier reads them once)."""
        indices, values = [], []
        weights = LEGACY_FEATURE_WEIGHTS if self.feature_weights is None else self.feature_weights
        for feature, value in featurize(text, self.segmenter, None if expanded else self.reader, weights,
                                        self.l2).items():
            index = self.vocabulary.get(feature)
            if index is not None:
                indices.append(index)
                values.append(value)
        scores = self.intercept.copy()
        urgency = None if self.urgency_weights is None else float(self.urgency_intercept)
        if indices:
            vector = np.asarray(values, dtype=np.float32)
            scores += vector @ self.weights[indices]
            if self.urgency_weights is not None and urgency is not None:  # urgency is None only without weights
                urgency += float(vector @ self.urgency_weights[indices])
        return scores / self.temperature, urgency

    def predict_proba(self, text: str) -> np.ndarray:
        return softmax(self.logits(text))

    def confidence(self, top: float) -> float:
        """How often an answer with top probability ``top`` was right out of fold (``top`` without knots)."""
        if self.confidence_knots is None:
            return top
        return float(np.interp(top, self.confidence_knots[0], self.confidence_knots[1]))

    def save(self, path: str | Path) -> None:
        """Write the ``.npz`` byte for byte the same for the same model: fixed zip timestamps, sorted entries."""
        features = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        arrays: dict[str, np.ndarray] = {
            "classes": np.array(self.classes), "features": np.array(features),
            "weights": np.where(np.abs(self.weights) < 1e-3, 0, self.weights).astype(np.float16),  # compresses well
            "intercept": np.asarray(self.intercept, dtype=np.float32), "temperature": np.array(self.temperature),
            "words": np.array(self.words), "version": np.array(self.version), "initials": np.array(self.initials, dtype=str),
        }
        if self.urgency_weights is not None:
            arrays["urgency_weights"] = np.where(np.abs(self.urgency_weights) < 1e-3, 0,
                                                 self.urgency_weights).astype(np.float16)
            arrays["urgency_intercept"] = np.array(self.urgency_intercept)
        if self.confidence_knots is not None:
            arrays["confidence_knots"] = np.asarray(self.confidence_knots, dtype=np.float64)
        if self.feature_weights is not None:
            kinds = sorted(self.feature_weights)
            arrays["feature_kinds"] = np.array(kinds)
            arrays["feature_kind_weights"] = np.array([self.feature_weights[k] for k in kinds], dtype=np.float64)
            arrays["l2"] = np.array(self.l2)
        if self.auto_threshold is not None:
            arrays["auto_threshold"] = np.array(self.auto_threshold)
            arrays["auto_precision"] = np.array(self.auto_precision or 0.0)
        target = Path(path)
        partial = target.with_name(target.name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue())
        partial.replace(target)  # a reader never sees half a model

    @classmethod
    def load(cls, path: str | Path) -> Model:
        with np.load(path, allow_pickle=False) as data:
            features = [str(f) for f in data["features"]]
            return cls(
                classes=[str(c) for c in data["classes"]], vocabulary={f: i for i, f in enumerate(features)},
                weights=data["weights"].astype(np.float32), intercept=data["intercept"].astype(np.float32),
                temperature=float(data["temperature"]), words=[str(w) for w in data["words"]],
                version=str(data["version"]),
                urgency_weights=data["urgency_weights"].astype(np.float32) if "urgency_weights" in data else None,
                urgency_intercept=float(data["urgency_intercept"]) if "urgency_intercept" in data else 0.0,
                initials=[str(w) for w in data["initials"]] if "initials" in data else [],
                auto_threshold=float(data["auto_threshold"]) if "auto_threshold" in data else None,
                auto_precision=float(data["auto_precision"]) if "auto_precision" in data else None,
                confidence_knots=data.get("confidence_knots"),
                feature_weights=({str(k): float(v) for k, v in zip(data["feature_kinds"], data["feature_kind_weights"])}
                                 if "feature_kinds" in data else None),
                l2=bool(data["l2"]) if "l2" in data else False,
            )


def softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
    return out


def category_urgency(taxonomy: Taxonomy, code: str) -> bool | None:
    flags = {s.urgent for s in taxonomy.get(code).standards}
    return flags.pop() if len(flags) == 1 else None


def synthetic_examples(taxonomy: Taxonomy) -> list[Example]:
    """Names, synonyms and synonym + condition phrase combinations, e.g. ("井盖没了", "C0123")."""
    return [(t, c) for t, c, _ in labelled_synthetic(taxonomy)]


def labelled_synthetic(taxonomy: Taxonomy) -> list[tuple[str, str, bool | None]]:
    """Synthetic examples with their urgency: the standard's for a condition phrase, else the category's if unanimous."""
    examples: list[tuple[str, str, bool | None]] = []
    for category in taxonomy.categories:
        code, whole = category.code, category_urgency(taxonomy, category.code)
        terms = [category.name, *category.synonyms]
        examples += [(term, code, whole) for term in terms]
        examples += [(term, code, whole) for term in category.synonyms_en]
        examples.append((f"{category.major_name} {category.name}", code, whole))
        head = terms[:4]
        for i, standard in enumerate(category.standards):
            examples.append((f"{head[i % len(head)]}{standard.filing_condition}", code, standard.urgent))
            for cue in taxonomy.condition_cues:
                if any(c in standard.filing_condition for c in cue.condition):
                    zh = [p for p in cue.phrases if _CJK.search(p)][:2]
                    en = [p for p in cue.phrases if not _CJK.search(p)][:1]
                    examples += [(f"{head[(i + j) % len(head)]}{p}", code, standard.urgent) for j, p in enumerate(zh)]
                    examples += [(f"{s} {p}", code, standard.urgent) for s in category.synonyms_en[:2] for p in en]
    return examples


def load_corpus(directory: Path = CORPUS_DIR, split: str | None = "train") -> list[dict[str, object]]:
    """Rows of the labelled corpus (``*.jsonl``: text, code, urgent, split), optionally one split only."""
    rows: list[dict[str, object]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if split is None or row.get("split") == split:
                    rows.append(row)
    return rows
