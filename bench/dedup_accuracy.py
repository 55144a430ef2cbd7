"""Accuracy of near_dedup against exact Jaccard: signature schemes, precision/recall, tokenizers.

    python bench/dedup_accuracy.py            # on the path-sampled tenth of the full corpus

* Estimator error of each signature scheme (classic MinHash, one-permutation hashing with
  re-hashing, with copy densification) on every pair of true Jaccard >= 0.5, overall and for
  small files (both under 256 shingles, where one-permutation hashing has empty bins).
* Precision and recall of `near_dedup` at threshold 0.7 for each configuration:
  - precision (matched): dropped records whose named match has true Jaccard >= 0.7,
  - precision (kept): dropped records whose kept cluster member has true Jaccard >= 0.7,
  - pair recall: true pairs (Jaccard >= 0.7) that end in one cluster,
  - removal: records removed vs the ideal (n minus components of the true graph).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_common import path_sample, read_jsonl, save, table  # noqa: E402
from dedup_truth import Truth, bigcode_tokens, clusters_of, join, shingle_set  # noqa: E402

import codemill  # noqa: E402
from codemill.dedup import minhash, tokens  # noqa: E402
from codemill.dedup.lsh import unpack  # noqa: E402

THRESHOLD = 0.7
SCHEMES = ("classic", "oph", "oph-copy")


def load(path: Path | None = None) -> list[dict[str, Any]]:
    recs = list(read_jsonl(path or path_sample()))
    for r in recs:
        r["id"] = str(r["id"])
    return recs


def truth_for(recs: list[dict[str, Any]], tokenizer: str = "bigcode") -> Truth:
    if tokenizer == "bigcode":
        sets = [shingle_set(bigcode_tokens(r["text"])) for r in recs]
    else:
        sets = [shingle_set(_leaf_tokens(r)) for r in recs]
    return join(sets, 0.5)


def _leaf_tokens(rec: dict[str, Any]) -> list[str]:
    """The `lang` tokenizer's tokens as strings (tree-sitter leaves, comments/strings split in words)."""
    from codemill.parse import tree_of

    tree = tree_of(dict(rec))
    raw = rec["text"].encode("utf-8", "surrogatepass")
    if tree is None:
        return bigcode_tokens(rec["text"])
    s, e = tokens.leaf_spans(tree, raw)
    return [raw[a:b].decode("utf-8", "surrogatepass") for a, b in zip(s.tolist(), e.tolist(), strict=True)]


def estimator_error(recs: list[dict[str, Any]], truth: Truth) -> list[list[Any]]:
    """RMSE and bias of the signature Jaccard estimate per scheme, on the truth's pairs."""
    toks = [tokens.bigcode_hashes(r["text"]) for r in recs]
    rows = []
    for scheme in SCHEMES:
        t0 = time.process_time()
        sigs = [minhash.signature(t, ngram=5, k=256, scheme=scheme) for t in toks]
        cpu = time.process_time() - t0
        import pyarrow as pa

        sig, _ = unpack(pa.array(sigs, pa.binary(512)), 256)
        est = minhash.jaccard_estimate(sig[truth.a], sig[truth.b])
        err = est - truth.jaccard
        small = (truth.sizes[truth.a] < 256) & (truth.sizes[truth.b] < 256)
        near = np.abs(truth.jaccard - THRESHOLD) < 0.1
        rows.append([scheme, f"{cpu:.1f}", f"{np.sqrt(np.mean(err**2)):.4f}", f"{np.mean(err):+.4f}",
                     f"{np.sqrt(np.mean(err[small] ** 2)):.4f} ({small.sum()})",
                     f"{np.sqrt(np.mean(err[near] ** 2)):.4f} ({near.sum()})"])
    return rows


def op_metrics(recs: list[dict[str, Any]], truth: Truth, **params: Any) -> dict[str, Any]:
    """Run near_dedup on the records and score it against the truth."""
    t0 = time.perf_counter()
    res = codemill.apply("near_dedup", recs, **params)
    wall = time.perf_counter() - t0
    index = {r["id"]: i for i, r in enumerate(recs)}
    jac = truth.lookup()

    def j(x: int, y: int) -> float:
        return 1.0 if x == y else jac.get((min(x, y), max(x, y)), 0.0)

    matched_ok = kept_ok = 0
    for r in res.rejected:
        i = index[r["id"]]
        matched_ok += j(i, index[r["detail"].rsplit(" ", 1)[1]]) >= THRESHOLD
        kept_ok += j(i, index[r["duplicate_of"]]) >= THRESHOLD
    cluster = {index[r["id"]]: r["cluster_id"] for r in res.kept + res.rejected}
    true_pairs = truth.pairs_at(THRESHOLD)
    found = sum(1 for x, y in true_pairs if cluster[x] == cluster[y])
    n_drop = len(res.rejected)
    return {"params": params, "removed": n_drop, "ideal_removed": clusters_of(len(recs), true_pairs),
            "precision_matched": matched_ok / max(n_drop, 1), "precision_kept": kept_ok / max(n_drop, 1),
            "pair_recall": found / max(len(true_pairs), 1), "true_pairs": len(true_pairs), "seconds": round(wall, 1)}


CONFIGS: list[dict[str, Any]] = [
    {},
    {"verify": False},
    {"scheme": "classic"},
    {"scheme": "oph-copy"},
]


def main() -> None:
    recs = load()
    t0 = time.perf_counter()
    truth = truth_for(recs)
    print(f"## accuracy on the path sample: {len(recs):,} records, "
          f"{sum(len(r['text']) for r in recs) / 1e6:.0f} MB; truth in {time.perf_counter() - t0:.0f} s: "
          f"{len(truth.a):,} pairs >= 0.5, {(truth.jaccard >= THRESHOLD).sum():,} >= {THRESHOLD}\n")
    err = estimator_error(recs, truth)
    print(table(["scheme", "signature CPU s", "RMSE", "bias", "RMSE small files (pairs)",
                 "RMSE |J-0.7|<0.1 (pairs)"], err))
    results = [op_metrics(recs, truth, **c) for c in CONFIGS]
    print()
    print(table(["near_dedup params", "removed", "ideal", "precision (matched)", "precision (kept)",
                 "pair recall", "s"],
                [[str(r["params"] or "defaults"), r["removed"], r["ideal_removed"], f"{r['precision_matched']:.3f}",
                  f"{r['precision_kept']:.3f}", f"{r['pair_recall']:.3f}", r["seconds"]] for r in results]))
    # the language's own tokens, scored against a truth built from the same tokens
    t0 = time.perf_counter()
    truth_lang = truth_for(recs, "lang")
    lang = op_metrics(recs, truth_lang, tokenizer="lang")
    print(f"\ntokenizers, each against exact Jaccard of its own shingles (lang truth in "
          f"{time.perf_counter() - t0:.0f} s):\n")
    print(table(["tokenizer", "removed", "ideal", "precision (matched)", "precision (kept)", "pair recall", "s"],
                [[name, r["removed"], r["ideal_removed"], f"{r['precision_matched']:.3f}", f"{r['precision_kept']:.3f}",
                  f"{r['pair_recall']:.3f}", r["seconds"]] for name, r in (("bigcode", results[0]), ("lang", lang))]))
    save("accuracy", {"estimator": err, "configs": results, "lang": lang})


if __name__ == "__main__":
    main()
