"""`jsonl` source: JSON Lines files (plain, .gz or .zst), streamed line by line.

Lines are read in bounded chunks, so one huge or broken line is a reject, never a crash or
an out-of-memory; a truncated compressed file keeps the lines read before the break.
"""

from __future__ import annotations

import dataclasses
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

from codemill.io.base import RAW_CAP, Reader, check_mapping, rel_name, row_record, source_files
from codemill.io.streams import open_stream
from codemill.params import ParamError, param
from codemill.record import reject_record
from codemill.registry import READERS

_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")


@READERS.register("jsonl")
@dataclasses.dataclass
class JsonlReader(Reader):
    """JSON Lines files (plain, .gz or .zst), one object per line; source fields mapped to core columns."""

    fields: dict[str, str] = param({}, "core column -> source field, e.g. {text: content, path: filename}; "
                                       "other fields go to `meta`")
    max_line_bytes: int = param(64 << 20, "longer lines are rejected unparsed (read in chunks, never whole)")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_mapping(self.fields)
        if self.max_line_bytes <= 0:
            raise ParamError("max_line_bytes", "must be > 0")

    def read(self) -> Iterator[dict[str, Any]]:
        for p in source_files(self, _SUFFIXES):
            yield from self._read_file(p, rel_name(self, p))

    def _read_file(self, p: Path, rel: str) -> Iterator[dict[str, Any]]:
        lineno = 0
        try:
            with open_stream(p) as f:
                for line, complete in _lines(f, self.max_line_bytes):
                    lineno += 1
                    key, where = f"{rel}:{lineno}", f"{rel} line {lineno}"
                    if not complete:
                        yield reject_record(self.source, key, "line too large",
                                            f"{where}: over {self.max_line_bytes} bytes", raw=line[:RAW_CAP])
                        continue
                    if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                        line = line[3:]
                    if not line.strip():
                        continue
                    try:
                        row = orjson.loads(line)
                    except orjson.JSONDecodeError as e:
                        yield reject_record(self.source, key, "malformed json", f"{where}: {e}", raw=line[:RAW_CAP])
                        continue
                    rec = row_record(self.source, self.fields, row, key, where)
                    if "_reject" in rec:
                        rec["raw"] = line[:RAW_CAP]
                    yield rec
        except (EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError) as e:
            yield reject_record(self.source, f"{rel}:{lineno + 1}", "truncated compressed file",
                                f"{rel}: stream broke at line {lineno + 1}: {type(e).__name__}: {e}")
        except OSError as e:
            yield reject_record(self.source, f"{rel}:{lineno + 1}", "unreadable file",
                                f"{rel}: at line {lineno + 1}: {type(e).__name__}: {e}")


def _lines(f: IO[bytes], cap: int) -> Iterator[tuple[bytes, bool]]:
    """(line, complete): a line over `cap` bytes comes back cut at `cap` with complete=False, the rest skipped."""
    while line := f.readline(cap + 1):
        if len(line) <= cap or line.endswith(b"\n"):
            yield line, True
            continue
        rest = line
        while rest and not rest.endswith(b"\n"):
            rest = f.readline(1 << 20)
        yield line[:cap], False
