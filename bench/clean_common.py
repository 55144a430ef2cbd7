"""Helpers shared by the clean benchmarks: corpus access, Markdown tables, compilers on PATH."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
RESULTS = ROOT / "bench-results"
#: the `syntax` fast setting: the first parse decides (no retries around grammar gaps, no `c_config`)
FAST_SYNTAX = {"retries": False, "c_config": "none"}


def corpus_path(which: str) -> Path:
    path = DATA / ("corpus.jsonl" if which == "full" else "corpus_10pct.jsonl")
    if not path.exists():
        raise SystemExit(f"{path} is missing: build it with python ../shared/bench/make_corpus.py --out bench-data")
    return path


def corpus_records(which: str) -> Iterator[dict]:
    with open(corpus_path(which), "rb") as fh:
        for line in fh:
            yield json.loads(line)


def md_table(header: list[str], rows: list[list]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def which(*names: str) -> str | None:
    for n in names:
        path = shutil.which(n)
        if path:
            return path
    return None
