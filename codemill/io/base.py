"""Reader base class: a source of records in the unified schema, in a deterministic order.

A reader is a dataclass of recipe parameters registered in `READERS`. `read()` yields
record dicts made with `codemill.record.new_record` (good records) or `reject_record`
(something in the source that could not be read: it is rejected at stage `ingest` with
the reason, so nothing is lost). File-like sources put undecoded bytes in `raw`; the
`decode`/`normalize` op turns them into `text`. Text sources (JSONL, Parquet) set `text`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson

from codemill.params import ParamError, param, required
from codemill.record import CORE_NAMES


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
        if any(ch in self.path for ch in "*?["):
            anchor = Path(root.anchor) if root.is_absolute() else self._base
            pattern = str(root.relative_to(anchor)) if root.is_absolute() else self.path
            return sorted(p for p in anchor.glob(pattern) if p.is_file())
        return [root] if root.exists() else []

    def read(self) -> Iterator[dict[str, Any]]:
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
