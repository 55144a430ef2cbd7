"""The content classifier at run time: a linear model over hashed token features, numpy only.

The model file (`models/lang.npz`, written by `train_lang`) holds plain arrays, no pickle: the
class names, the kept feature buckets, int8 weights with one scale per class, and the biases.
Scoring one text is a gather of a few hundred weight rows and a softmax; scoring a batch is the
same for all texts at once (one feature pass, one gather, one segmented sum), which removes the
fixed numpy cost per call that dominated single texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from codemill.annotate.features import FEATURES_VERSION, class_features_many

MODEL_PATH = Path(__file__).parent / "models" / "lang.npz"
#: texts per numpy pass of `scores_many` (about 20 MB of temporaries at 2 KB windows)
BATCH = 256


class ModelError(RuntimeError):
    """The model file is missing or was written for other features (retrain with train_lang)."""


@dataclass(frozen=True)
class LangModel:
    classes: tuple[str, ...]
    row_of: np.ndarray  # bucket -> row in `weights`, -1 for pruned buckets
    weights: np.ndarray  # float32 (kept buckets, classes): the file's int8 values times their class scale
    bias: np.ndarray  # float32 per class
    dim: int
    limit: int  # bytes of text the features look at
    meta: dict

    def scores(self, raw: bytes) -> np.ndarray:
        """Raw linear scores (logits) of the first `limit` bytes of `raw`."""
        return self.scores_many([raw])[0]

    def scores_many(self, raws: list[bytes]) -> np.ndarray:
        """Logits of many texts (one row each), `BATCH` texts per numpy pass.

        A text's row depends on its own features only (per-text sums in a fixed order), so it is
        the same whatever batch it comes in.
        """
        out = np.empty((len(raws), len(self.classes)), np.float32)
        out[:] = self.bias
        for lo in range(0, len(raws), BATCH):
            text, idx, val = class_features_many(raws[lo:lo + BATCH], self.dim, self.limit)
            rows = self.row_of[idx]
            hit = rows >= 0
            text, rows, val = text[hit], rows[hit], val[hit]
            if not len(text):
                continue
            first = np.flatnonzero(np.concatenate(([True], text[1:] != text[:-1])))
            sums = np.add.reduceat(self.weights[rows] * val[:, None], first, axis=0)
            out[lo + text[first]] = sums + self.bias
        return out

    def proba(self, raw: bytes) -> np.ndarray:
        """Class probabilities (softmax of the logits; the model was trained with log loss)."""
        return self.proba_many([raw])[0]

    def proba_many(self, raws: list[bytes]) -> np.ndarray:
        """`proba` of many texts, one row each."""
        s = self.scores_many(raws)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def index(self, lang: str) -> int | None:
        try:
            return self.classes.index(lang)
        except ValueError:
            return None


def save(path: Path, classes: list[str], buckets: np.ndarray, weights: np.ndarray, bias: np.ndarray,
         dim: int, limit: int, meta: dict) -> None:
    """Write a model: `weights` float (buckets x classes) is quantized to int8 per class."""
    scale = np.abs(weights).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
    order = np.argsort(buckets)
    np.savez_compressed(
        path, classes=np.array(classes), buckets=buckets[order].astype(np.uint32), weights=q[order],
        scale=scale.astype(np.float32), bias=bias.astype(np.float32), dim=np.int64(dim), limit=np.int64(limit),
        features_version=np.int64(FEATURES_VERSION), meta=np.array(json.dumps(meta, sort_keys=True)))


def load(path: Path = MODEL_PATH) -> LangModel:
    if not path.is_file():
        raise ModelError(f"{path}: no language model; build it with `python -m codemill.annotate.train_lang`")
    with np.load(path, allow_pickle=False) as z:
        if int(z["features_version"]) != FEATURES_VERSION:
            raise ModelError(f"{path}: trained for features v{int(z['features_version'])}, "
                             f"code has v{FEATURES_VERSION}; retrain with `python -m codemill.annotate.train_lang`")
        dim = int(z["dim"])
        row_of = np.full(dim, -1, np.int32)
        row_of[z["buckets"].astype(np.int64)] = np.arange(len(z["buckets"]), dtype=np.int32)
        weights = z["weights"].astype(np.float32) * z["scale"]  # dequantized once, at load
        return LangModel(tuple(str(c) for c in z["classes"]), row_of, weights, z["bias"], dim, int(z["limit"]),
                         json.loads(str(z["meta"])))


@cache
def default_model() -> LangModel:
    """The shipped model, loaded once per process."""
    return load(MODEL_PATH)
