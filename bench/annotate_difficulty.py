"""Difficulty grades: the feature spreads the grader divides by, and sanity checks against signals
the grader never sees (imports, purpose categories, stdlib modules vs tests vs tutorial demos).

    python bench/annotate_difficulty.py [--corpus 10pct|full]

Grades should rise with the number of imports (a file that pulls in more of the world asks more
of its reader) and be lowest for tutorial-style demos; the tables show by how much.
"""

from __future__ import annotations

import argparse
import math
import re
import sysconfig
from pathlib import Path

import numpy as np
from annotate_common import corpus, records, save, table

import codemill
from codemill.annotate.difficulty import DEFAULT_WEIGHTS, SPREAD

IMPORTS = {
    "python": re.compile(r"^\s*(?:import|from)\s+[\w.]", re.M),
    "javascript": re.compile(r"^\s*import\s.+?from\s|\brequire\(\s*['\"]", re.M),
    "c": re.compile(r"^\s*#\s*include\b", re.M),
}
FAMILY = {"python": "python", "cython": "python", "javascript": "javascript", "typescript": "javascript",
          "c": "c", "cpp": "c", "cuda": "c"}
BINS = [(0, 1), (2, 4), (5, 9), (10, 19), (20, 10**9)]


def grade(recs: list[dict]) -> tuple[list[dict], dict]:
    recs = codemill.apply("complexity", recs).kept
    recs = codemill.apply("category", recs).kept
    out = codemill.apply("difficulty", recs, min_records=50)
    return out.kept, out.stats.summary


def spreads(recs: list[dict]) -> list[list]:
    rows = []
    for name in DEFAULT_WEIGHTS:
        v = np.array([math.log1p(r[name]) for r in recs if r.get(name) is not None and r.get("max_cyclomatic")
                      is not None])
        rows.append([name, len(v), float(v.std()), SPREAD[name], DEFAULT_WEIGHTS[name]])
    return rows


def share(recs: list[dict]) -> tuple[int, float, float]:
    s = [r["difficulty_score"] for r in recs if r["difficulty_score"] is not None]
    adv = [r["difficulty"] == "advanced" for r in recs if r["difficulty"] is not None]
    return len(s), float(np.mean(s)) if s else float("nan"), float(np.mean(adv)) if adv else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="10pct", choices=["full", "10pct"])
    a = ap.parse_args()
    recs, summary = grade(list(records(corpus(a.corpus))))
    result: dict = {"thresholds": {k: v["thresholds"] for k, v in summary["languages"].items()}}
    rows = spreads(recs)
    print("## Grader features: spread on this corpus vs the constants in difficulty.py\n")
    print(table(["feature", "files", "std of log1p (measured)", "SPREAD (in code)", "weight"], rows))
    result["spreads"] = {r[0]: r[2] for r in rows}

    print("\n## Grades rise with the number of imports (not a grader feature)\n")
    lines = []
    for fam, pattern in IMPORTS.items():
        group = [(len(pattern.findall(r["text"])), r) for r in recs if FAMILY.get(r["lang"]) == fam]
        for lo, hi in BINS:
            n, mean, adv = share([r for k, r in group if lo <= k <= hi])
            if n:
                lines.append([fam, f"{lo}-{hi}" if hi < 10**9 else f"{lo}+", n, mean, adv])
    print(table(["language family", "imports", "files", "mean difficulty_score", "share advanced"], lines))
    result["by_imports"] = lines

    print("\n## By purpose category (all graded code)\n")
    cats = ["example", "script", "test", "library", "generated", "vendored"]
    lines = [[c, *share([r for r in recs if r["category"] == c])] for c in cats]
    print(table(["category", "files", "mean difficulty_score", "share advanced"], lines))
    result["by_category"] = lines

    std = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(f for f in std.rglob("*.py") if "site-packages" not in f.parts and f.stat().st_size < 300_000)
    stdlib = [{"id": str(f), "text": f.read_text(encoding="utf-8", errors="replace"),
               "path": str(f.relative_to(std)), "lang": "python"} for f in files]
    graded, _ = grade(stdlib)

    def group(path: str) -> str:
        if path.startswith("turtledemo/"):
            return "tutorial demos (turtledemo)"
        return "tests" if "test" in path.split("/")[0] or "idle_test" in path else "library modules"

    print("\n## Python standard library (graded among themselves)\n")
    lines = [[g, *share([r for r in graded if group(r["path"]) == g])]
             for g in ("tutorial demos (turtledemo)", "tests", "library modules")]
    print(table(["stdlib files", "files", "mean difficulty_score", "share advanced"], lines))
    result["stdlib"] = lines
    print(f"\nresults in {save('annotate_difficulty', result)}")


if __name__ == "__main__":
    main()
