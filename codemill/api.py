"""Python API mirroring the CLI: run a recipe, or apply one op to records in a notebook."""

from __future__ import annotations

import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from codemill.ops import GlobalOp, MapOp, Op, PrepareStep, StageStats, text_bytes
from codemill.params import build
from codemill.recipe import load_recipe
from codemill.registry import OPS
from codemill.runner import RunResult
from codemill.runner import run as _run


def run(recipe: str | Path | dict[str, Any], *, output: str | Path | None = None, resume: bool = False,
        overwrite: bool = False, workers: int | None = None, quiet: bool = True,
        metrics_port: int | None = None) -> RunResult:
    """Run a recipe (file path or dict) like `codemill run`; returns stats and manifest."""
    return _run(load_recipe(recipe, output), resume=resume, overwrite=overwrite, quiet=quiet, workers=workers,
                metrics_port=metrics_port)


def make_op(name: str, **params: Any) -> Op:
    """An op by recipe name, with its parameters validated as in a recipe."""
    return build(OPS.get(name), params, name)


@dataclass
class Applied:
    kept: list[dict[str, Any]]
    rejected: list[dict[str, Any]]
    stats: StageStats = field(default_factory=lambda: StageStats("op"))


def apply(op: str | Op, records: Iterable[dict[str, Any]], **params: Any) -> Applied:
    """Apply one op to in-memory records, without an executor: `apply("size_filter", recs, max_bytes=10_000)`."""
    if isinstance(op, str):
        op = make_op(op, **params)
    recs = [dict(r) for r in records]
    for r in recs:
        r["_nbytes"] = text_bytes(r)
    op.setup()
    stats, rejects = StageStats(op.name), []
    if isinstance(op, MapOp):
        kept = op.run_batch(recs, stats, rejects)
    elif isinstance(op, GlobalOp):
        kept = PrepareStep(op).run_batch(recs, stats, rejects)
        kept = _apply_global(op, kept, stats, rejects)
    else:
        raise TypeError(f"{op!r} is not an op")
    for r in (*kept, *rejects):  # worker-private keys (sizes, cached parse trees) never leave
        for key in [k for k in r if k.startswith("_")]:
            del r[key]
    return Applied(kept, rejects, stats)


def _apply_global(op: GlobalOp, recs: list[dict], stats: StageStats, rejects: list[dict]) -> list[dict]:
    cols = list(dict.fromkeys(["id", *op.reads]))
    table = pa.table({c: [r.get(c) for r in recs] for c in cols})
    d = op.decide(table)
    stats.summary.update(d.summary)
    kept = []
    for i, rec in enumerate(recs):
        stats.records_in += 1
        for f in (*op.writes, *(op.reject_writes if d.reason[i] else ())):
            rec[f.name] = d.columns.get(f.name, [None] * len(recs))[i]
        if d.reason[i] is None:
            stats.kept += 1
            kept.append(rec)
        else:
            stats.reject(d.reason[i])
            rec["stage"], rec["reason"], rec["detail"] = op.name, d.reason[i], d.detail[i]
            rejects.append(rec)
    return kept


def default_recipe() -> dict[str, Any]:
    return yaml.safe_load(resources.files("codemill").joinpath("recipes/default.yaml").read_text())


def demo_recipe(workers: int | None = None) -> dict[str, Any]:
    """The default recipe on the Python standard library of the running interpreter."""
    recipe = default_recipe()
    recipe["inputs"] = [{
        "type": "files",
        "path": sysconfig.get_paths()["stdlib"],
        "name": "python-stdlib",
        "exclude": ["__pycache__", "site-packages", "config-*", "*.pyc"],
    }]
    if workers:
        recipe["executor"]["workers"] = workers
    return recipe
