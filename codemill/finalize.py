"""Finish a run: publish data/ and rejects/, write stats.json and manifest.json, prove nothing was lost.

Idempotent: a run killed while finalizing resumes and finalizes again. `_work/` is removed
only after everything else is written.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from codemill.exec.shard import parquet_options, part_path, write_json
from codemill.ops import StageStats
from codemill.plan import Plan

if TYPE_CHECKING:
    from codemill.monitor.live import Monitor
    from codemill.recipe import Recipe
    from codemill.runner import Ingest, RunResult

DEPENDENCIES = ("pyarrow", "pyyaml", "xxhash", "zstandard", "charset-normalizer", "orjson", "rich")


class InvariantError(RuntimeError):
    """The run's accounting does not add up: a bug, never a user mistake."""


def finalize(recipe: Recipe, plan: Plan, work: Path, out: Path, ingest: Ingest, wall: float,
             workers: int, monitor: Monitor) -> RunResult:
    from codemill.runner import RunResult

    last = len(plan.segments) - 1
    n = ingest.shards
    publish([part_path(work, last, i, "data") for i in range(n)], out / "data", plan.data_schema)
    publish([part_path(work, last, i, "rejects") for i in range(n)], out / "rejects", plan.reject_schema)
    stages = [monitor.stages[label] for label in plan.stage_labels]
    stats = _stats_doc(stages, ingest, wall, workers, monitor)
    rows = verify(stages, out, ingest)
    stats["totals"]["kept"], stats["totals"]["rejected"] = rows
    write_json(stats, out / "stats.json")
    manifest = _manifest(recipe, plan, out, ingest, rows)
    write_json(manifest, out / "manifest.json")
    _report(out)
    shutil.rmtree(work)
    return RunResult(out, stats, manifest)


def publish(files: list[Path], folder: Path, schema: pa.Schema) -> None:
    """Hard-link the shards' final files, in order, as `part-NNNNN.parquet`; empty ones are skipped.

    The last segment wrote them in the output format, so nothing is re-encoded here. Part
    boundaries are shard boundaries, which depend only on the input and the recipe, so the output
    is the same whatever the number of workers. No part is empty (Hugging Face `datasets` cannot
    read empty Parquet files) unless there are no rows at all. Linking keeps `_work/` intact until
    the end, so a run killed while publishing publishes again on resume.
    """
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    k = 0
    for f in files:
        if pq.read_metadata(f).num_rows == 0:
            continue
        target = folder / f"part-{k:05d}.parquet"
        try:
            os.link(f, target)
        except OSError:  # a file system without hard links
            shutil.copyfile(f, target)
        k += 1
    if k == 0:
        pq.write_table(schema.empty_table(), folder / "part-00000.parquet", **parquet_options(schema))


def _report(out: Path) -> None:
    """Build report.html; the data is already written, so a report failure must not fail the run."""
    from codemill.report import build_report

    try:
        build_report(out)
    except Exception as e:  # noqa: BLE001 - any report bug is reported, never fatal
        print(f"codemill: report not written: {type(e).__name__}: {e}", file=sys.stderr)


def verify(stages: list[StageStats], out: Path, ingest: Ingest) -> tuple[int, int]:
    """Per stage in == kept + rejected, stages chain, and every input id is in data/ or rejects/."""
    problems = []
    prev = None
    for st in stages:
        if st.records_in != st.kept + st.rejected:
            problems.append(f"stage {st.name}: in {st.records_in} != kept {st.kept} + rejected {st.rejected}")
        if prev is not None and st.records_in != prev.kept:
            problems.append(f"stage {st.name}: in {st.records_in} != kept {prev.kept} of stage {prev.name}")
        prev = st
    data_ids = _ids(out / "data")
    rej_ids = _ids(out / "rejects")
    if stages[0].records_in != ingest.records:
        problems.append(f"ingest counted {stages[0].records_in} records, sources yielded {ingest.records}")
    if len(data_ids) != stages[-1].kept:
        problems.append(f"data/ has {len(data_ids)} rows, last stage kept {stages[-1].kept}")
    if len(rej_ids) != sum(s.rejected for s in stages):
        problems.append(f"rejects/ has {len(rej_ids)} rows, stages rejected {sum(s.rejected for s in stages)}")
    seen = set(data_ids) | set(rej_ids)
    if len(seen) != len(data_ids) + len(rej_ids):
        problems.append("some ids appear twice in data/ and rejects/")
    missing = ingest.ids - seen
    if missing:
        problems.append(f"{len(missing)} input ids are in neither data/ nor rejects/, e.g. {sorted(missing)[:3]}")
    extra = seen - ingest.ids
    if extra:
        problems.append(f"{len(extra)} output ids were never read from an input, e.g. {sorted(extra)[:3]}")
    if problems:
        raise InvariantError("nothing-is-lost check failed:\n  " + "\n  ".join(problems))
    return len(data_ids), len(rej_ids)


