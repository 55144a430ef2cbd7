"""The dedup benchmark: codemill side by side with the peers, in one run, on the shared corpus.

    bash bench/setup_peers.sh                 # once: datasketch, rensa, datatrove in bench-venv/
    python bench/dedup.py [--corpus full|10pct] [--skip-peers] [--skip-accuracy] [--skip-scaling]

Prints Markdown tables (and saves JSON under bench-results/dedup/):
1. near dedup end to end: wall time and peak RSS (all processes) for `codemill run` (decode ->
   near_dedup, 2 workers) and for the peers' pipelines (bench/dedup_peer_jobs.py), records removed
   and placed in duplicate clusters, and speed ratios;
2. agreement: Jaccard of the sets of records in duplicate clusters (and removed) between tools,
   with example pairs explaining the differences (their exact Jaccard);
3. where codemill's time goes: engine phases, and a decode-only run as the engine's floor;
4. scaling: the same run on the first 10%, 50% and 100% of the corpus;
5. exact dedup against reading the data plus one xxh3 pass;
6. accuracy against exact Jaccard (bench/dedup_accuracy.py) and structural merges on the whole
   standard library (bench/dedup_structural.py).
Wall times drift with the machine's load: compare the ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_common import OUT, PEER_PY, ROOT, corpus, jaccard_sets, measure, prefix, read_jsonl, save, split_for_tasks, table, warm  # noqa: E402, I001
from dedup_speed import clustered_and_removed, recipe, run_recipe  # noqa: E402
from dedup_truth import bigcode_tokens, shingle_set  # noqa: E402

PEERS = ("rensa", "datasketch", "datatrove")
README = {"data-juicer": (178, 3900, 35648), "text-dedup": (281, 5000, 42610)}  # ../shared/bench/README.md
from engine import BASELINE  # noqa: E402  (the same bare read + xxh3 loop as the engine bench)


def peer_available(name: str) -> bool:
    if not PEER_PY.exists():
        return False
    return subprocess.run([str(PEER_PY), "-c", f"import {name}"], capture_output=True).returncode == 0


def run_peer(name: str, src: Path) -> dict[str, Any] | None:
    out = OUT / f"peer-{name}"
    inp = split_for_tasks(src) if name == "datatrove" else src
    m = measure([str(PEER_PY), str(ROOT / "bench" / "dedup_peer_jobs.py"), name, str(inp), str(out)])
    if m["rc"] != 0:
        print(f"<!-- {name} failed: {m['stderr'][-500:]} -->")
        return None
    res = json.loads((out / "result.json").read_text())
    return {"job": name, "wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "peak_rss_mb": m["peak_rss_mb"],
            "removed": set(res["removed"]),
            "clustered": set(res["clustered"]), "clusters": res["clusters"]}


def codemill_near(name: str, src: Path, **params: Any) -> dict[str, Any]:
    r = run_recipe(name, src, [{"decode": {}}, {"near_dedup": params}])
    clustered, removed, clusters = clustered_and_removed(Path(r["output"]), "near_dedup", src)
    return {**r, "clustered": clustered, "removed": removed, "clusters": clusters}


def codemill_kernel(src: Path) -> dict[str, Any]:
    out = OUT / "kernel"
    m = measure([sys.executable, str(ROOT / "bench" / "dedup_kernel.py"), str(src), str(out)])
    if m["rc"] != 0:
        raise SystemExit(f"dedup_kernel failed:\n{m['stderr']}")
    res = json.loads((out / "result.json").read_text())
    return {"job": "codemill ops, no engine (dedup_kernel.py)", "wall_s": m["wall_s"], "cpu_s": m["cpu_s"],
            "peak_rss_mb": m["peak_rss_mb"],
            "removed": set(res["removed"]), "clustered": set(res["clustered"]), "clusters": {}, "phases": res["seconds"]}


def near_section(src: Path, peers: list[str]) -> list[dict[str, Any]]:
    """Each codemill job runs before and after the peers; its wall time is the mean of the two,
    so that a change in the machine's load during the peers' long runs hits both sides."""
    jobs = [codemill_near("codemill", src), codemill_near("codemill-noverify", src, verify=False), codemill_kernel(src)]
    for p in peers:
        r = run_peer(p, src)
        if r is not None:
            jobs.append(r)
    if peers:
        again = [codemill_near("codemill", src), codemill_near("codemill-noverify", src, verify=False),
                 codemill_kernel(src)]
        for j, k in zip(jobs, again, strict=False):
            j["wall_runs"] = [j["wall_s"], k["wall_s"]]
            j["wall_s"] = round((j["wall_s"] + k["wall_s"]) / 2, 2)
            j["cpu_s"] = round((j["cpu_s"] + k["cpu_s"]) / 2, 1)
            j["peak_rss_mb"] = max(j["peak_rss_mb"], k["peak_rss_mb"])
    by = {j["job"]: j for j in jobs}
    rows = []
    for j in jobs:
        ratio = {p: (f"{by[p]['wall_s'] / j['wall_s']:.1f}x / {by[p]['cpu_s'] / j['cpu_s']:.1f}x" if p in by else "-")
                 for p in ("datatrove", "rensa")}
        rows.append([j["job"], j["wall_s"], j["cpu_s"], j["peak_rss_mb"], f"{len(j['removed']):,}",
                     f"{len(j['clustered']):,}", ratio["datatrove"], ratio["rensa"]])
    for name, (wall, rss, removed) in README.items():
        rows.append([f"{name} (README figure, not run)", wall, "-", rss, f"{removed:,}", "-", "-", "-"])
    print(f"## near dedup end to end on {src.name} (2 workers / 2 processes)\n")
    print("codemill rows: mean of a run before and one after the peers (" +
          "; ".join(f"{j['job']}: {j['wall_runs']}" for j in jobs if "wall_runs" in j) + ")\n")
    print(table(["job", "wall s", "CPU s (all procs)", "peak RSS MB (all procs)", "removed", "in duplicate clusters",
                 "vs datatrove (wall / CPU)", "vs rensa (wall / CPU)"], rows))
    return jobs


def agreement_section(jobs: list[dict[str, Any]], src: Path, examples: int = 3) -> dict[str, Any]:
    names = [j["job"] for j in jobs]
    out: dict[str, Any] = {}
    for key in ("clustered", "removed"):
        rows = [[a["job"], *[f"{jaccard_sets(a[key], b[key]):.3f}" for b in jobs]] for a in jobs]
        print(f"\n### agreement: Jaccard of the sets of records {'in duplicate clusters' if key == 'clustered' else 'removed'}\n")
        print(table(["", *names], rows))
        out[key] = {a["job"]: {b["job"]: jaccard_sets(a[key], b[key]) for b in jobs} for a in jobs}
    texts = {r["id"]: (r["text"], f"{r['repo']}/{r['path']}") for r in read_jsonl(src)}
    ours = jobs[0]
    rng = random.Random(0)
    lines = []
    for peer in jobs[3:]:
        for a, b, who in ((peer, ours, "only " + peer["job"]), (ours, peer, "only codemill")):
            only = sorted(a["clustered"] - b["clustered"])
            for rid in rng.sample(only, min(examples, len(only))):
                rep = a["clusters"][rid]
                mates = [m for m, c in a["clusters"].items() if (c == rep or m == rep) and m != rid]
                mate = rep if rep in texts and rep != rid else (mates[0] if mates else rid)
                j = jaccard_sets(set(shingle_set(bigcode_tokens(texts[rid][0])).tolist()),
                                 set(shingle_set(bigcode_tokens(texts[mate][0])).tolist()))
                lines.append([who, texts[rid][1], texts[mate][1], f"{j:.2f}"])
    print("\n### example records in a duplicate cluster for one tool only, with the exact Jaccard to a cluster mate\n")
    print(table(["clustered by", "record", "cluster mate", "exact Jaccard"], lines))
    out["examples"] = lines
    return out


def phases_section(src: Path) -> dict[str, Any]:
    near = recipe("phases-near", src, [{"decode": {}}, {"near_dedup": {}}])
    floor = recipe("phases-decode", src, [{"decode": {}}])
    res = {}
    for name, path in (("decode -> near_dedup", near), ("decode only (engine floor)", floor)):
        m = measure([sys.executable, str(ROOT / "bench" / "dedup_speed.py"), "phases", str(path)])
        res[name] = json.loads(m["stdout"].strip().splitlines()[-1])
    keys = list(dict.fromkeys(k for v in res.values() for k in v))
    print("\n## where codemill's time goes (seconds, one in-process driver run each, 2 workers)\n")
    print(table(["phase", *res], [[k, *[res[n].get(k, "-") for n in res]] for k in keys]))
    return res


def scaling_section() -> list[dict[str, Any]]:
    rows, out = [], []
    for frac in (0.1, 0.5, 1.0):
        src = prefix(frac)
        mb = src.stat().st_size / 1e6
        r = run_recipe(f"scale-{int(frac * 100)}", src, [{"decode": {}}, {"near_dedup": {}}])
        out.append({"fraction": frac, "mb": mb, **r})
    import numpy as np

    slope, fixed = np.polyfit([r["mb"] for r in out], [r["cpu_s"] for r in out], 1)
    for r in out:
        rows.append([f"{int(r['fraction'] * 100)}%", f"{r['mb']:.0f}", r["wall_s"], r["cpu_s"],
                     f"{(r['cpu_s'] - fixed) / r['mb'] * 1000:.1f}", r["peak_rss_mb"],
                     r["stage_seconds"].get("near_dedup", "-")])
    print("\n## scaling: codemill decode -> near_dedup on the first 10/50/100% of the corpus\n")
    print(f"least-squares CPU time = {fixed:.1f} s fixed (start-up of 3 processes) + {slope * 1000:.1f} ms per MB\n")
    print(table(["share", "MB", "wall s", "CPU s", "CPU ms per MB beyond the fixed part", "peak RSS MB",
                 "near_dedup stage CPU s (workers + driver)"], rows))
    return out


def exact_section(src: Path) -> dict[str, Any]:
    warm(src)
    base = measure([sys.executable, "-c", BASELINE, str(src)])
    ours = run_recipe("exact", src, [{"decode": {}}, {"exact_dedup": {}}])
    floor = run_recipe("decode-only", src, [{"decode": {}}])
    print("\n## exact dedup vs reading the data plus one xxh3 pass\n")
    print(table(["job", "wall s", "CPU s", "peak RSS MB", "duplicates"],
                [["plain Python: JSON + xxh3-64 (1 process)", base["wall_s"], base["cpu_s"], base["peak_rss_mb"],
                  base["stdout"].strip()],
                 ["codemill run: decode -> exact_dedup (2 workers)", ours["wall_s"], ours["cpu_s"], ours["peak_rss_mb"],
                  ours["reasons"].get("exact_dedup", {}).get("exact duplicate", 0)],
                 ["codemill run: decode only (engine floor)", floor["wall_s"], floor["cpu_s"], floor["peak_rss_mb"], "-"]]))
    print(f"\ncodemill exact / baseline = {ours['wall_s'] / base['wall_s']:.2f}x wall; exact_dedup's own share "
          f"(exact minus decode only) = {ours['wall_s'] - floor['wall_s']:.1f} s wall, "
          f"{ours['cpu_s'] - floor['cpu_s']:.1f} s CPU; exact_dedup stage CPU {ours['stage_seconds'].get('exact_dedup')} s")
    return {"baseline": base, "codemill": ours, "floor": floor}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["full", "10pct"], default="full")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--only-near", action="store_true", help="only the side-by-side near-dedup section")
    args = ap.parse_args()
    src = corpus(args.corpus)
    peers = [] if args.skip_peers else [p for p in PEERS if peer_available(p)]
    if not args.skip_peers and len(peers) < len(PEERS):
        print(f"<!-- peers not installed (bash bench/setup_peers.sh): {sorted(set(PEERS) - set(peers))} -->")
    report: dict[str, Any] = {"corpus": src.name}
    jobs = near_section(src, peers)
    report["agreement"] = agreement_section(jobs, src)
    report["near"] = [{k: v for k, v in j.items() if k not in ("removed", "clustered", "clusters")} for j in jobs]
    print("\nno-engine run, seconds per step: " + json.dumps(jobs[2]["phases"]))
    if args.only_near:
        save("report-near", report)
        return
    report["phases"] = phases_section(src)
    if not args.skip_scaling and args.corpus == "full":
        report["scaling"] = scaling_section()
    report["exact"] = exact_section(src)
    save("report", report)
    if not args.skip_accuracy:
        print()
        for script in ("dedup_accuracy.py", "dedup_structural.py"):
            subprocess.run([sys.executable, str(ROOT / "bench" / script)], check=True)


if __name__ == "__main__":
    main()
