"""Optional photo classifier whose code→probability scores the classifier combines with the text.

Two model formats, chosen by file suffix:
- ``.onnx``: run with ``onnxruntime`` (an optional dependency). Input: one float32 NCHW image in [0, 1];
  output: one row of logits or probabilities. The 小类 codes of the output columns come from the model's metadata
  property ``codes`` (a JSON list) or from a sidecar ``<model>.codes.json``.
- ``.npz``: a tiny linear model for machines without onnxruntime: ``weights`` (3·H·W × K), ``bias`` (K),
  ``codes`` (K strings), ``size`` ([H, W]); the input is the resized RGB image in [0, 1], flattened CHW.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backend.errors import InvalidInput, Unavailable, UnsupportedMedia

ImageInput = bytes | np.ndarray


@dataclass(frozen=True)
class ImageScorer:
    codes: tuple[str, ...]
    size: tuple[int, int]  # height, width
    _run: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def load(cls, path: str | Path) -> ImageScorer:
        path = Path(path)
        if not path.is_file():
            raise _bad(path, "file not found")
        if path.suffix == ".onnx":
            return cls._load_onnx(path)
        if path.suffix == ".npz":
            return cls._load_npz(path)
        raise _bad(path, "expected a .onnx or .npz file")

    @classmethod
    def _load_onnx(cls, path: Path) -> ImageScorer:
        try:
            import onnxruntime
        except ImportError as exc:
            raise Unavailable("照片识别模型需要 onnxruntime", "The image model needs onnxruntime installed",
                              code="classify.image_runtime_missing") from exc
        try:
            session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
            raise _bad(path, str(exc)) from exc
        meta = session.get_modelmeta().custom_metadata_map
        sidecar = path.with_suffix(".codes.json")
        raw = meta.get("codes") or (sidecar.read_text(encoding="utf-8") if sidecar.exists() else "")
        if not raw:
            raise _bad(path, "no 'codes' metadata and no .codes.json beside it")
        node = session.get_inputs()[0]
        height, width = (int(d) if isinstance(d, int) else 224 for d in node.shape[2:4])
        name = node.name
        return cls(tuple(json.loads(raw)), (height, width), lambda x: session.run(None, {name: x})[0])

    @classmethod
    def _load_npz(cls, path: Path) -> ImageScorer:
        with np.load(path, allow_pickle=False) as data:
            weights, bias = data["weights"].astype(np.float32), data["bias"].astype(np.float32)
            codes = tuple(str(c) for c in data["codes"])
            height, width = (int(v) for v in data["size"])
        if weights.shape != (3 * height * width, len(codes)) or bias.shape != (len(codes),):
            raise _bad(path, "weights, bias, codes and size do not agree")
        return cls(codes, (height, width), lambda x: x.reshape(len(x), -1) @ weights + bias)

    def score(self, image: ImageInput) -> dict[str, float]:
        """Probabilities per 小类 code for one photo (encoded bytes, or an RGB array H×W×3)."""
        batch = self._prepare(image)
        row = np.asarray(self._run(batch), dtype=np.float64).reshape(-1)
        if row.shape != (len(self.codes),):
            raise Unavailable("照片识别模型输出无效", "The image model returned an unexpected shape",
                              code="classify.image_model_output")
        if not (np.all(row >= 0) and abs(row.sum() - 1.0) < 1e-3):
            row = np.exp(row - row.max())
            row /= row.sum()
        return {code: float(p) for code, p in zip(self.codes, row)}

    def _prepare(self, image: ImageInput) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        try:
            picture = Image.open(io.BytesIO(image)) if isinstance(image, bytes) else Image.fromarray(
                np.asarray(image, dtype=np.uint8))
            picture = picture.convert("RGB").resize((self.size[1], self.size[0]))
        except (UnidentifiedImageError, OSError, ValueError, TypeError) as exc:
            raise UnsupportedMedia("无法读取照片", "The photo could not be read") from exc
        pixels = np.asarray(picture, dtype=np.float32) / 255.0
        return pixels.transpose(2, 0, 1)[None]


def _bad(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(f"照片识别模型无效（{path}）：{reason}", f"Invalid image model {path}: {reason}",
                        code="classify.bad_image_model", details={"path": str(path)})
