"""Train the content classifier and write `models/lang.npz` (numpy arrays, no pickle).

    python -m codemill.annotate.train_lang --corpus bench-data/corpus.jsonl \
        --out codemill/annotate/models/lang.npz

Data: see `langdata` (the shared corpus plus this machine's system files). Model: hashed
unigram + bigram token features of the first `--limit` bytes (`features.class_features`), a
multinomial logistic regression fitted by SGD (scikit-learn, needed only here), pruned to the
`--keep` buckets with the largest weights and quantized to int8. Only the training split is
used, so `bench/annotate_lang.py` measures the shipped model on folders it never saw.
Deterministic for a given corpus and machine (fixed seeds, files chosen by hashes of paths).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections import Counter
from pathlib import Path

import numpy as np

from codemill.annotate import langmodel
from codemill.annotate.features import class_features, utf8
from codemill.annotate.langdata import ROOTS, Row, all_rows, split


def feature_matrix(rows: list[Row], dim: int, limit: int):  # -> scipy.sparse.csr_matrix
    """One L2-normalized sparse row per text, exactly as `LangModel.scores` computes it."""
    import scipy.sparse as sp

    idx, val, ptr = [], [], [0]
    for r in rows:
        i, v = class_features(utf8(r.text), dim, limit)
        idx.append(i)
        val.append(v)
        ptr.append(ptr[-1] + len(i))
    return sp.csr_matrix((np.concatenate(val), np.concatenate(idx), np.array(ptr)), shape=(len(rows), dim))


def capped(rows: list[Row], train: list[int], cap: int, seed: int) -> list[int]:
    """At most `cap` training texts per language (the big ones would drown the rest)."""
    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = {}
    for i in train:
        by.setdefault(rows[i].label, []).append(i)
    out: list[int] = []
    for label in sorted(by):
        ids = np.array(by[label])
        rng.shuffle(ids)
        out += ids[:cap].tolist()
    return sorted(out)


def fit(X, y: np.ndarray, alpha: float, seed: int):
    from sklearn.linear_model import SGDClassifier

    clf = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=30, tol=1e-4, random_state=seed,
                        class_weight="balanced", n_jobs=1)
    clf.fit(X, y)
    return clf


def train_and_save(rows: list[Row], used: list[int], out: Path, dim: int, limit: int, keep: int, alpha: float,
                   seed: int, meta: dict) -> langmodel.LangModel:
    """Fit on `rows[used]`, keep the `keep` strongest buckets, write `out`, return the loaded model."""
    X = feature_matrix([rows[i] for i in used], dim, limit)
    y = np.array([rows[i].label for i in used])
    clf = fit(X, y, alpha, seed)
    weights = clf.coef_.T.astype(np.float32)
    kept = np.sort(np.argsort(-np.abs(weights).max(axis=1), kind="stable")[:keep])
    out.parent.mkdir(parents=True, exist_ok=True)
    langmodel.save(out, [str(c) for c in clf.classes_], kept, weights[kept], clf.intercept_, dim, limit, meta)
    return langmodel.load(out)


def fingerprint(rows: list[Row]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r.label}\0{r.origin}\0{r.path}\0{len(r.text)}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path("bench-data/corpus.jsonl"))
    ap.add_argument("--out", type=Path, default=langmodel.MODEL_PATH)
    ap.add_argument("--roots", nargs="*", default=list(ROOTS), help="folders searched for extra languages")
    ap.add_argument("--limit", type=int, default=2048, help="bytes of each text the features look at")
    ap.add_argument("--dim", type=int, default=1 << 18, help="hash buckets (power of two)")
    ap.add_argument("--keep", type=int, default=30_000, help="buckets kept after training")
    ap.add_argument("--cap", type=int, default=15_000, help="training texts per language at most")
    ap.add_argument("--alpha", type=float, default=1e-6, help="L2 regularization")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    t0 = time.time()
    rows = all_rows(a.corpus, tuple(a.roots))
    train, test = split(rows)
    used = capped(rows, train, a.cap, a.seed)
    print(f"{len(rows):,} texts, {len(train):,} in training folders ({len(used):,} used), "
          f"{len(test):,} held out  [{time.time() - t0:.0f}s]")
    meta = {
        "trained_on": {k: v for k, v in sorted(Counter(rows[i].label for i in used).items())},
        "origins": dict(sorted(Counter(rows[i].origin for i in used).items())),
        "rows_fingerprint": fingerprint(rows), "alpha": a.alpha, "cap": a.cap, "seed": a.seed,
        "corpus": a.corpus.name, "roots": a.roots,
    }
    model = train_and_save(rows, used, a.out, a.dim, a.limit, a.keep, a.alpha, a.seed, meta)
    hits = sum(model.classes[int(np.argmax(model.scores(utf8(rows[i].text))))] == rows[i].label
               for i in test)
    print(f"wrote {a.out} ({a.out.stat().st_size / 1e6:.2f} MB, {len(model.classes)} languages); "
          f"held-out accuracy {hits / max(1, len(test)):.4f} on {len(test):,} texts  [{time.time() - t0:.0f}s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
