"""Redaction benchmark: recall on the planted-secrets set, spurious redactions on the standard library.

    python bench/clean_redact.py [--rounds 3] [--corpus 10pct|full|none]

Recall: every (kind, value) planted by tests/data/secrets/planted.py counts as found when the value
no longer occurs in the redacted text. Standard library: every readable text file; the files with a
redaction are listed per kind with the path and a masked preview (first two characters and the
length, never the value). Throughput of the op alone is measured on the benchmark corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from clean_common import RESULTS, corpus_records, md_table  # noqa: E402

from codemill import api  # noqa: E402
from tests.conftest import stdlib_text_records  # noqa: E402
from tests.data.secrets.planted import planted_records  # noqa: E402


def recall(rounds: int) -> tuple[dict, float]:
    recs = planted_records(rounds=rounds)
    res = api.apply("redact", [{k: v for k, v in r.items() if k != "expected"} for r in recs])
    out = {r["id"]: r["text"] for r in res.kept}
    found, total = Counter(), Counter()
    for r in recs:
        for kind, value in r["expected"]:
            total[kind] += 1
            found[kind] += value not in out[r["id"]]
    rows = {k: {"planted": total[k], "found": found[k], "recall_pct": round(100 * found[k] / total[k], 2)}
            for k in sorted(total)}
    return rows, 100 * sum(found.values()) / sum(total.values())


def stdlib_review() -> dict:
    recs = stdlib_text_records()
    op = api.make_op("redact")
    files_by_kind: dict[str, list[str]] = defaultdict(list)
    previews: dict[str, list[str]] = defaultdict(list)
    any_file = 0
    for r in recs:
        spans = [s for s in op.find(r["text"], r["lang"]) if not s[2].startswith("+")]
        if spans:
            any_file += 1
        for kind in sorted({k for _, _, k in spans}):
            files_by_kind[kind].append(r["id"])
        for a, b, kind in spans[:2]:
            if len(previews[kind]) < 5:
                previews[kind].append(f"{r['id']}: {r['text'][a:a + 2]}…({b - a} chars)")
    review = {f for k, fs in files_by_kind.items() if k not in ("email", "private_key") for f in fs}
    return {"files": len(recs), "files_redacted": any_file,
            "by_kind": {k: {"files": len(v), "examples": previews[k], "paths": v} for k, v in sorted(files_by_kind.items())},
            "files_other_than_email_or_key": len(review),
            "other_pct": round(100 * len(review) / len(recs), 2)}


def throughput(which: str) -> dict:
    recs = [{"id": str(i), "text": r["text"], "lang": r["lang"], "path": r["path"]}
            for i, r in enumerate(corpus_records(which))]
    mb = sum(len(r["text"].encode()) for r in recs) / 1e6
    t0, c0 = time.perf_counter(), time.process_time()
    res = api.apply("redact", recs)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"mb": round(mb, 1), "seconds": round(dt, 2), "cpu_seconds": round(cpu, 2), "mb_per_s": round(mb / dt, 1),
            "files_redacted": sum(1 for r in res.kept if r["n_redactions"]), "files": len(recs),
            "counts": dict(res.stats.counters)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--corpus", choices=["10pct", "full", "none"], default="10pct")
    args = ap.parse_args()
    rows, total = recall(args.rounds)
    std = stdlib_review()
    report = {"recall": rows, "recall_pct": round(total, 2), "stdlib": std}
    if args.corpus != "none":
        report["corpus"] = throughput(args.corpus)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clean-redact.json").write_text(json.dumps(report, indent=2))
    print(f"## redaction recall on the planted set: {total:.2f}%\n")
    print(md_table(["kind", "planted", "found", "recall %"],
                   [[k, v["planted"], v["found"], v["recall_pct"]] for k, v in rows.items()]))
    print(f"\n## standard library: {std['files_redacted']} of {std['files']} files redacted; "
          f"{std['files_other_than_email_or_key']} ({std['other_pct']}%) with a kind other than e-mail or "
          "private key\n")
    print(md_table(["kind", "files", "examples (masked)"],
                   [[k, v["files"], "; ".join(v["examples"][:3])] for k, v in std["by_kind"].items()]))
    if "corpus" in report:
        c = report["corpus"]
        print(f"\nredact alone on corpus_{args.corpus}: {c['mb_per_s']} MB/s ({c['mb']} MB in {c['seconds']} s wall, "
              f"{c['cpu_seconds']} CPU s; no syntax_ok column, so a redacted file's original is compiled too), "
              f"{c['files_redacted']} of {c['files']} files redacted; counts {c['counts']}")


if __name__ == "__main__":
    main()
