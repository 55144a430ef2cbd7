"""Pieces of a source file that the workers read themselves, instead of the driver.

A reader whose format can be cut cheaply hands the runner `Split`s instead of records: plain
JSON Lines at newlines (the driver only scans for line ends and hashes the bytes, memchr and
xxh3, near memory speed), Parquet at row-group boundaries (from the footer). Parsing then runs
in the workers, in parallel. Splits depend only on the file, so shards are the same whatever
the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import xxhash

if TYPE_CHECKING:
    from codemill.io.base import Reader

CHUNK = 8 << 20
#: a source smaller than `MIN_SPLITS` shards of `shard_mb` is cut into this many ranges (of at
#: least `MIN_SPLIT_BYTES`), so that expensive ops on a mid-size input keep every worker busy
#: to the end instead of leaving one idle behind the last of three or four big shards
MIN_SPLITS = 16
MIN_SPLIT_BYTES = 1 << 20


@dataclass
class Split:
    """Records [first_line, first_line + lines) of `path`, read in a worker by `reader.read_split`:
    bytes [start, end) of a JSON Lines file, row groups [start, end) of a Parquet file."""

    reader: Reader
    path: str
    rel: str  # the file's name in keys (`rel:lineno`)
    start: int
    end: int
    first_line: int  # 0-based number of the range's first line in the file
    lines: int
    fingerprint: str  # xxh3-128 of the range's bytes, checked on resume

    def read(self) -> list[dict[str, Any]]:
        return list(self.reader.read_split(self))


def split_bytes(total: int, max_bytes: int) -> int:
    """The byte bound of a source's ranges: `max_bytes`, or less for a small source (at least
    `MIN_SPLITS` ranges). It depends on the input alone, never on the number of workers."""
    return max(MIN_SPLIT_BYTES, min(max_bytes, -(-total // MIN_SPLITS)))


def line_splits(path: Path, max_lines: int, max_bytes: int) -> Iterator[tuple[int, int, int, int, str]]:
    """(start, end, first_line, lines, xxh3-128 hex) of consecutive byte ranges covering the file;
    each ends at a newline and holds at most `max_lines` lines and, unless one line is longer,
    at most `max_bytes` bytes."""
    h = xxhash.xxh3_128()
    start = hashed = buf_off = line0 = lines = end = 0
    buf = b""
    rel = 0  # scan position in buf
    with open(path, "rb") as f:
        while True:
            j = buf.find(b"\n", rel)
            if j < 0:
                h.update(memoryview(buf)[hashed - buf_off:])
                buf_off += len(buf)
                hashed, rel = buf_off, 0
                buf = f.read(CHUNK)
                if buf:
                    continue
                if buf_off > start:  # lines since the last cut, maybe a last one without a newline
                    yield start, buf_off, line0, lines + (buf_off > end), h.hexdigest()
                return
            rel = j + 1
            lines += 1
            end = buf_off + rel
            if lines >= max_lines or end - start >= max_bytes:
                h.update(memoryview(buf)[hashed - buf_off: rel])
                yield start, end, line0, lines, h.hexdigest()
                h = xxhash.xxh3_128()
                start = hashed = end
                line0 += lines
                lines = 0


class RangeStream:
    """`readline` over bytes [start, end) of an open file (ranges end at newlines)."""

    def __init__(self, f: IO[bytes], start: int, end: int) -> None:
        f.seek(start)
        self.f, self.left = f, end - start

    def readline(self, limit: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        line = self.f.readline(self.left if limit < 0 else min(limit, self.left))
        self.left -= len(line)
        return line
