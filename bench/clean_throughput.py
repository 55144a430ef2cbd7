"""Throughput of the clean segment (normalize -> syntax -> code_quality -> redact) against bare parsers.

    python bench/clean_throughput.py [--corpus 10pct|full] [--workers 1,2]

Baseline ("bare parsers"): the same JSONL read line by line, `ast.parse` for Python files and a
tree-sitter parse for every file in a language the `syntax` op checks, in a process pool of the
same size. codemill: `codemill run` on a recipe with the four stages, JSONL in, Parquet out.
Both are whole processes timed from outside (wall seconds); the per-stage seconds inside the run
come from its stats.json. Reported: MB/s, files/s, overhead against the baseline with the same
worker count, and the 1 -> 2 worker speed-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clean_common import FAST_SYNTAX, RESULTS, corpus_path, md_table  # noqa: E402
from dedup_common import measure  # noqa: E402

BARE = r"""
import ast, json, sys, warnings
from multiprocessing import Pool
from codemill.clean.syntax import DEFAULT_LANGS
from codemill.parse import has_grammar, parse_bytes

def work(lines):
    warnings.simplefilter("ignore")
    n = 0
    for line in lines:
        rec = json.loads(line)
        lang, text = rec.get("lang"), rec["text"]
        if lang == "python":
            try:
                ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        elif lang in DEFAULT_LANGS and has_grammar(lang):
            parse_bytes(lang, text.encode("utf-8", "surrogatepass"))
        n += 1
    return n

def chunks(path, size=500):
    buf = []
    with open(path, "rb") as fh:
        for line in fh:
            buf.append(line)
            if len(buf) == size:
                yield buf
                buf = []
    if buf:
        yield buf

if __name__ == "__main__":
    workers = int(sys.argv[2])
    if workers == 1:
        print(sum(work(c) for c in chunks(sys.argv[1])))
    else:
        with Pool(workers) as pool:
            print(sum(pool.imap_unordered(work, chunks(sys.argv[1]), chunksize=1)))
"""

STAGES = [{"normalize": {}}, {"syntax": {}}, {"code_quality": {}}, {"redact": {}}]
#: the fast setting: no retries around grammar gaps, no `c_config` (C-family verdicts from the first parse)
FAST = [{"normalize": {}}, {"syntax": FAST_SYNTAX}, {"code_quality": {}}, {"redact": {}}]


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the whole process tree, stdout). CPU time is what to compare on
    a shared machine: other jobs stretch wall time, not the work done. The tree is sampled from
    /proc (`dedup_common.measure`): codemill's workers fork from a server process, so the job's
    own rusage of its children would miss them."""
    m = measure(cmd)
    if m["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{m['stderr']}")
    return m["wall_s"], m["cpu_s"], m["stdout"]


def out_dir(workers: int, tag: str = "") -> Path:
    return RESULTS / f"out-clean{tag}-w{workers}"


def run_codemill(src: Path, workers: int, stages: list[dict] = STAGES, tag: str = "") -> tuple[float, float, dict]:
    out = out_dir(workers, tag)
    recipe = RESULTS / f"clean{tag}-w{workers}.json"
    recipe.write_text(json.dumps({"inputs": [{"type": "jsonl", "path": str(src), "name": "bench"}],
                                  "stages": stages, "executor": {"workers": workers}, "output": str(out)}))
    wall, cpu, _ = timed([sys.executable, "-m", "codemill.cli", "run", str(recipe), "-q", "--overwrite"])
    return wall, cpu, json.loads((out / "stats.json").read_text())


