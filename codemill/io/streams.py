"""Opening (possibly compressed) source files as byte streams that report truncation.

Readers must tell a truncated download from a complete file, so a broken stream raises
EOFError while reading instead of ending silently. Compression is recognised by magic bytes
first, because files are often misnamed (`data.jsonl` that is really gzip).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import IO, Any

import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ZstdStream(io.RawIOBase):
    """Zstandard decompression of `fh` (closed with it) that raises EOFError on a truncated frame.

    zstandard's own stream_reader and read_to_iter end silently at a truncated frame.
    Input goes in small chunks, so a highly compressed chunk cannot blow up memory; concatenated
    frames are read one after another.
    """

    _CHUNK = 4096

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh, self._pending, self._pos, self._in_frame = fh, memoryview(b""), 0, False
        self._dobj = zstandard.ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        super().close()
        self._fh.close()

    def readinto(self, buf: Any) -> int:
        while self._pos >= len(self._pending):
            chunk = self._fh.read(self._CHUNK)
            if not chunk:
                if self._in_frame:
                    raise EOFError("zstd stream ended before the end of a frame")
                return 0
            self._pending, self._pos = memoryview(self._feed(chunk)), 0
        n = min(len(buf), len(self._pending) - self._pos)
        buf[:n] = self._pending[self._pos : self._pos + n]
        self._pos += n
        return n

    def _feed(self, data: bytes) -> bytes:
        out = []
        while data:
            if self._dobj.eof:
                self._dobj = zstandard.ZstdDecompressor().decompressobj()
            out.append(self._dobj.decompress(data))
            data = self._dobj.unused_data if self._dobj.eof else b""
        self._in_frame = not self._dobj.eof
        return b"".join(out)


def compression(p: Path) -> str | None:
    """'gzip', 'zstd' or None, by magic bytes, else by extension (an empty file has no magic)."""
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head:
        return None
    name = p.name.lower()
    return "gzip" if name.endswith((".gz", ".tgz")) else "zstd" if name.endswith((".zst", ".tzst")) else None


def open_stream(p: Path) -> IO[bytes]:
    """A buffered binary stream of the file's bytes, decompressed; truncation raises EOFError while reading."""
    kind = compression(p)
    if kind == "gzip":
        return gzip.open(p, "rb")
    if kind == "zstd":
        return io.BufferedReader(ZstdStream(open(p, "rb")), 1 << 16)
    return open(p, "rb")
