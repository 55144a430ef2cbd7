"""Repair benchmark: truncate real files at random byte offsets, repair, measure what survives.

    python bench/clean_repair.py [--n 2000] [--seed 0] [--corpus 10pct|full|none] [--per-lang 200]
                                 [--langs c,java] [--params '{"repair_scope": "definition"}']

Python: standard-library files (those compile() accepts) truncated at a uniformly random byte.
Other languages: corpus files that tree-sitter parses without error, truncated the same way.
Reported per language: how many truncations still parse as they are, how many the `syntax` op
repaired, the share of repaired outputs that pass the same check again (must be 100%), and the
lines kept as a share of the complete lines before the cut (over repaired files, and over all).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import sysconfig
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clean_common import RESULTS, corpus_records, md_table  # noqa: E402

from codemill import api  # noqa: E402
from codemill.clean.pycheck import check_python  # noqa: E402
from codemill.clean.syntax import DEFAULT_LANGS  # noqa: E402


def stdlib_files() -> list[dict]:
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for p in sorted(root.rglob("*.py")):
        if "site-packages" in p.parts:
            continue
        try:
            text = p.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if text.strip() and check_python(text).ok:
            out.append({"id": str(p.relative_to(root)), "text": text, "lang": "python", "path": p.name})
    return out


def valid(rec: dict) -> bool:
    """The `syntax` op's own verdict (the same check a repair must pass)."""
    out = api.apply("syntax", [{**rec, "id": "v"}], on_error="keep", keep_langs=[]).kept[0]
    return out["syntax_ok"] is True


def truncate(rec: dict, rng: random.Random) -> tuple[dict, int]:
    """The record cut at a random byte (moved back to a character boundary); lines complete before it."""
    data = rec["text"].encode("utf-8", "surrogatepass")
    cut = rng.randrange(1, len(data))
    text = data[:cut].decode("utf-8", "ignore")
    return {**rec, "text": text, "id": f"{rec['id']}@{cut}"}, text.count("\n")


def kept_lines(original: str, repaired: str) -> int:
    """Lines of the original the repair kept: its common prefix with the original, so appended
    closers never count; a last line cut after its code (a trailing comment dropped) counts."""
    n = len(os.path.commonprefix([original, repaired]))
    return original.count("\n", 0, n) + (0 if n == 0 or original[n - 1] == "\n" else 1)


def measure(samples: list[tuple[dict, int]], **params: object) -> dict:
    recs = [s for s, _ in samples]
    t0 = time.process_time()
    api.apply("syntax", recs, on_error="keep", keep_langs=[], **params)
    t1 = time.process_time()
    res = api.apply("syntax", recs, on_error="repair", keep_langs=[], **params)
    t2 = time.process_time()
    before = {s["id"]: n for s, n in samples}
    originals = {s["id"]: s["text"] for s in recs}
    as_is = repaired = reparse_ok = 0
    fixed: list[tuple[int, int]] = []  # (lines kept, complete lines before the cut), repaired or unrepairable
    for r in res.kept:
        n = before[r["id"]]
        if r["repaired"]:
            repaired += 1
            reparse_ok += valid(r)
            fixed.append((min(n, kept_lines(originals[r["id"]], r["text"])), n))
        else:
            as_is += 1
    fixed += [(0, before[r["id"]]) for r in res.rejected]  # unrepairable: nothing kept
    everything = fixed + [(n, n) for r in res.kept if not r["repaired"] for n in [before[r["id"]]]]

    def mean_ratio(pairs: list[tuple[int, int]]) -> float | None:
        return round(100 * sum(k / n if n else 1.0 for k, n in pairs) / len(pairs), 2) if pairs else None

    def total_ratio(pairs: list[tuple[int, int]]) -> float | None:
        n = sum(n for _, n in pairs)
        return round(100 * sum(k for k, _ in pairs) / n, 2) if n else None

    return {"truncations": len(samples), "parse_as_is": as_is, "repaired": repaired,
            "unrepairable": len(res.rejected),
            "repaired_reparse_pct": round(100 * reparse_ok / repaired, 2) if repaired else None,
            "kept_mean_pct_broken": mean_ratio(fixed), "kept_total_pct_broken": total_ratio(fixed),
            "kept_mean_pct_all": mean_ratio(everything), "kept_total_pct_all": total_ratio(everything),
            "repair_cpu_ms_per_file": round(1000 * max(0.0, (t2 - t1) - (t1 - t0)) / max(1, len(fixed)), 2),
            "seconds": round(t2 - t1, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="stdlib truncations")
    ap.add_argument("--per-lang", type=int, default=200, help="corpus truncations per other language")
    ap.add_argument("--corpus", choices=["10pct", "full", "none"], default="10pct")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--langs", default="", help="comma-separated corpus languages (default: all checked ones)")
    ap.add_argument("--params", default="{}", help='extra `syntax` parameters as JSON, e.g. \'{"repair_scope": "definition"}\'')
    ap.add_argument("--out", default="clean-repair.json", help="result file name in bench-results/")
    args = ap.parse_args()
    params = json.loads(args.params)
    rng = random.Random(args.seed)
    files = stdlib_files()
    rows = {}
    if args.n:
        rows["python (stdlib)"] = measure([truncate(rng.choice(files), rng) for _ in range(args.n)], **params)
    if args.corpus != "none":
        by_lang: dict[str, list[dict]] = defaultdict(list)
        for rec in corpus_records(args.corpus):
            if rec["lang"] not in ("python", "cython") and len(by_lang[rec["lang"]]) < 4 * args.per_lang:
                by_lang[rec["lang"]].append(rec)
        for lang in sorted(set(by_lang) & set(args.langs.split(",") if args.langs else DEFAULT_LANGS)):
            pool = [r for r in by_lang[lang] if len(r["text"]) > 1 and valid(r)]
            if len(pool) >= 5:
                rng = random.Random(f"{args.seed}-{lang}")  # the same samples whatever else runs
                rows[lang] = measure([truncate(rng.choice(pool), rng) for _ in range(args.per_lang)], **params)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps({"params": params, "rows": rows}, indent=2))
    print("## repair of truncated files\n")
    cols = ["truncations", "parse_as_is", "repaired", "unrepairable", "repaired_reparse_pct",
            "kept_mean_pct_broken", "kept_total_pct_broken", "kept_mean_pct_all", "kept_total_pct_all",
            "repair_cpu_ms_per_file", "seconds"]
    print(md_table(["language", *cols], [[k, *(v[c] for c in cols)] for k, v in rows.items()]))


if __name__ == "__main__":
    main()
