"""`parquet` source: Parquet files read in record batches, so memory stays bounded."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from codemill.io.base import RAW_CAP, Reader, check_mapping, rel_name, row_record, source_files
from codemill.io.splits import Split
from codemill.params import ParamError, param
from codemill.record import reject_record
from codemill.registry import READERS


@READERS.register("parquet")
@dataclasses.dataclass
class ParquetReader(Reader):
    """Parquet files read batch by batch; source columns mapped to core columns, binary text decoded if UTF-8."""

    fields: dict[str, str] = param({}, "core column -> source column, e.g. {text: content, path: filename}; "
                                       "other columns go to `meta`")
    batch_rows: int = param(1024, "rows per record batch read at a time (bounds memory)")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_mapping(self.fields)
        if self.batch_rows <= 0:
            raise ParamError("batch_rows", "must be > 0")

    def read(self) -> Iterator[dict[str, Any]]:
        for p in source_files(self, (".parquet",)):
            yield from self._read_file(p, rel_name(self, p))

    def read_units(self, max_lines: int, max_bytes: int) -> Iterator[dict[str, Any] | Split]:
        """Runs of whole row groups, up to `max_lines` rows or `max_bytes` of data, read by the workers.

        A row group is never cut (it is the unit Parquet decodes); a file with a row group over
        4x the bounds is streamed here in batches instead, so a worker never holds it whole.
        """
        for p in source_files(self, (".parquet",)):
            rel = rel_name(self, p)
            try:
                groups = _row_groups(p)
            except (pa.ArrowException, OSError):
                groups = None  # reading it here reports the error as a reject, as `read` does
            if groups is None or any(n > 4 * max_lines or size > 4 * max_bytes for n, size, _ in groups):
                yield from self._read_file(p, rel)
                continue
            first = 0
            with open(p, "rb") as fh:
                for run in _runs(groups, max_lines, max_bytes):
                    n = sum(groups[g][0] for g in run)
                    fp = xxhash.xxh3_128(rel.encode())
                    for g in run:
                        lo, hi = groups[g][2]
                        fh.seek(lo)
                        fp.update(fh.read(hi - lo))
                    yield Split(self, str(p), rel, run[0], run[-1] + 1, first, n, fp.hexdigest())
                    first += n

    def read_split(self, split: Split) -> Iterator[dict[str, Any]]:
        """Row groups [split.start, split.end) of the file; rows numbered from `first_line`."""
        yield from self._read_file(Path(split.path), split.rel, range(split.start, split.end), split.first_line)

    def _read_file(self, p: Path, rel: str, groups: range | None = None, first: int = 0) -> Iterator[dict[str, Any]]:
        """Rows in file order; a file that breaks keeps the rows read so far and ends in one reject."""
        index = first
        try:
            with pq.ParquetFile(p) as pf:
                for batch in pf.iter_batches(batch_size=self.batch_rows,
                                             row_groups=list(groups) if groups is not None else None):
                    for row in batch.to_pylist():
                        where = f"{rel} row {index}"
                        rec = row_record(self.source, self.fields, row, f"{rel}:{index}", where)
                        if "_reject" in rec:
                            rec["raw"] = orjson.dumps(row, default=_bytes_as_text)[:RAW_CAP]
                        index += 1
                        yield rec
        except (pa.ArrowException, OSError) as e:
            yield reject_record(self.source, f"{rel}:{index}", "unreadable parquet",
                                f"{rel}: after {index} rows: {type(e).__name__}: {e}")


def _row_groups(p: Path) -> list[tuple[int, int, tuple[int, int]]]:
    """(rows, uncompressed bytes, (first, last) byte of its column chunks in the file) per row group."""
    md = pq.read_metadata(p)
    out = []
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        spans = []
        for c in range(rg.num_columns):
            col = rg.column(c)
            start = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
            spans.append((start, start + col.total_compressed_size))
        lo = min((a for a, _ in spans), default=0)
        out.append((rg.num_rows, rg.total_byte_size, (lo, max((b for _, b in spans), default=lo))))
    return out


def _runs(groups: list[tuple[int, int, Any]], max_rows: int, max_bytes: int) -> Iterator[list[int]]:
    """Consecutive row groups, each run closed once it reaches `max_rows` rows or `max_bytes`."""
    run: list[int] = []
    rows = size = 0
    for g, (n, b, _) in enumerate(groups):
        run.append(g)
        rows, size = rows + n, size + b
        if rows >= max_rows or size >= max_bytes:
            yield run
            run, rows, size = [], 0, 0
    if run:
        yield run


def _bytes_as_text(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode("utf-8", "backslashreplace")
    return str(v)
