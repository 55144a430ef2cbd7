"""The unit of work every executor runs: one shard through one fused map segment.

A shard's files are written atomically (temp file + rename) and its `done-N.json` last, so a
run killed at any moment resumes by skipping the shards whose `done` file exists.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from codemill.io.splits import Split
from codemill.ops import StageStats, text_bytes
from codemill.plan import Plan, Segment
from codemill.record import DUPLICATE_KEY


@dataclass
class ShardTask:
    segment: int
    shard: int
    workdir: str
    records: list[dict[str, Any]] | None = None  # segment 0: records the driver read
    split: Split | None = None  # segment 0: a byte range the worker reads itself
    renames: list[tuple[int, str]] = field(default_factory=list)  # split: (position, fresh id) of repeated keys
    decisions: pa.Table | None = None  # later segments: this shard's rows of the global decisions
    fingerprint: str = ""  # of the shard's input, checked on resume


def seg_dir(workdir: str | Path, segment: int) -> Path:
    return Path(workdir) / f"seg{segment}"


def part_path(workdir: str | Path, segment: int, shard: int, kind: str) -> Path:
    """`part`/`rej`: a shard's kept/rejected rows between segments (Arrow IPC); `data`/`rejects`:
    the last segment's, in the output format (Parquet); `done`: its result."""
    ext = {"done": "json", "part": "arrow", "rej": "arrow"}.get(kind, "parquet")
    return seg_dir(workdir, segment) / f"{kind}-{shard:05d}.{ext}"


#: Columns worth dictionary-encoding (few distinct values). Text, ids and hashes are unique per
#: row: trying to dictionary-encode them costs more than compressing them.
DICT_COLUMNS = ["lang", "source", "repo", "commit", "license", "encoding", "stage", "reason"]
#: Columns whose min/max statistics nobody filters on and that are costly to compute (long strings).
NO_STATS = {"text", "raw", "detail", "meta", "syntax_error", "repair_removed"}


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """The output format: zstd, dictionaries for the few-valued columns, statistics on the small ones."""
    return {"compression": "zstd", "use_dictionary": [c for c in DICT_COLUMNS if c in schema.names],
            "write_statistics": [c for c in schema.names if c not in NO_STATS]}


def write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    pq.write_table(table, tmp, **parquet_options(table.schema))
    os.replace(tmp, path)


