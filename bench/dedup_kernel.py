"""codemill's near_dedup without the engine, shaped like the peers' scripts: what the op itself costs.

    python bench/dedup_kernel.py INPUT.jsonl OUT_DIR [--workers 2]

Two processes each parse their byte range of the JSONL and run `near_dedup`'s own
`prepare_batch` on 2000 records at a time (the same op code `codemill run` uses, batched as
an engine with a batch hook would); the driver runs its `decide` on the gathered signature
column and writes the kept lines to OUT_DIR/kept.jsonl, as the peer pipelines do. The gap
between this and `codemill run` is the engine (sharding, Parquet, accounting, publishing).
"""

from __future__ import annotations

import argparse
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from codemill.api import make_op

_OP = None
BATCH = 2000  # records per prepare_batch call: the engine's shard size


def _ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """Byte ranges cut at line ends."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as fh:
        for k in range(1, parts):
            fh.seek(size * k // parts)
            fh.readline()
            cuts.append(fh.tell())
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _work(job: tuple[str, int, int]) -> tuple[list[str], bytes, np.ndarray, np.ndarray]:
    global _OP
    if _OP is None:
        _OP = make_op("near_dedup")
    path, start, end = job
    ids, sigs, sizes, valid = [], [], [], []
    with open(path, "rb") as fh:
        fh.seek(start)
        lines = fh.read(end - start).splitlines()
    for lo in range(0, len(lines), BATCH):
        recs = []
        for line in lines[lo : lo + BATCH]:
            row = orjson.loads(line)
            recs.append({"id": row["id"], "text": row["text"], "lang": row.get("lang"), "_nbytes": 0})
        for rec, out in zip(recs, _OP.prepare_batch(recs), strict=True):
            ids.append(rec["id"])
            valid.append(out["minhash"] is not None)
            sigs.append(out["minhash"] or bytes(512))
            sizes.append(out["n_bytes"])
    return ids, b"".join(sigs), np.array(sizes, np.int64), np.array(valid)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    jobs = [(str(args.input), a, b) for a, b in _ranges(args.input, 4 * args.workers)]
    with Pool(args.workers) as pool:
        parts = pool.map(_work, jobs)
    t1 = time.perf_counter()
    ids = [i for p in parts for i in p[0]]
    valid = np.concatenate([p[3] for p in parts])
    sig = pa.array([b if v else None for b, v in zip(
        (blob[i : i + 512] for p in parts for blob in [p[1]] for i in range(0, len(blob), 512)),
        valid.tolist(), strict=True)], pa.binary(512))
    n = len(ids)
    table = pa.table({"id": ids, "minhash": sig, "n_bytes": np.concatenate([p[2] for p in parts]),
                      "license": pa.nulls(n, pa.string()), "created_at": pa.nulls(n, pa.timestamp("s", tz="UTC"))})
    t2 = time.perf_counter()
    dec = make_op("near_dedup").decide(table)
    t3 = time.perf_counter()
    keep = [r is None for r in dec.reason]
    with open(args.input, "rb") as fh, open(args.out / "kept.jsonl", "wb") as out:
        out.writelines(line for line, k in zip(fh, keep, strict=True) if k)
    t4 = time.perf_counter()
    removed = [ids[i] for i, k in enumerate(keep) if not k]
    clustered = [ids[i] for i, s in enumerate(dec.columns["cluster_size"]) if s > 1]
    seconds = {"read + signatures (2 procs)": t1 - t0, "gather": t2 - t1, "decide": t3 - t2, "write kept": t4 - t3}
    (args.out / "result.json").write_text(json.dumps({"removed": removed, "clustered": clustered,
                                                      "seconds": {k: round(v, 2) for k, v in seconds.items()}}))


if __name__ == "__main__":
    main()
