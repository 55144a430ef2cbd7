"""Reader base class: a source of records in the unified schema, in a deterministic order.

A reader is a dataclass of recipe parameters registered in `READERS`. `read()` yields
record dicts made with `codemill.record.new_record` (good records) or `reject_record`
(something in the source that could not be read: it is rejected at stage `ingest` with
the reason, so nothing is lost). File-like sources put undecoded bytes in `raw`; the
`decode`/`normalize` op turns them into `text`. Text sources (JSONL, Parquet) set `text`.

Also here, because every file-based reader needs them the same way: listing a source's files
(`source_files`), naming a file in keys independently of where it lies (`rel_name`, `show`),
and turning one table-like row (JSON object, Parquet row) into a record (`row_record`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import orjson

from codemill import langs
from codemill.io.splits import Split
from codemill.params import ParamError, param, required
from codemill.record import CORE_NAMES, new_record, reject_record

RAW_CAP = 1 << 20  # bytes of a bad row or line kept in the reject's `raw`
_STR_COLUMNS = ("lang", "path", "repo", "commit", "license")


class SourceError(Exception):
    """A source that cannot be read at all (not a single bad record): names file and line."""


@dataclasses.dataclass
class Reader:
    type_name: ClassVar[str] = "reader"

    path: str = required("file, folder or glob to read (relative to the recipe's folder)")
    name: str | None = param(None, "source name used in ids and the `source` column (default: the path as written)")

    def __post_init__(self) -> None:
        self._base = Path(".")

    # -- set up by the recipe loader -------------------------------------------------
    def bind(self, base_dir: Path) -> None:
        """Resolve relative paths against the recipe's folder and check they exist."""
        self._base = base_dir
        if not self.paths():
            raise ParamError("path", f"no such file or folder: {self.path!r} (resolved in {base_dir})")

    @property
    def source(self) -> str:
        return self.name or self.path

    def root(self) -> Path:
        p = Path(self.path).expanduser()
        return p if p.is_absolute() else self._base / p

    def paths(self) -> list[Path]:
        """The files this source reads, sorted; a glob in `path` matches several."""
        root = self.root()
        if _is_glob(self.path):
            anchor = Path(root.anchor) if root.is_absolute() else self._base
            pattern = str(root.relative_to(anchor)) if root.is_absolute() else self.path
            return sorted(p for p in anchor.glob(pattern) if p.is_file())
        return [root] if root.exists() else []

    def read(self) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def read_units(self, max_lines: int, max_bytes: int) -> Iterator[dict[str, Any] | Split]:
        """Records, or `Split`s of a file that the workers read themselves (`read_split`).

        The default reads everything here, in the driver; a reader whose files can be cut at
        newlines yields splits so that parsing runs in parallel.
        """
        return self.read()

    def read_split(self, split: Split) -> Iterator[dict[str, Any]]:
        raise NotImplementedError


def split_fields(row: dict[str, Any], mapping: dict[str, str]) -> tuple[dict[str, Any], Any, str | None]:
    """Map source fields to core columns (`mapping`: core name -> source field); the rest go to `meta`.

    Returns (core values without `id`/`meta`, the source's own id value or None, meta as JSON or None).
    A `meta` object already in the source (e.g. re-reading codemill output) is merged, not nested.
    """
    core: dict[str, Any] = {}
    used: set[str] = set()
    for col in CORE_NAMES:
        src = mapping.get(col, col)
        if src in row:
            core[col] = row[src]
            used.add(src)
    key = core.pop("id", None)
    extra: dict[str, Any] = {}
    old_meta = core.pop("meta", None)
    if isinstance(old_meta, str):
        try:
            old_meta = orjson.loads(old_meta)
        except orjson.JSONDecodeError:
            pass
    if isinstance(old_meta, dict):
        extra.update(old_meta)
    elif old_meta is not None:
        extra["meta"] = old_meta
    extra.update((k, v) for k, v in row.items() if k not in used)
    meta = orjson.dumps(extra, option=orjson.OPT_SORT_KEYS, default=str).decode() if extra else None
    return core, key, meta


def check_mapping(mapping: dict[str, str]) -> None:
    """Fail at recipe load, not mid-read, when `fields` names a column the schema does not have."""
    for col in mapping:
        if col not in CORE_NAMES:
            raise ParamError(f"fields.{col}", f"unknown core column {col!r}; valid: {', '.join(CORE_NAMES)}")


def _is_glob(path: str) -> bool:
    """Whether `path` is a pattern (expanded by the reader) rather than one file or folder."""
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