def _ids(folder: Path) -> list[str]:
    files = sorted(folder.glob("part-*.parquet"))
    return [i for ids in _threads(_id_column, files) for i in ids]


def _id_column(path: Path) -> list[str]:
    with pq.ParquetFile(path) as f:
        return f.read(columns=["id"]).column("id").to_pylist()


def _threads(fn: Callable[[Path], Any], files: list[Path]) -> list[Any]:
    """`fn` over files on a few threads: Parquet reads and sha256 release the GIL."""
    with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(fn, files))


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stage_doc(st: StageStats) -> dict[str, Any]:
    d = st.to_dict()
    d["records_per_s"] = round(st.records_in / st.seconds, 1) if st.seconds > 0 else None
    d["mb_per_s"] = round(st.bytes_in / 1e6 / st.seconds, 3) if st.seconds > 0 else None
    d["success_rate"] = 1 - st.errors / st.records_in if st.records_in else None
    d["latency_s"] = st.latency.summary()
    return d


def _stats_doc(stages: list[StageStats], ingest: Ingest, wall: float, workers: int,
               monitor: Monitor) -> dict[str, Any]:
    bytes_in = stages[0].bytes_in
    pool = [{"pid": int(pid), **w} for pid, w in sorted(monitor.workers.items())]
    return {
        "stages": [_stage_doc(s) for s in stages],
        "workers": pool,
        "alerts": monitor.alerts,
        "totals": {
            "e2e_seconds": round(wall, 3),
            "peak_worker_rss_mb": max((w["max_rss_mb"] for w in pool), default=None),
            "driver_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "records_in": ingest.records,
            "bytes_in": bytes_in,
            "bytes_out": stages[-1].bytes_out,
            "seconds": round(wall, 3),
            "mb_per_s": round(bytes_in / 1e6 / wall, 3) if wall > 0 else None,
            "shards": ingest.shards,
            "resumed_shards": ingest.resumed,
            "workers": workers,
        },
    }


def _manifest(recipe: Recipe, plan: Plan, out: Path, ingest: Ingest, rows: tuple[int, int]) -> dict[str, Any]:
    files = {}
    content = hashlib.sha256()
    for kind in ("data", "rejects"):
        files[kind] = []
        parts = sorted((out / kind).glob("part-*.parquet"))
        for f, digest in zip(parts, _threads(_sha256, parts), strict=True):
            files[kind].append({"path": f"{kind}/{f.name}", "rows": pq.read_metadata(f).num_rows, "sha256": digest})
            if kind == "data":
                content.update(digest.encode())
    return {
        "format": "codemill-dataset/1",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "codemill_version": _version("codemill"),
        "versions": {"python": platform.python_version(), **{d: _version(d) for d in DEPENDENCIES}},
        "recipe": recipe.resolved(),
        "recipe_hash": recipe.fingerprint(),
        "inputs": [{"source": s, **info} for s, info in ingest.sources.items()],
        "rows": {"data": rows[0], "rejects": rows[1]},
        "schema": {"data": _schema(plan.data_schema), "rejects": _schema(plan.reject_schema)},
        "files": files,
        "content_fingerprint": content.hexdigest(),
    }


def _schema(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": f.name, "type": str(f.type)} for f in schema]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
