"""The peers' near-dedup pipelines, run with bench-venv's Python (never codemill's environment).

    bench-venv/bin/python bench/dedup_peer_jobs.py {datasketch,rensa,datatrove} INPUT OUT_DIR

INPUT is a JSONL file, for datatrove a folder of JSONL parts.

Every job does the whole near-dedup the way each library's documentation shows it, with the
settings of ../shared/bench/README.md: BigCode's tokenizer (runs of [A-Za-z0-9_], case kept),
word 5-grams, 256 permutations, threshold 0.7, 2 processes; then writes the kept records as
JSONL (end to end, like `codemill run`) and OUT_DIR/result.json with the removed ids and the
ids placed in duplicate clusters, for the agreement tables.

* datasketch: MinHash per document in a 2-process pool, MinHashLSH (it picks 25 bands x 10
  rows for 0.7), query every document, union-find in Python, keep the first of each cluster.
* rensa: the same with RMinHash / RMinHashLSH; rensa needs bands dividing 256, so 32 x 8, and
  candidates are verified with the signature Jaccard >= 0.7, as rensa's README does.
* datatrove: its four MinHash stages (signatures, buckets, cluster, filter) on the local
  executor, 2 tasks / 2 workers, 25 buckets x 10 hashes, 64-bit hashes, no text normalization,
  the non-alphanumeric tokenizer; the input is split in 2 files since a task reads whole files.
"""

from __future__ import annotations

import json
import re
import sys
from multiprocessing import Pool
from pathlib import Path

import orjson

NON_ALNUM = re.compile(r"[^A-Za-z_0-9]+")
NUM_PERM, NGRAM, THRESHOLD = 256, 5, 0.7


def shingles(text: str) -> list[str]:
    toks = [t for t in NON_ALNUM.split(text) if t]
    return sorted({" ".join(toks[i : i + NGRAM]) for i in range(max(0, len(toks) - NGRAM + 1))})


def read(path: str) -> tuple[list[str], list[bytes]]:
    ids, lines = [], []
    with open(path, "rb") as fh:
        for line in fh:
            ids.append(orjson.loads(line)["id"])
            lines.append(line)
    return ids, lines


def _texts(lines: list[bytes]) -> list[str]:
    return [orjson.loads(x)["text"] for x in lines]


def union_find_clusters(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def finish(ids: list[str], lines: list[bytes], roots: list[int], out: Path) -> None:
    """Keep the first record of each cluster; write kept JSONL and result.json."""
    sizes: dict[int, int] = {}
    for r in roots:
        sizes[r] = sizes.get(r, 0) + 1
    removed = [ids[i] for i, r in enumerate(roots) if r != i]
    clusters = {ids[i]: ids[r] for i, r in enumerate(roots) if sizes[r] > 1}
    with open(out / "kept.jsonl", "wb") as fh:
        fh.writelines(line for i, line in enumerate(lines) if roots[i] == i)
    (out / "result.json").write_text(json.dumps({"removed": removed, "clustered": list(clusters), "clusters": clusters}))


def _datasketch_sig(lines: list[bytes]) -> list:
    from datasketch import LeanMinHash, MinHash

    out = []
    for text in _texts(lines):
        sh = shingles(text)
        if not sh:
            out.append(None)
            continue
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([s.encode() for s in sh])
        out.append(LeanMinHash(m))
    return out


def _rensa_sig(lines: list[bytes]) -> list:
    from rensa import RMinHash

    out = []
    for text in _texts(lines):
        sh = shingles(text)
        if not sh:
            out.append(None)
            continue
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(sh)
        out.append(m)
    return out


def _chunks(lines: list[bytes], size: int = 500) -> list[list[bytes]]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]


def run_datasketch(inp: str, out: Path) -> None:
    from datasketch import MinHashLSH

    ids, lines = read(inp)
    with Pool(2) as pool:
        sigs = [s for part in pool.imap(_datasketch_sig, _chunks(lines)) for s in part]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    mh = {}
    for i, m in enumerate(sigs):
        if m is not None:
            mh[i] = m
            lsh.insert(i, m)
    pairs = [(i, j) for i, m in mh.items() for j in lsh.query(m) if j != i]
    finish(ids, lines, union_find_clusters(len(ids), pairs), out)


def run_rensa(inp: str, out: Path) -> None:
    from rensa import RMinHashLSH

    ids, lines = read(inp)
    with Pool(2) as pool:
        sigs = [s for part in pool.imap(_rensa_sig, _chunks(lines)) for s in part]
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=32)
    for i, m in enumerate(sigs):
        if m is not None:
            lsh.insert(i, m)
    pairs = [(i, j) for i, m in enumerate(sigs) if m is not None
             for j in lsh.query(m) if j != i and m.jaccard(sigs[j]) >= THRESHOLD]
    finish(ids, lines, union_find_clusters(len(ids), pairs), out)


def run_datatrove(inp: str, out: Path) -> None:
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.text import TextNormConfig
    from dedup_peer_tokenizer import NonAlnumTokenizer

    split = Path(inp)  # a folder of JSONL parts (dedup_common.split_for_tasks, not timed)
    cfg = MinhashConfig(n_grams=NGRAM, num_buckets=25, hashes_per_bucket=10, hash_config=HashConfig(precision=64),
                        norm_config=TextNormConfig(lowercase=False, norm_whitespace=False, remove_punctuation=False,
                                                   norm_unicode_diacritics=False, norm_numbers=False))
    work = out / "dt"

    def reader() -> JsonlReader:
        return JsonlReader(str(split), id_key="id", text_key="text", compression=None)

    stages = [
        ([reader(), MinhashDedupSignature(str(work / "sigs"), config=cfg, language=NonAlnumTokenizer())], 2),
        ([MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=cfg)], cfg.num_buckets),
        ([MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=cfg, save_cluster_id=True)], 1),
        ([reader(), MinhashDedupFilter(str(work / "remove")),
          JsonlWriter(str(out / "kept"), compression=None)], 2),
    ]
    for i, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=2, logging_dir=str(work / f"logs{i}"),
                              skip_completed=False).run()
    import numpy as np

    files = sorted(split.glob("*.jsonl"))
    ids_per_file = [read(str(f))[0] for f in files]
    removed, clusters = [], {}
    for rank, ids in enumerate(ids_per_file):
        rem, cl = work / "remove" / f"{rank:06d}.remove", work / "remove" / f"{rank:06d}.clusters"
        if rem.exists():
            removed += [ids[d] for d in np.fromfile(rem, "<u4").tolist()]
        if cl.exists():
            pairs = np.fromfile(cl, "<u4").reshape(-1, 2)
            clusters.update({ids[d]: f"dt-cluster-{c}" for d, c in pairs.tolist()})
    (out / "result.json").write_text(json.dumps({"removed": removed, "clustered": list(clusters), "clusters": clusters}))


JOBS = {"datasketch": run_datasketch, "rensa": run_rensa, "datatrove": run_datatrove}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    job, inp, out_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    out_dir.mkdir(parents=True, exist_ok=True)
    JOBS[job](inp, out_dir)
