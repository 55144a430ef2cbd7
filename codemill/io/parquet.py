"""`parquet` source: Parquet files read in record batches, so memory stays bounded."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from codemill.io.base import RAW_CAP, Reader, check_mapping, rel_name, row_record, source_files
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

    def _read_file(self, p: Path, rel: str) -> Iterator[dict[str, Any]]:
        """Rows in file order; a file that breaks keeps the rows read so far and ends in one reject."""
        index = 0
        try:
            with pq.ParquetFile(p) as pf:
                for batch in pf.iter_batches(batch_size=self.batch_rows):
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


def _bytes_as_text(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode("utf-8", "backslashreplace")
    return str(v)
