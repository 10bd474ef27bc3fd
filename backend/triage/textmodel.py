"""The learned part of triage: a softmax (multinomial logistic) regression over jieba words and character n-grams.

Trained from the labelled corpus (data/classification/, train split), synthetic examples built from the taxonomy's
names and synonyms, and operators' corrections passed in as ``(text, code)`` pairs. Saved as ``.npz`` without pickle.

    python -m backend.triage.textmodel --retrain      # rebuilds backend/triage/data/textmodel.npz
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from backend.triage.taxonomy import Taxonomy, load_taxonomy

DATA_DIR = Path(__file__).parent / "data"
PACKAGED_MODEL = DATA_DIR / "textmodel.npz"
USER_DICT = DATA_DIR / "userdict.txt"
CORPUS_DIR = DATA_DIR / "classification"  # packaged: `classify --retrain` must work from an installed wheel
MAX_CHARS = 2000  # a longer description adds nothing a 2,000-character one does not say
Example = tuple[str, str]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WEIGHTS = {"w": 1.0, "c1": 0.2, "c2": 0.6, "c3": 0.6, "e": 1.0, "e2": 1.0}
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
    return sorted(w for w in words if len(w) >= 2 and _CJK.search(w))


def featurize(text: str, segmenter: Segmenter) -> dict[str, float]:
    """Binary features, weighted by kind: w: jieba words, c1–c3: character n-grams, e/e2: English words and pairs."""
    text = normalise(text)
    features: dict[str, float] = {}
    for run in _RUNS.findall(text):
        if _CJK.match(run):
            for word in segmenter.cut(run):
                features["w:" + word] = _WEIGHTS["w"]
            for n in (1, 2, 3):
                for i in range(len(run) - n + 1):
                    features[f"c{n}:" + run[i : i + n]] = _WEIGHTS[f"c{n}"]
    english = [_stem(w) for w in _RUNS.findall(text) if not _CJK.match(w) and not w.isdigit() and w not in _STOPWORDS]
    for word in english:
        features["e:" + word] = _WEIGHTS["e"]
    for a, b in pairwise(english):
        features[f"e2:{a} {b}"] = _WEIGHTS["e2"]
    return features


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@dataclass
class Model:
    classes: list[str]
    vocabulary: dict[str, int]
    weights: np.ndarray  # features × classes
    intercept: np.ndarray  # classes
    temperature: float
    words: list[str]  # the segmenter dictionary the model was trained with
    version: str
    _segmenter: Segmenter | None = None
    # A separate binary urgency model over the same features (None in models saved before it existed): its logit is
    # ``values @ urgency_weights + urgency_intercept``; the classifier mixes it with the category distribution.
    urgency_weights: np.ndarray | None = None
    urgency_intercept: float = 0.0

    @property
    def segmenter(self) -> Segmenter:
        if self._segmenter is None:
            self._segmenter = segmenter_for(tuple(self.words))
        return self._segmenter

    def logits(self, text: str) -> np.ndarray:
        """Tempered scores per class; their softmax is the calibrated text-only probability."""
        return self.scores(text)[0]

    def scores(self, text: str) -> tuple[np.ndarray, float | None]:
        """The tempered class scores and the urgency model's logit (None without one), from one featurization."""
        indices, values = [], []
        for feature, value in featurize(text, self.segmenter).items():
            index = self.vocabulary.get(feature)
            if index is not None:
                indices.append(index)
                values.append(value)
        scores = self.intercept.copy()
        urgency = None if self.urgency_weights is None else float(self.urgency_intercept)
        if indices:
            vector = np.asarray(values, dtype=np.float32)
            scores += vector @ self.weights[indices]
            if self.urgency_weights is not None:
                urgency += float(vector @ self.urgency_weights[indices])
        return scores / self.temperature, urgency

    def predict_proba(self, text: str) -> np.ndarray:
        return softmax(self.logits(text))

    def save(self, path: str | Path) -> None:
        features = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        weights = np.where(np.abs(self.weights) < 1e-3, 0, self.weights).astype(np.float16)  # compresses well
        urgency = {} if self.urgency_weights is None else {
            "urgency_weights": np.where(np.abs(self.urgency_weights) < 1e-3, 0, self.urgency_weights).astype(np.float16),
            "urgency_intercept": np.array(self.urgency_intercept),
        }
        np.savez_compressed(
            path, classes=np.array(self.classes), features=np.array(features), weights=weights,
            intercept=self.intercept, temperature=np.array(self.temperature), words=np.array(self.words),
            version=np.array(self.version), **urgency,
        )

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
            )


def softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def _fit(rows: list[dict[str, float]], labels: list[str], classes: list[str], *, l2: float = 1e-6,
         iterations: int = 150, rate: float = 0.05) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Softmax regression on sparse rows, full-batch Adam; gradients summed per feature with ``reduceat``."""
    vocabulary: dict[str, int] = {}
    indices: list[int] = []
    values: list[float] = []
    indptr = [0]
    for row in rows:
        for feature, value in row.items():
            indices.append(vocabulary.setdefault(feature, len(vocabulary)))
            values.append(value)
        indices.append(vocabulary.setdefault("bias", len(vocabulary)))  # no empty rows for reduceat
        values.append(1.0)
        indptr.append(len(indices))
    cols, vals, starts_row = np.array(indices), np.array(values, dtype=np.float32), np.array(indptr[:-1])
    n, n_classes = len(rows), len(classes)
    owner = np.repeat(np.arange(n), np.diff(indptr))
    order = np.argsort(cols, kind="stable")
    starts_col = np.flatnonzero(np.r_[True, cols[order][1:] != cols[order][:-1]])
    used = cols[order][starts_col]
    class_index = {c: i for i, c in enumerate(classes)}
    target = np.zeros((n, n_classes), dtype=np.float32)
    target[np.arange(n), [class_index[label] for label in labels]] = 1.0
    params = [np.zeros((len(vocabulary), n_classes), dtype=np.float32), np.zeros(n_classes, dtype=np.float32)]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    for step in range(1, iterations + 1):
        weights, intercept = params
        error = (softmax(np.add.reduceat(vals[:, None] * weights[cols], starts_row) + intercept) - target) / n
        grad_w = l2 * weights
        grad_w[used] += np.add.reduceat(vals[order, None] * error[owner[order]], starts_col)
        for param, grad, (m, v) in zip(params, (grad_w, error.sum(axis=0)), moments):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return vocabulary, params[0], params[1]


def _fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold predictions."""
    best, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 50)):
        z = logits / t
        top = z.max(axis=1)
        nll = float((np.log(np.exp(z - top[:, None]).sum(axis=1)) + top - z[np.arange(len(z)), targets]).sum())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def train(examples: Iterable[Example], taxonomy: Taxonomy | None = None, *, calibrate_on: Sequence[Example] = (),
          folds: int = 3, synthetic: bool = True, iterations: int = 150,
          urgent: Mapping[str, bool] | None = None) -> Model:
    """Fit the model on ``examples`` plus (by default) the taxonomy's synthetic examples.

    ``calibrate_on`` (real reports, a subset of ``examples``) are cross-validated to fit the softmax temperature.
    ``urgent`` labels real texts 紧急 or not for the urgency model; a text without a label counts as its category's
    urgency when all of the category's standards agree, and is left out of the urgency model otherwise.
    """
    taxonomy = taxonomy or load_taxonomy()
    words = dictionary_words(taxonomy)
    segmenter = segmenter_for(tuple(words))
    real = [(t, c) for t, c in examples if taxonomy.has(c)]
    labelled = _synthetic(taxonomy) if synthetic else []
    extra = [(t, c) for t, c, _ in labelled]
    classes = list(taxonomy.codes)
    features = {text: featurize(text, segmenter) for text, _ in real + extra}

    def fit(rows: list[Example]) -> Model:
        vocab, weights, intercept = _fit([features[t] for t, _ in rows], [c for _, c in rows], classes,
                                         iterations=iterations)
        return Model(classes, vocab, weights, intercept, 1.0, words, "", segmenter)

    temperature = 1.0
    held = [e for e in dict.fromkeys(calibrate_on) if taxonomy.has(e[1])]
    if held and folds > 1:
        logits, targets = [], []
        for fold in range(folds):
            test = set(held[fold::folds])
            fold_model = fit([e for e in real if e not in test] + extra)
            logits += [fold_model.logits(t) for t, _ in test]
            targets += [classes.index(c) for _, c in test]
        temperature = _fit_temperature(np.array(logits), np.array(targets))
    model = fit(real + extra)
    model.temperature = temperature
    urgent = urgent or {}
    urgency_rows = [(t, urgent[t] if t in urgent else _category_urgency(taxonomy, c)) for t, c in real]
    urgency_rows += [(t, u) for t, _, u in labelled]
    model.urgency_weights, model.urgency_intercept = fit_urgency(
        [features[t] for t, u in urgency_rows if u is not None], [u for _, u in urgency_rows if u is not None],
        model.vocabulary, iterations=iterations)
    data: list[object] = sorted(real + extra)
    if any(u is not None for _, u in urgency_rows):  # the urgency labels are part of what the model learned
        data.append(sorted((t, u) for t, u in urgency_rows if u is not None))
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:10]
    model.version = f"lr-{dt.date.today():%Y%m%d}-{digest}"
    return model


