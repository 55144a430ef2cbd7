"""Shared pieces of the annotate benchmarks: corpus paths, record samples, result files, tables."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
SHARED = ROOT.parent / "shared" / "bench"
OUT = ROOT / "bench-results"
TOP10 = ["python", "javascript", "c", "cpp", "typescript", "zig", "assembly", "cuda", "powershell", "cython"]


def corpus(name: str = "full") -> Path:
    """The shared corpus (built with ../shared/bench/make_corpus.py when missing, about 10 minutes)."""
    path = DATA / ("corpus.jsonl" if name == "full" else "corpus_10pct.jsonl")
    if not path.exists():
        subprocess.run([sys.executable, str(SHARED / "make_corpus.py"), "--out", str(DATA)], check=True)
    return path


def records(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Corpus lines as codemill records (`id` = the corpus id)."""
    with open(path, "rb") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                return
            r = orjson.loads(line)
            yield {"id": r["id"], "text": r["text"], "path": r["path"], "repo": r["repo"], "lang": r["lang"]}


def save(name: str, result: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True))
    return path


def table(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """A Markdown table; floats below 1 print as 0.000, others with thousands separators."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def prf(truth: list[str], pred: list[str], labels: Iterable[str]) -> list[list[Any]]:
    """Per label: support, precision, recall, F1."""
    rows = []
    for c in labels:
        tp = sum(t == c and p == c for t, p in zip(truth, pred, strict=True))
        n_pred = sum(p == c for p in pred)
        n_true = sum(t == c for t in truth)
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_true if n_true else 0.0
        rows.append([c, n_true, p, r, 2 * p * r / (p + r) if p + r else 0.0])
    return rows
