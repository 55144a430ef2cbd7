"""Engine benchmark on the shared corpus: codemill vs the plain-Python exact-dedup baseline.

    python bench/engine.py [--corpus full|10pct] [--workers 2]

Builds the corpus with ../shared/bench/make_corpus.py when it is missing (about 10 minutes).
Every job runs as its own process; wall time and peak RSS are measured from outside
(peak RSS of the driver and of each worker as reported by the run's stats). Results go to
bench-results/engine.json and a Markdown table on stdout: ratios are what to compare.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_common import warm  # noqa: E402  (the page-cache warm-up every timed bench uses)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
DATA = ROOT / "bench-data"
RESULTS = ROOT / "bench-results"

BASELINE = """
import json, sys, xxhash
seen, dups = set(), 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        h = xxhash.xxh3_64_intdigest(json.loads(line)["text"].encode())
        dups += h in seen
        seen.add(h)
print(dups)
"""


def corpus(which: str) -> Path:
    name = "corpus.jsonl" if which == "full" else "corpus_10pct.jsonl"
    path = DATA / name
    if not path.exists():
        subprocess.run([sys.executable, str(SHARED / "make_corpus.py"), "--out", str(DATA)], check=True)
    return path


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the child and its children, stdout)."""
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr[-3000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, rss, res.stdout


def run_recipe(name: str, src: Path, stages: list, workers: int) -> dict:
    out = RESULTS / f"out-{name}"
    recipe = RESULTS / f"{name}.json"
    recipe.write_text(json.dumps({
        "inputs": [{"type": "jsonl", "path": str(src), "name": "bench"}],
        "stages": stages,
        "executor": {"workers": workers},
        "output": str(out),
    }))
    wall, _, _ = timed([sys.executable, "-m", "codemill.cli", "run", str(recipe), "-q", "--overwrite"])
    stats = json.loads((out / "stats.json").read_text())
    t = stats["totals"]
    return {
        "job": name, "wall_s": round(wall, 2), "mb_per_s": round(t["bytes_in"] / 1e6 / wall, 1),
        "driver_rss_mb": t["driver_rss_mb"], "peak_worker_rss_mb": t["peak_worker_rss_mb"],
        "records_in": t["records_in"], "kept": t["kept"],
        "rejected_by_stage": {s["name"]: s["reasons"] for s in stats["stages"] if s["rejected"]},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["full", "10pct"], default="full")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    src = corpus(args.corpus)
    RESULTS.mkdir(exist_ok=True)
    mb = src.stat().st_size / 1e6

    warm(src)  # page cache warm for every job, not only the ones timed after the first
    wall, rss, out = timed([sys.executable, "-c", BASELINE, str(src)])
    base = {"job": "baseline: plain Python JSON + xxh3-64 exact dedup (1 proc)", "wall_s": round(wall, 2),
            "duplicates": int(out), "peak_rss_mb": round(rss, 1)}
    exact = run_recipe("exact", src, [{"decode": {}}, {"exact_dedup": {}}], args.workers)
    default = run_recipe("default", src, [{"normalize": {}}, {"size_filter": {"max_line_length": 1000}},
                                          {"exact_dedup": {}}], args.workers)
    exact["duplicates"] = exact["rejected_by_stage"].get("exact_dedup", {}).get("exact duplicate", 0)
    report = {"corpus": src.name, "corpus_mb": round(mb, 1), "workers": args.workers,
              "baseline": base, "codemill_exact": exact, "codemill_default": default}
    (RESULTS / f"engine-{args.corpus}.json").write_text(json.dumps(report, indent=2))

    print(f"## engine on {src.name} ({mb:.0f} MB JSONL), {args.workers} workers\n")
    print("| job | wall s | MB/s | peak RSS MB (driver / worker) | result |")
    print("|---|---|---|---|---|")
    print(f"| {base['job']} | {base['wall_s']} | {mb / base['wall_s']:.0f} | {base['peak_rss_mb']} | "
          f"{base['duplicates']:,} duplicates |")
    for r in (exact, default):
        print(f"| codemill `{r['job']}` | {r['wall_s']} | {r['mb_per_s']} | {r['driver_rss_mb']} / "
              f"{r['peak_worker_rss_mb']} | kept {r['kept']:,}; {r['rejected_by_stage']} |")
    print(f"\nexact dedup: codemill / baseline wall = {exact['wall_s'] / base['wall_s']:.2f}x; "
          f"same duplicate count: {exact['duplicates'] == base['duplicates']}")


if __name__ == "__main__":
    main()