def fit_urgency(rows: list[dict[str, float]], labels: list[bool], vocabulary: Mapping[str, int], *,
                l2: float = 1e-6, iterations: int = 150) -> tuple[np.ndarray, float]:
    """A binary (紧急 or not) logistic regression over the same features, laid out on ``vocabulary``."""
    weights = np.zeros(len(vocabulary), dtype=np.float32)
    if len(set(labels)) < 2:
        return weights, 0.0
    vocab, w, b = _fit(rows, ["0" if not u else "1" for u in labels], ["0", "1"], l2=l2, iterations=iterations)
    difference = w[:, 1] - w[:, 0]
    for feature, index in vocab.items():
        if feature in vocabulary:
            weights[vocabulary[feature]] = difference[index]
    # every training row carried the "bias" feature; prediction does not add it, so it goes into the intercept
    return weights, float(b[1] - b[0] + difference[vocab["bias"]])


def _category_urgency(taxonomy: Taxonomy, code: str) -> bool | None:
    flags = {s.urgent for s in taxonomy.get(code).standards}
    return flags.pop() if len(flags) == 1 else None


def synthetic_examples(taxonomy: Taxonomy) -> list[Example]:
    """Names, synonyms and synonym + condition phrase combinations, e.g. ("井盖没了", "C0123")."""
    return [(t, c) for t, c, _ in _synthetic(taxonomy)]


def _synthetic(taxonomy: Taxonomy) -> list[tuple[str, str, bool | None]]:
    """Synthetic examples with their urgency: the standard's for a condition phrase, else the category's if unanimous."""
    examples: list[tuple[str, str, bool | None]] = []
    for category in taxonomy.categories:
        code, whole = category.code, _category_urgency(taxonomy, category.code)
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


def retrain(extra_examples: Iterable[Example] = (), *, taxonomy: Taxonomy | None = None,
            out: str | Path = PACKAGED_MODEL, corpus_dir: Path = CORPUS_DIR) -> str:
    """Rebuild the model from the corpus's train split plus ``extra_examples`` (operators' corrections)."""
    rows = load_corpus(corpus_dir, "train")
    corpus = [(str(r["text"]), str(r["code"])) for r in rows]
    extra = [(str(t), str(c)) for t, c in extra_examples]
    urgent = {str(r["text"]): bool(r["urgent"]) for r in rows if "urgent" in r}
    model = train(corpus + extra, taxonomy, calibrate_on=corpus, urgent=urgent)
    model.save(out)
    return model.version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the packaged triage text model.")
    parser.add_argument("--retrain", action="store_true", required=True)
    parser.add_argument("--out", type=Path, default=PACKAGED_MODEL)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    logging.getLogger(__name__).info("model %s written to %s", retrain(out=args.out), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
