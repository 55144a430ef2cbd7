"""codemill's side of the speed runs: `codemill run` end to end, and where the time goes.

    python bench/dedup_speed.py phases RECIPE.json   # one run, wall time per engine phase (JSON on stdout)

`run_recipe` runs `python -m codemill.cli run RECIPE -q` as its own process tree (wall time and
peak RSS of driver + workers from outside). `phases` runs the same recipe in-process with the
runner's four phases timed (ingest + map segment 0, global step, later segments, finalize), to
show how much of a run is the engine and how much the op.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_common import OUT, measure, read_jsonl  # noqa: E402


def recipe(name: str, src: Path, stages: list, workers: int = 2) -> Path:
    out = OUT / f"run-{name}"
    path = OUT / f"recipe-{name}.json"
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"inputs": [{"type": "jsonl", "path": str(src), "name": "bench"}],
                                "stages": stages, "executor": {"workers": workers}, "output": str(out)}))
    return path


def run_recipe(name: str, src: Path, stages: list, workers: int = 2) -> dict[str, Any]:
    """`codemill run` of decode -> stages over a JSONL file; wall, peak RSS, per-stage reasons, ids."""
    path = recipe(name, src, stages, workers)
    m = measure([sys.executable, "-m", "codemill.cli", "run", str(path), "-q", "--overwrite"])
    if m["rc"] != 0:
        raise SystemExit(f"codemill run {name} failed:\n{m['stderr']}")
    out = OUT / f"run-{name}"
    stats = json.loads((out / "stats.json").read_text())
    return {"job": name, "wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "peak_rss_mb": m["peak_rss_mb"], "output": str(out),
            "reasons": {s["name"]: s["reasons"] for s in stats["stages"] if s["rejected"]},
            "stage_seconds": {s["name"]: round(s["seconds"], 2) for s in stats["stages"]}}


def clustered_and_removed(out: Path, stage: str, src: Path) -> tuple[set[str], set[str], dict[str, str]]:
    """Corpus ids (the JSONL `id` field) placed in duplicate clusters and removed by a near_dedup
    run; plus corpus id -> corpus id of its cluster's kept record."""
    import pyarrow.parquet as pq

    from codemill.record import make_id

    source = {make_id("bench", r["id"]): r["id"] for r in read_jsonl(src)}

    def rows(folder: str, cols: list[str]) -> list[dict]:
        return [r for f in sorted((out / folder).glob("part-*.parquet")) for r in pq.read_table(f, columns=cols).to_pylist()]

    cols = ["id", "cluster_id", "cluster_size"]
    data = rows("data", cols)
    rejects = [r for r in rows("rejects", [*cols, "stage"]) if r["stage"] == stage]
    members = [r for r in data + rejects if (r["cluster_size"] or 1) > 1]
    clusters = {source[r["id"]]: source[r["cluster_id"]] for r in members}
    return set(clusters), {source[r["id"]] for r in rejects}, clusters


def phases(recipe_path: str) -> dict[str, float]:
    import codemill
    import codemill.runner as runner

    spent: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001 - wraps any runner function
        def wrapper(*a, **k):  # noqa: ANN002, ANN003
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    labels = {"_segment0": "read + map segment 0 (decode, prepare)", "_global": "global step (driver)",
              "_segment": "apply decisions (rewrite shards)", "finalize": "finalize (publish, verify)"}
    for fn, label in labels.items():
        setattr(runner, fn, timed(label, getattr(runner, fn)))
    t0 = time.perf_counter()
    codemill.run(recipe_path, overwrite=True)
    spent["total"] = time.perf_counter() - t0
    return {k: round(v, 2) for k, v in spent.items()}


if __name__ == "__main__":
    if sys.argv[1] == "phases":
        print(json.dumps(phases(sys.argv[2])))
