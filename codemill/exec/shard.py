"""The unit of work every executor runs: one shard through one fused map segment.

A shard's files are written atomically (temp file + rename) and its `done-N.json` last, so a
run killed at any moment resumes by skipping the shards whose `done` file exists.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from codemill.ops import StageStats, text_bytes
from codemill.plan import Plan, Segment


@dataclass
class ShardTask:
    segment: int
    shard: int
    workdir: str
    records: list[dict[str, Any]] | None = None  # segment 0: records straight from the readers
    decisions: pa.Table | None = None  # later segments: this shard's rows of the global decisions
    fingerprint: str = ""  # of the shard's input, checked on resume


def seg_dir(workdir: str | Path, segment: int) -> Path:
    return Path(workdir) / f"seg{segment}"


def part_path(workdir: str | Path, segment: int, shard: int, kind: str) -> Path:
    ext = "json" if kind == "done" else "parquet"
    return seg_dir(workdir, segment) / f"{kind}-{shard:05d}.{ext}"


#: Columns worth dictionary-encoding (few distinct values). Text, ids and hashes are unique per
#: row: trying to dictionary-encode them costs more than compressing them.
DICT_COLUMNS = ["lang", "source", "repo", "commit", "license", "encoding", "stage", "reason"]


def parquet_options(schema: pa.Schema, final: bool) -> dict[str, Any]:
    """Final output: zstd. Work files (read once or twice, then deleted): lz4, 2-3x faster to write."""
    return {"compression": "zstd" if final else "lz4",
            "use_dictionary": [c for c in DICT_COLUMNS if c in schema.names]}


def write_parquet(table: pa.Table, path: Path, final: bool = False) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    pq.write_table(table, tmp, **parquet_options(table.schema, final))
    os.replace(tmp, path)


def write_json(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def run_shard(plan: Plan, task: ShardTask) -> dict[str, Any]:
    """Process one shard; returns (and writes) its per-stage stats."""
    seg = plan.segments[task.segment]
    stats: dict[str, StageStats] = {}
    rejects: list[dict[str, Any]] = []
    if task.segment == 0:
        recs = _ingest(task.records or [], stats.setdefault("ingest", StageStats("ingest")), rejects)
    else:
        recs = _apply_decisions(plan, seg, task, stats, rejects)
    for label, op in seg.ops:
        recs = op.run_batch(recs, stats.setdefault(label, StageStats(label)), rejects)

    out = seg_dir(task.workdir, task.segment)
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(pa.Table.from_pylist(recs, schema=seg.schema), part_path(task.workdir, task.segment, task.shard, "part"))
    write_parquet(pa.Table.from_pylist(rejects, schema=plan.reject_schema),
                  part_path(task.workdir, task.segment, task.shard, "rej"))
    result = {
        "shard": task.shard,
        "fingerprint": task.fingerprint,
        "kept": len(recs),
        "rejected": len(rejects),
        "stats": [s.to_dict() for s in stats.values()],
        **worker_usage(),
    }
    write_json(result, part_path(task.workdir, task.segment, task.shard, "done"))
    return result


def worker_usage() -> dict[str, Any]:
    """This process's id, CPU seconds so far and peak RSS, reported with every shard."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"pid": os.getpid(), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "worker_max_rss_mb": round(ru.ru_maxrss / 1024, 1)}


def _ingest(records: list[dict[str, Any]], stats: StageStats, rejects: list[dict[str, Any]]) -> list[dict]:
    kept = []
    for rec in records:
        rec["_nbytes"] = n = text_bytes(rec)
        stats.records_in += 1
        stats.bytes_in += n
        bad = rec.pop("_reject", None)
        if bad is not None:
            stats.reject(bad[0])
            rec["stage"], rec["reason"], rec["detail"] = "ingest", bad[0], bad[1]
            rejects.append(rec)
        else:
            stats.kept += 1
            stats.bytes_out += n
            kept.append(rec)
    return kept


def _put_column(table: pa.Table, field: pa.Field, values: pa.ChunkedArray) -> pa.Table:
    """Add a column, or replace it when the op rewrites an existing one (e.g. `license` filled in)."""
    values = values.cast(field.type)
    i = table.schema.get_field_index(field.name)
    return table.set_column(i, field, values) if i >= 0 else table.append_column(field, values)


def _apply_decisions(plan: Plan, seg: Segment, task: ShardTask, stats: dict, rejects: list) -> list[dict]:
    """Split the previous segment's shard by the global step's decisions; add its columns.

    The driver counted the global step's records; its bytes are counted here, where the text
    is loaded anyway, so the driver never reads the text of the whole dataset.
    """
    table = pq.read_table(part_path(task.workdir, seg.index - 1, task.shard, "part"))
    dec = task.decisions
    assert seg.apply is not None and dec is not None and dec.num_rows == table.num_rows, "decisions misaligned"
    label, op = seg.apply
    sizes = pc.fill_null(pc.binary_length(table.column("text").cast(pa.binary())), 0)
    drop = pc.is_valid(dec.column("reason"))
    keep = pc.invert(drop)
    st = stats.setdefault(label, StageStats(label))
    st.bytes_in += pc.sum(sizes).as_py() or 0
    st.bytes_out += pc.sum(pc.filter(sizes, keep)).as_py() or 0
    for f in op.writes:
        table = _put_column(table, f, dec.column(f.name))
    if pc.any(drop).as_py():
        bad = table.filter(drop)
        bad_dec = dec.filter(drop)
        for f in op.reject_writes:
            bad = _put_column(bad, f, bad_dec.column(f.name))
        bad = bad.append_column("stage", pa.array([label] * bad.num_rows, pa.string()))
        bad = bad.append_column("reason", bad_dec.column("reason"))
        bad = bad.append_column("detail", bad_dec.column("detail"))
        rejects.extend(bad.to_pylist())
        table = table.filter(keep)
        sizes = pc.filter(sizes, keep)
    recs = table.to_pylist()
    for rec, n in zip(recs, sizes.to_pylist(), strict=True):
        rec["_nbytes"] = n
    return recs