def _flagged(out: Path) -> dict[str, int]:
    """Kept files with `syntax_ok` false, per language, in a run's output: the C family's failures
    (annotated and kept by default), which the fast setting judges from the first parse."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    table = ds.dataset(out / "data", format="parquet").to_table(columns=["lang", "syntax_ok"])
    bad = table.filter(pc.equal(table.column("syntax_ok"), False))
    counts = bad.group_by("lang").aggregate([("lang", "count")]).to_pylist()
    return dict(sorted(((r["lang"], r["lang_count"]) for r in counts), key=lambda kv: -kv[1]))


def cpu_breakdown(src: Path, chunk: int = 200) -> dict[str, float]:
    """CPU seconds (process_time) of the bare parsers and of each op, in one process on the same
    records: where the segment's time goes.

    The two sides are interleaved chunk by chunk (`chunk` records: the bare parsers, then the four
    ops, the order swapped on every other chunk), so a machine whose speed drifts by a third
    between minutes (docs/clean.md, Throughput) slows both sides alike; timing the bare parsers over
    the whole corpus and then the ops moved the ratio between 1.05x and 1.46x from run to run."""
    import ast
    import warnings

    from codemill.api import make_op
    from codemill.clean.syntax import DEFAULT_LANGS
    from codemill.ops import StageStats
    from codemill.parse import has_grammar, parse_bytes

    recs = [json.loads(line) for line in open(src, "rb")]
    ops = {name: make_op(name) for name in ("normalize", "syntax", "code_quality", "redact")}
    for op in ops.values():
        op.setup()
    out = dict.fromkeys(["bare parsers", *ops], 0.0)
    warnings.simplefilter("ignore")

    def bare(part: list[dict]) -> None:
        t0 = time.process_time()
        for r in part:
            if r["lang"] == "python":
                try:
                    ast.parse(r["text"])
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    pass
            elif r["lang"] in DEFAULT_LANGS and has_grammar(r["lang"]):
                parse_bytes(r["lang"], r["text"].encode("utf-8", "surrogatepass"))
        out["bare parsers"] += time.process_time() - t0

    def four(part: list[dict]) -> None:
        batch = [{**r, "_nbytes": len(r["text"].encode("utf-8", "surrogatepass"))} for r in part]
        for name, op in ops.items():
            t0 = time.process_time()
            batch = op.run_batch(batch, StageStats(name), [])
            out[name] += time.process_time() - t0

    for k in range(0, len(recs), chunk):
        part = recs[k : k + chunk]
        for side in ((bare, four) if k // chunk % 2 == 0 else (four, bare)):
            side(part)
    return {k: round(v, 2) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["10pct", "full"], default="10pct")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=2, help="runs per job; the best counts")
    args = ap.parse_args()
    src = corpus_path(args.corpus)
    RESULTS.mkdir(exist_ok=True)
    files = sum(1 for _ in open(src, "rb"))
    mb = src.stat().st_size / 1e6
    rows, report = [], {"corpus": src.name, "mb": round(mb, 1), "files": files, "runs": {}}
    for w in [int(x) for x in args.workers.split(",")]:
        bare, ours, fast = [], [], []
        for _ in range(args.repeat):  # interleaved; the best of each counts (least disturbed by other jobs)
            bare.append(timed([sys.executable, "-c", BARE, str(src), str(w)])[:2])
            ours.append(run_codemill(src, w))
            fast.append(run_codemill(src, w, FAST, "-fast"))
        bare_wall, bare_cpu = min(b[0] for b in bare), min(b[1] for b in bare)
        wall, cpu = min(o[0] for o in ours), min(o[1] for o in ours)
        fast_wall, fast_cpu = min(o[0] for o in fast), min(o[1] for o in fast)
        stats = ours[-1][2]
        stage_s = {s["name"]: round(s["seconds"], 2) for s in stats["stages"]}
        report["runs"][w] = {"bare_wall_s": round(bare_wall, 2), "bare_cpu_s": round(bare_cpu, 2),
                             "codemill_wall_s": round(wall, 2), "codemill_cpu_s": round(cpu, 2),
                             "fast_wall_s": round(fast_wall, 2), "fast_cpu_s": round(fast_cpu, 2),
                             "syntax_failed": _flagged(out_dir(w)), "fast_syntax_failed": _flagged(out_dir(w, "-fast")),
                             "stage_s": stage_s,
                             "rejected": {s["name"]: s["reasons"] for s in stats["stages"] if s["rejected"]}}
        rows.append([f"bare parsers (ast.parse + tree-sitter), {w} proc", w, round(bare_wall, 2), round(bare_cpu, 2),
                     round(mb / bare_wall, 1), round(files / bare_wall), None, None])
        rows.append([f"codemill normalize+syntax+code_quality+redact, {w} worker", w, round(wall, 2), round(cpu, 2),
                     round(mb / wall, 1), round(files / wall), f"{100 * (wall / bare_wall - 1):+.0f}%",
                     f"{100 * (cpu / bare_cpu - 1):+.0f}%"])
        rows.append([f"codemill, fast setting (syntax retries: false, c_config: none), {w} worker", w, round(fast_wall, 2),
                     round(fast_cpu, 2), round(mb / fast_wall, 1), round(files / fast_wall),
                     f"{100 * (fast_wall / bare_wall - 1):+.0f}%", f"{100 * (fast_cpu / bare_cpu - 1):+.0f}%"])
    runs = report["runs"]
    if 1 in runs and 2 in runs:
        report["scaling_bare"] = round(runs[1]["bare_wall_s"] / runs[2]["bare_wall_s"], 2)
        report["scaling_codemill"] = round(runs[1]["codemill_wall_s"] / runs[2]["codemill_wall_s"], 2)
        report["cpu_growth_codemill"] = round(runs[2]["codemill_cpu_s"] / runs[1]["codemill_cpu_s"], 2)
    report["cpu_breakdown_s"] = cpu = cpu_breakdown(src)
    (RESULTS / f"clean-throughput-{args.corpus}.json").write_text(json.dumps(report, indent=2))
    print(f"## clean segment throughput on {src.name} ({mb:.0f} MB JSONL, {files:,} files)\n")
    print(md_table(["job", "workers", "wall s", "CPU s", "MB/s (wall)", "files/s (wall)", "wall overhead",
                    "CPU overhead"], rows))
    for w, r in runs.items():
        print(f"\nper-stage seconds inside the {w}-worker run (summed over workers): {r['stage_s']}")
        print(f"kept files with syntax_ok = false: default {r['syntax_failed']}, fast setting {r['fast_syntax_failed']}")
    ops = sum(v for k, v in cpu.items() if k != "bare parsers")
    print("\n### CPU seconds in one process, same records (process_time)\n")
    print(md_table(["bare parsers", "normalize", "syntax", "code_quality", "redact", "4 ops / bare"],
                   [[cpu["bare parsers"], cpu["normalize"], cpu["syntax"], cpu["code_quality"], cpu["redact"],
                     f"{ops / cpu['bare parsers']:.2f}x"]]))
    if "scaling_codemill" in report:
        print(f"\n1 -> 2 workers (wall): codemill {report['scaling_codemill']}x, bare parsers "
              f"{report['scaling_bare']}x; codemill CPU seconds 2 workers / 1 worker: {report['cpu_growth_codemill']}")


if __name__ == "__main__":
    main()
