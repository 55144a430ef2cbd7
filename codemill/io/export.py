"""`codemill export`: a finished output folder -> one JSONL(.gz/.zst) or Parquet file, streamed."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from codemill.exec.shard import parquet_options


def parts(out: Path, kind: str = "data") -> list[Path]:
    folder = Path(out) / kind
    files = sorted(folder.glob("part-*.parquet"))
    if not (Path(out) / "manifest.json").exists() or not files:
        raise FileNotFoundError(f"{out}: not a finished codemill output (no manifest.json or no {kind}/part-*.parquet)")
    return files


def batches(out: Path, kind: str = "data") -> Iterator[pa.RecordBatch]:
    for f in parts(out, kind):
        yield from pq.ParquetFile(f).iter_batches(batch_size=1024)


def _open(dest: Path) -> IO[bytes]:
    if dest.suffix == ".gz":
        return gzip.open(dest, "wb")
    if dest.suffix == ".zst":
        return zstandard.ZstdCompressor().stream_writer(open(dest, "wb"), closefd=True)  # noqa: SIM115
    return open(dest, "wb")  # noqa: SIM115


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    meta = row.get("meta")
    if isinstance(meta, str):
        row["meta"] = orjson.loads(meta)
    for k, v in row.items():
        if isinstance(v, bytes):
            row[k] = v.decode("utf-8", "replace")
    return row


def export(out: Path, dest: Path, fmt: str, kind: str = "data") -> int:
    """Write every row of `out/<kind>` to `dest`; returns the number of rows."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    if fmt == "jsonl":
        with _open(dest) as fh:
            for batch in batches(out, kind):
                for row in batch.to_pylist():
                    fh.write(orjson.dumps(_jsonable(row), option=orjson.OPT_NAIVE_UTC) + b"\n")
                    n += 1
        return n
    if fmt == "parquet":
        schema = pq.read_schema(parts(out, kind)[0])
        with pq.ParquetWriter(dest, schema, **parquet_options(schema)) as w:
            for batch in batches(out, kind):
                w.write_batch(batch)
                n += batch.num_rows
        return n
    raise ValueError(f"unknown format {fmt!r}; valid formats: jsonl, parquet")
