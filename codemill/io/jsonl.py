"""`jsonl` source: JSON Lines files (plain, .gz or .zst), streamed line by line.

Also home of what the table-like readers share (`parquet`, `archive`): listing a source's
files, naming them in keys, opening compressed streams that report truncation, and turning
one source row into a record (`row_record`).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

from codemill import langs
from codemill.io.base import Reader, split_fields
from codemill.params import ParamError, param
from codemill.record import CORE_NAMES, new_record, reject_record
from codemill.registry import READERS

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
RAW_CAP = 1 << 20  # bytes of a bad line kept in the reject's `raw`
_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")
_STR_COLUMNS = ("lang", "path", "repo", "commit", "license")


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


# -- shared with the parquet and archive readers ---------------------------------------------

def check_mapping(mapping: dict[str, str]) -> None:
    for col in mapping:
        if col not in CORE_NAMES:
            raise ParamError(f"fields.{col}", f"unknown core column {col!r}; valid: {', '.join(CORE_NAMES)}")


def _is_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def source_files(reader: Reader, suffixes: tuple[str, ...]) -> list[Path]:
    """The files to read: one file as given, a folder's files ending in `suffixes` (recursive), or a glob; sorted."""
    root = reader.root()
    if not _is_glob(reader.path) and root.is_dir():
        found = [p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes)]
        return sorted(found, key=lambda p: p.relative_to(root).as_posix())
    return reader.paths()


def rel_name(reader: Reader, p: Path) -> str:
    """A file's name in keys: relative to the folder or to the glob's fixed prefix, else its name.

    Independent of where the data lies on disk, so ids are the same on every machine.
    """
    if _is_glob(reader.path):
        fixed = []
        for part in Path(reader.path).expanduser().parts:
            if _is_glob(part):
                break
            fixed.append(part)
        anchor = Path(*fixed) if fixed else Path()
        anchor = anchor if anchor.is_absolute() else reader._base / anchor
    else:
        anchor = reader.root()
    try:
        name = p.relative_to(anchor).as_posix() if anchor.is_dir() else p.name
    except ValueError:
        name = p.name
    return show(name)


def show(s: str) -> str:
    """`s` safe to store as UTF-8: undecodable file-name bytes (surrogate escapes) become `\\xNN`."""
    try:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")


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


def to_utc(v: Any) -> datetime | None:
    """A timestamp column value (datetime, date, epoch seconds, ISO string) as UTC seconds; None if unparseable."""
    try:
        if isinstance(v, str):
            v = datetime.fromisoformat(v.strip())
        if isinstance(v, int | float) and not isinstance(v, bool):
            return datetime.fromtimestamp(int(v), UTC)
        if isinstance(v, date) and not isinstance(v, datetime):
            v = datetime(v.year, v.month, v.day)
        if isinstance(v, datetime):
            v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
            return v.replace(microsecond=0)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def row_record(source: str, mapping: dict[str, str], row: Any, default_key: str, where: str) -> dict[str, Any]:
    """One source row (a JSON object, a Parquet row) as a record, or a reject saying what is wrong with it."""
    if not isinstance(row, dict):
        return reject_record(source, default_key, "not an object", f"{where}: got {type(row).__name__}")
    core, src_id, meta = split_fields(row, mapping)
    key = default_key if src_id is None else str(src_id)
    text, raw = core.get("text"), None
    if isinstance(text, bytes | bytearray | memoryview):
        try:
            core["text"] = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            core["text"], raw = None, bytes(text)
    elif text is None:
        return reject_record(source, key, "missing text field",
                             f"{where}: no {mapping.get('text', 'text')!r} field (or null)")
    elif not isinstance(text, str):
        return reject_record(source, key, "text not a string", f"{where}: got {type(text).__name__}")
    for col in _STR_COLUMNS:
        v = core.get(col)
        if v is not None and not isinstance(v, str):
            core[col] = orjson.dumps(v, default=str).decode() if isinstance(v, list | dict) else str(v)
    if core.get("created_at") is not None:
        ts = to_utc(core["created_at"])
        if ts is None:
            return reject_record(source, key, "bad created_at", f"{where}: {str(core['created_at'])[:200]!r}")
        core["created_at"] = ts
    theirs = core.pop("source", None)
    if theirs is not None and theirs != source:  # the column names this reader; keep the input's value in meta
        extra = orjson.loads(meta) if meta else {}
        extra.setdefault("source", theirs)
        meta = orjson.dumps(extra, option=orjson.OPT_SORT_KEYS, default=str).decode()
    if core.get("lang") is None and core.get("path"):
        core["lang"] = langs.from_name(core["path"])
    return new_record(source, key, **core, meta=meta, raw=raw)
