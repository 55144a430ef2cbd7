"""Where each built-in op and input type lives, so that a run imports only the modules its recipe uses.

One dict per area, so that work on different areas does not touch the same lines. A test checks
that importing these modules registers exactly these names (`load_all`).
"""

from __future__ import annotations

import importlib

ANNOTATE = {name: f"codemill.annotate.{name}" for name in ("category", "complexity", "difficulty", "language")}
CLEAN = {
    "code_quality": "codemill.clean.quality",
    "decode": "codemill.clean.normalize",
    "fill_missing": "codemill.clean.missing",
    "normalize": "codemill.clean.normalize",
    "outliers": "codemill.clean.outliers",
    "redact": "codemill.clean.redact",
    "size_filter": "codemill.clean.size",
    "syntax": "codemill.clean.syntax",
}
DEDUP = {
    "bloom_dedup": "codemill.dedup.bloom",
    "decontaminate": "codemill.dedup.decontaminate",
    "exact_dedup": "codemill.dedup.exact",
    "near_dedup": "codemill.dedup.near",
    "normalized_dedup": "codemill.dedup.normalized",
    "structural_dedup": "codemill.dedup.structural",
}
OPS = {**ANNOTATE, **CLEAN, **DEDUP}
READERS = {name: f"codemill.io.{name}" for name in ("archive", "files", "git", "jsonl", "parquet")}


def load_all() -> None:
    """Import every built-in module (to list every op, or to find every report section)."""
    for module in sorted({*OPS.values(), *READERS.values()}):
        importlib.import_module(module)