def write_work(table: pa.Table, path: Path) -> None:
    """A work file: Arrow IPC, uncompressed. Written at memory speed and read without copying
    (memory-mapped), so a global step that reads two columns touches only their pages."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    os.replace(tmp, path)


def read_work(path: Path, columns: list[str] | None = None) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    return table if columns is None else table.select(columns)


def write_json(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def run_shard(plan: Plan, task: ShardTask) -> dict[str, Any]:
    """Process one shard; returns (and writes) its per-stage stats.

    The last segment writes the shard's final output (zstd) and gathers its rejects from every
    segment, so publishing the run is renaming files, not re-encoding them.
    """
    seg = plan.segments[task.segment]
    stats: dict[str, StageStats] = {}
    rejects: list[dict[str, Any]] = []
    rejected: list[pa.Table] = []  # rejects that never left Arrow (global decisions)
    table: pa.Table | None = None
    extra: dict[str, Any] = {}
    if task.segment == 0:
        recs = task.records or []
        if task.split is not None:
            recs = task.split.read()
            extra["ids"] = [r["id"] for r in recs]
            extra["renames"] = [list(r) for r in task.renames]
            _rename(recs, task.renames)
        recs = _ingest(recs, stats.setdefault("ingest", StageStats("ingest")), rejects)
    else:
        table, bad = _apply_decisions(plan, seg, task, stats)
        rejected.append(bad)
        recs = table.to_pylist() if seg.ops else []
        if seg.ops:
            for rec, n in zip(recs, _sizes(table).to_pylist(), strict=True):
                rec["_nbytes"] = n
    for label, op in seg.ops:
        recs = op.run_batch(recs, stats.setdefault(label, StageStats(label)), rejects)

    out = seg_dir(task.workdir, task.segment)
    out.mkdir(parents=True, exist_ok=True)
    final = task.segment == len(plan.segments) - 1
    if table is None or seg.ops:
        table = from_records(recs, seg.schema)
    table = table.select(seg.schema.names).cast(seg.schema)
    if rejects:
        rejected.append(from_records(rejects, plan.reject_schema))
    n_rejected = sum(t.num_rows for t in rejected)
    if final:  # this shard's rejects of the earlier segments join it
        earlier = [read_work(part_path(task.workdir, k, task.shard, "rej")) for k in range(task.segment)]
        rejected = [t for t in earlier if t.num_rows] + rejected
    rej = pa.concat_tables([conform(t, plan.reject_schema) for t in rejected]) if rejected \
        else plan.reject_schema.empty_table()
    if final:
        write_parquet(table, part_path(task.workdir, task.segment, task.shard, "data"))
        write_parquet(rej, part_path(task.workdir, task.segment, task.shard, "rejects"))
    else:
        write_work(table, part_path(task.workdir, task.segment, task.shard, "part"))
        write_work(rej, part_path(task.workdir, task.segment, task.shard, "rej"))
    result = {
        "shard": task.shard,
        "fingerprint": task.fingerprint,
        "kept": table.num_rows,
        "rejected": n_rejected,
        "stats": [s.to_dict() for s in stats.values()],
        **extra,
        **worker_usage(),
    }
    write_json(result, part_path(task.workdir, task.segment, task.shard, "done"))
    return result


def from_records(recs: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Records as a table of `schema` (keys outside it, such as worker-private ones, are dropped)."""
    return pa.Table.from_pylist(recs, schema=schema)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns, in order: missing ones null, the rest cast."""
    cols = [table.column(f.name).cast(f.type) if f.name in table.column_names
            else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.table(cols, schema=schema)


def _rename(recs: list[dict[str, Any]], renames: list[tuple[int, str]]) -> None:
    """Repeated source keys found by the driver across shards: fresh ids, rejected at ingest."""
    for pos, new in renames:
        rec = recs[pos]
        base, rec["id"] = rec["id"], new
        rec.setdefault("_reject", (DUPLICATE_KEY, f"same source and key as record {base}"))


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


def _sizes(table: pa.Table) -> pa.ChunkedArray:
    return pc.fill_null(pc.binary_length(table.column("text").cast(pa.binary())), 0)


def _apply_decisions(plan: Plan, seg: Segment, task: ShardTask, stats: dict) -> tuple[pa.Table, pa.Table]:
    """Split the previous segment's shard by the global step's decisions: (kept, rejected), both Arrow.

    The driver counted the global step's records; its bytes are counted here, where the text
    is loaded anyway, so the driver never reads the text of the whole dataset.
    """
    table = read_work(part_path(task.workdir, seg.index - 1, task.shard, "part"))
    dec = task.decisions
    assert seg.apply is not None and dec is not None and dec.num_rows == table.num_rows, "decisions misaligned"
    label, op = seg.apply
    sizes = _sizes(table)
    drop = pc.is_valid(dec.column("reason"))
    keep = pc.invert(drop)
    st = stats.setdefault(label, StageStats(label))
    st.bytes_in += pc.sum(sizes).as_py() or 0
    st.bytes_out += pc.sum(pc.filter(sizes, keep)).as_py() or 0
    for f in op.writes:
        table = _put_column(table, f, dec.column(f.name))
    bad = table.filter(drop)
    bad_dec = dec.filter(drop)
    for f in op.reject_writes:
        bad = _put_column(bad, f, bad_dec.column(f.name))
    bad = bad.append_column("stage", pa.array([label] * bad.num_rows, pa.string()))
    bad = bad.append_column("reason", bad_dec.column("reason"))
    bad = bad.append_column("detail", bad_dec.column("detail"))
    return table.filter(keep), bad
