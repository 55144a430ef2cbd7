"""`archive` source: tar (plain, gz, xz, bz2, zst) and zip files, read member by member, never extracted.

Archives are untrusted: member paths that would escape a folder, links and devices are rejected,
and a size budget per member and per archive stops decompression bombs. Every member that is not
read is still yielded as a reject, so nothing is lost silently.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import zstandard

from codemill import langs
from codemill.io.base import Reader, rel_name, show, source_files
from codemill.io.globs import matches
from codemill.io.streams import GZIP_MAGIC, ZSTD_MAGIC, ZstdStream
from codemill.params import ParamError, param
from codemill.record import new_record, reject_record
from codemill.registry import READERS

_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst", ".zip")
_DRIVE = re.compile(r"^[A-Za-z]:")
#: Errors that mean the archive itself is broken (truncated, bad headers, bad compressed data).
_CORRUPT: tuple[type[BaseException], ...] = (
    tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError, OSError,
)
_CHUNK = 1 << 20


@READERS.register("archive")
@dataclasses.dataclass
class ArchiveReader(Reader):
    """Tar (plain/gz/xz/bz2/zst) and zip archives, streamed without extracting; unsafe members rejected."""

    include: list[str] = param(["**/*"], "globs of member paths to read; without '/' a glob matches the name")
    exclude: list[str] = param([], "globs of member paths to skip")
    max_member_bytes: int = param(64 << 20, "members larger than this (uncompressed) are rejected unread")
    max_archive_bytes: int = param(4 << 30, "total uncompressed bytes read per archive; later members are rejected")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("max_member_bytes", "max_archive_bytes"):
            if getattr(self, name) <= 0:
                raise ParamError(name, "must be > 0")

    def read(self) -> Iterator[dict[str, Any]]:
        for p in source_files(self, _SUFFIXES):
            arc = rel_name(self, p)
            try:
                with open(p, "rb") as fh:
                    head = fh.read(6)
                    fh.seek(0)
                    if head.startswith(b"PK"):
                        yield from _Scan(self, arc).zip(fh)
                    else:
                        yield from _Scan(self, arc).tar(_decompressed(fh, head))
            except _CORRUPT as e:
                yield reject_record(self.source, f"{arc}::", "corrupt archive", f"{arc}: {type(e).__name__}: {e}")


def _decompressed(fh: IO[bytes], head: bytes) -> IO[bytes]:
    """Our own decompression (not tarfile's 'r|*'): these streams raise EOFError when the data is cut short."""
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=fh, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(fh)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(fh)
    if head.startswith(ZSTD_MAGIC):
        return io.BufferedReader(ZstdStream(fh), _CHUNK)
    return fh


def unsafe_path(name: str) -> str | None:
    """Why a member path could escape the folder it is extracted to, or None if it cannot."""
    if name.startswith(("/", "\\")):
        return "absolute path"
    if _DRIVE.match(name):
        return "drive letter"
    if "\\" in name:
        return "backslash in path"
    if "\x00" in name:
        return "NUL in path"
    if ".." in name.split("/"):
        return "'..' component"
    return None


class _Scan:
    """One archive: the size budget, the names seen, and the record for each member."""

    def __init__(self, reader: ArchiveReader, arc: str) -> None:
        self.r, self.arc = reader, arc
        self.total, self.capped, self.seen = 0, False, dict[str, int]()

    def key(self, name: str) -> str:
        """Unique within the archive: a path seen again gets `#n` (only rejects can repeat a path)."""
        n = self.seen.get(name, 0)
        self.seen[name] = n + 1
        return f"{self.arc}::{name}" if n == 0 else f"{self.arc}::{name}#{n}"

    def reject(self, name: str, reason: str, detail: str) -> dict[str, Any]:
        return reject_record(self.r.source, self.key(name), reason, f"{self.arc}::{name}: {detail}", path=name)

    def check(self, raw_name: str, kind: str, size: int) -> str | dict[str, Any] | None:
        """The normalized path to read, a reject, or None to skip silently (directories, not included)."""
        shown = show(raw_name)
        name = "/".join(part for part in shown.split("/") if part not in ("", "."))
        if matches(name, self.r.exclude):
            return None
        why = unsafe_path(shown)
        if why is not None:
            return self.reject(shown, "unsafe member path", why)
        if kind == "dir" or not name:
            return None
        if kind == "link":
            return self.reject(name, "link member", "symlink or hardlink")
        if kind != "file":
            return self.reject(name, "not a regular file", kind)
        if not matches(name, self.r.include):
            return None
        if name in self.seen:
            return self.reject(name, "duplicate member", "the path occurs earlier in the archive")
        return self.budget(name, size) or name

    def budget(self, name: str, size: int) -> dict[str, Any] | None:
        """A reject if `size` more bytes may not be read; else None and the bytes are counted."""
        if self.capped:
            return self.reject(name, "archive size cap reached", f"{self.r.max_archive_bytes} bytes already read")
        if size > self.r.max_member_bytes:
            return self.reject(name, "member too large", f"{size} bytes > {self.r.max_member_bytes}")
        if self.total + size > self.r.max_archive_bytes:
            self.capped = True
            return self.reject(name, "archive size cap reached",
                               f"{self.total} + {size} bytes > {self.r.max_archive_bytes}")
        self.total += size
        return None

    def record(self, name: str, data: bytes, mtime: datetime | None) -> dict[str, Any]:
        return new_record(self.r.source, self.key(name), raw=data, path=name, lang=langs.detect(name, data[:256]),
                          created_at=mtime)

    def tar(self, stream: IO[bytes]) -> Iterator[dict[str, Any]]:
        with tarfile.open(fileobj=stream, mode="r|") as tf:
            for m in tf:
                kind = ("file" if m.isreg() else "dir" if m.isdir() else "link" if m.issym() or m.islnk()
                        else "device or fifo" if m.isdev() else "special member")
                name = self.check(m.name, kind, m.size)
                if isinstance(name, dict):
                    yield name
                if not isinstance(name, str):
                    continue
                f = tf.extractfile(m)
                data = f.read() if f is not None else b""
                yield self.record(name, data, _utc(m.mtime))

    def zip(self, fh: IO[bytes]) -> Iterator[dict[str, Any]]:
        with zipfile.ZipFile(fh) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16 if info.create_system == 3 else 0
                kind = ("dir" if info.is_dir() or stat.S_ISDIR(mode) else "link" if stat.S_ISLNK(mode)
                        else "file" if stat.S_IFMT(mode) in (0, stat.S_IFREG) else "device, fifo or socket")
                name = self.check(info.filename, kind, info.file_size)
                if isinstance(name, dict):
                    yield name
                if not isinstance(name, str):
                    continue
                if info.flag_bits & 0x1:
                    yield self.reject(name, "encrypted member", "needs a password")
                    continue
                yield self._zip_member(zf, info, name)

    def _zip_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> dict[str, Any]:
        """Read in chunks and stop at the limits: the declared size was counted, but headers can lie."""
        limit = min(self.r.max_member_bytes, self.r.max_archive_bytes - self.total + info.file_size)
        chunks, got = [], 0
        try:
            with zf.open(info) as f:
                while got <= limit and (chunk := f.read(min(_CHUNK, limit + 1 - got))):
                    chunks.append(chunk)
                    got += len(chunk)
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError) as e:
            return self.reject(name, "corrupt member", f"{type(e).__name__}: {e}")
        self.total += got - info.file_size
        if got > limit:
            self.capped = self.capped or limit < self.r.max_member_bytes
            reason = "member too large" if limit == self.r.max_member_bytes else "archive size cap reached"
            return self.reject(name, reason, f"more than {limit} bytes although the header says {info.file_size}")
        return self.record(name, b"".join(chunks), _zip_mtime(info))


def _utc(ts: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _zip_mtime(info: zipfile.ZipInfo) -> datetime | None:
    """The UTC mtime from the extended-timestamp extra field (0x5455) if any, else the DOS time read as UTC."""
    extra, i = info.extra, 0
    while i + 4 <= len(extra):
        tag, size = int.from_bytes(extra[i : i + 2], "little"), int.from_bytes(extra[i + 2 : i + 4], "little")
        body = extra[i + 4 : i + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return _utc(int.from_bytes(body[1:5], "little", signed=True))
        i += 4 + size
    try:
        return datetime(*info.date_time, tzinfo=UTC)
    except ValueError:
        return None
