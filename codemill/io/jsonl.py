"""`jsonl` source: JSON Lines files (plain, .gz or .zst), streamed line by line.

Lines are read in bounded chunks, so one huge or broken line is a reject, never a crash or
an out-of-memory; a truncated compressed file keeps the lines read before the break.
"""

from __future__ import annotations

import dataclasses
import gzip
import zlib
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

from codemill.io.base import RAW_CAP, Reader, check_mapping, rel_name, row_record, source_files
from codemill.io.splits import RangeStream, Split, line_splits, split_bytes
from codemill.io.streams import compression, open_stream
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

    def read_units(self, max_lines: int, max_bytes: int) -> Iterator[dict[str, Any] | Split]:
        """Plain files as byte ranges that the workers parse. If any file is compressed, every
        file is read here instead, so that of two records with the same key the first one in
        input order keeps its id (the driver sees the ids of the records it reads at once, those
        of ranges only after they ran)."""
        files = source_files(self, _SUFFIXES)
        try:
            plain = not any(compression(p) for p in files)
            total = sum(p.stat().st_size for p in files)
        except OSError:
            plain = False
        if not plain:
            yield from self.read()
            return
        max_bytes = split_bytes(total, max_bytes)
        for p in files:
            rel = rel_name(self, p)
            try:
                for start, end, line0, n, fp in line_splits(p, max_lines, max_bytes):
                    yield Split(self, str(p), rel, start, end, line0, n, fp)
            except OSError as e:
                yield reject_record(self.source, f"{rel}:1", "unreadable file", f"{rel}: {type(e).__name__}: {e}")

    def read_split(self, split: Split) -> Iterator[dict[str, Any]]:
        try:
            f = open(split.path, "rb", buffering=1 << 20)  # noqa: SIM115 - closed below, once drained
        except OSError as e:
            yield reject_record(self.source, f"{split.rel}:{split.first_line + 1}", "unreadable file",
                                f"{split.rel}: {type(e).__name__}: {e}")
            return
        with f:
            yield from self._read_file(Path(split.path), split.rel, RangeStream(f, split.start, split.end),
                                       split.first_line)

    def _read_file(self, p: Path, rel: str, stream: Any = None, first_line: int = 0) -> Iterator[dict[str, Any]]:
        """Records of one file (`stream`: a range of it, whose first line is number `first_line` + 1)."""
        lineno = first_line
        try:
            with open_stream(p) if stream is None else nullcontext(stream) as f:
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
