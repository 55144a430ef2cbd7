"""What the report knows about one output folder, loaded lazily and only as far as needed.

Sections ask for columns by name; only columns present in the Parquet schema are read (ops
added by later issues write columns this module has never heard of, and older outputs lack
some), and each column is read once. Above `MAX_ROWS` rows, distributions come from evenly
spaced row groups, so a report on a large output still builds in seconds. Text is read only
for the few records shown as examples, from the row groups that hold them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from codemill.report.mask import mask_records, mask_text

log = logging.getLogger(__name__)

MAX_ROWS = 1_000_000  # per folder, for distributions
MAX_METRIC_POINTS = 600  # metrics.jsonl samples kept for time-series charts
SNIPPET_LINES = 8
SNIPPET_LINE_CHARS = 160
_MASK_CHARS = 8_000  # masked before cutting, so a secret crossing the cut is still masked


class ReportError(FileNotFoundError):
    """The folder is not a codemill output: a user mistake, reported in one line (exit 2 in the CLI)."""


@dataclass
class StageInfo:
    """One stage of the run: its stats.json entry, the op behind it and its resolved params."""

    index: int
    label: str
    op: str
    params: dict[str, Any]
    stats: dict[str, Any]
    writes: list[pa.Field] = field(default_factory=list)  # declared by the op class, if still registered
    op_class: type | None = None


class Parts:
    """A folder of `part-*.parquet` files, read column by column and cached."""

    def __init__(self, folder: Path, max_rows: int = MAX_ROWS) -> None:
        self.files = sorted(folder.glob("part-*.parquet"))
        self._pf = [pq.ParquetFile(f) for f in self.files]
        self.schema: pa.Schema = self._pf[0].schema_arrow if self._pf else pa.schema([])
        self.num_rows = sum(p.metadata.num_rows for p in self._pf)
        groups = [(i, g, p.metadata.row_group(g).num_rows) for i, p in enumerate(self._pf)
                  for g in range(p.metadata.num_row_groups)]
        if self.num_rows > max_rows and groups:  # evenly spaced row groups up to the cap
            take = max(1, round(len(groups) * max_rows / self.num_rows))
            groups = [groups[int(k)] for k in np.linspace(0, len(groups) - 1, take)]
        self.groups = [(i, g) for i, g, _ in groups]
        self.rows_read = sum(n for *_, n in groups)
        self.sampled = self.rows_read < self.num_rows
        self._cols: dict[str, pa.ChunkedArray] = {}

    def has(self, name: str) -> bool:
        return name in self.schema.names

    def type(self, name: str) -> pa.DataType | None:
        return self.schema.field(name).type if self.has(name) else None

    def table(self, names: list[str]) -> pa.Table:
        """The present columns among `names` (absent ones are skipped), all rows read."""
        names = [n for n in dict.fromkeys(names) if self.has(n)]
        missing = [n for n in names if n not in self._cols]
        if missing:
            pieces = [self._pf[i].read_row_group(g, columns=missing) for i, g in self.groups]
            for n in missing:
                chunks = [c for p in pieces for c in p.column(n).chunks]
                self._cols[n] = pa.chunked_array(chunks, type=self.schema.field(n).type)
        return pa.table({n: self._cols[n] for n in names}) if names else pa.table({})

    @cached_property
    def positions(self) -> np.ndarray:
        """(file, row group, row) of each row read, in the order of `table`."""
        pos = [np.column_stack([np.full(n, i), np.full(n, g), np.arange(n)])
               for i, g in self.groups for n in [self._pf[i].metadata.row_group(g).num_rows]]
        return np.concatenate(pos) if pos else np.zeros((0, 3), dtype=np.int64)

    def fetch(self, rows: list[int], names: list[str]) -> list[dict[str, Any]]:
        """Columns `names` (present ones) of rows given by index into `table`, reading only their row groups."""
        names = [n for n in names if self.has(n)]
        out: list[dict[str, Any]] = [{} for _ in rows]
        by_group: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for k, r in enumerate(rows):
            f, g, i = (int(x) for x in self.positions[r])
            by_group.setdefault((f, g), []).append((k, i))
        for (f, g), items in by_group.items():
            part = self._pf[f].read_row_group(g, columns=names).take([i for _, i in items])
            for (k, _), rec in zip(items, part.to_pylist(), strict=True):
                out[k] = rec
        return out

    def find(self, ids: set[str], names: list[str]) -> dict[str, dict[str, Any]]:
        """Records by id, scanning the id column of every row group (not only sampled ones)."""
        found: dict[str, dict[str, Any]] = {}
        if not ids or not self.has("id"):
            return found
        wanted = pa.array(sorted(ids))
        for pf in self._pf:
            for g in range(pf.metadata.num_row_groups):
                hit = pc.is_in(pf.read_row_group(g, columns=["id"]).column("id"), value_set=wanted)
                idx = np.nonzero(hit.to_numpy(zero_copy_only=False))[0]
                if len(idx):
                    cols = list(dict.fromkeys(["id", *[n for n in names if self.has(n)]]))
                    for rec in pf.read_row_group(g, columns=cols).take(idx).to_pylist():
                        found[rec["id"]] = rec
                if len(found) == len(ids):
                    return found
        return found


class ReportData:
    """Everything in OUT that a section may want: stats, manifest, time series, alerts, rows."""

    def __init__(self, out: Path, max_rows: int = MAX_ROWS) -> None:
        self.out = Path(out)
        stats_path = self.out / "stats.json"
        if not stats_path.is_file():
            raise ReportError(f"{self.out}: not a codemill output (no stats.json)")
        self.stats: dict[str, Any] = json.loads(stats_path.read_text())
        self.manifest: dict[str, Any] = _json_or_empty(self.out / "manifest.json")
        self.metrics: list[dict[str, Any]] = _read_jsonl(self.out / "metrics.jsonl", MAX_METRIC_POINTS)
        alerts = _read_jsonl(self.out / "alerts.jsonl", None)
        self.alerts: list[dict[str, Any]] = alerts or list(self.stats.get("alerts") or [])
        self.data = Parts(self.out / "data", max_rows)
        self.rejects = Parts(self.out / "rejects", max_rows)
        self.stages = _stages(self.stats, self.manifest)
        self.seed = int((self.manifest.get("recipe") or {}).get("seed") or 0)
        self.cache: dict[str, Any] = {}  # for sections that share derived results (e.g. language groups)

    def stage(self, label: str) -> StageInfo | None:
        return next((s for s in self.stages if s.label == label), None)

    @property
    def totals(self) -> dict[str, Any]:
        return self.stats.get("totals") or {}

    def examples(self, rows: list[int], names: tuple[str, ...] = (), lines: int = SNIPPET_LINES
                 ) -> list[dict[str, Any]]:
        """Rejected records at `rows` (indices into `rejects.table`), safe to show (see `present`)."""
        return _present(self.rejects.fetch(rows, ["id", "path", "lang", "detail", "text", *names]),
                        self.rejects, rows, lines)

    def present(self, recs: list[dict[str, Any]], lines: int = SNIPPET_LINES) -> list[dict[str, Any]]:
        """Records already read (e.g. by `Parts.find`) made safe to show: text masked and cut to a
        `snippet` of `lines` lines, path and detail masked, `raw` dropped."""
        return _present(recs, None, [], lines)


def _present(recs: list[dict[str, Any]], parts: Parts | None, rows: list[int], lines: int
             ) -> list[dict[str, Any]]:
    """Mask text, path and detail; cut the text to a snippet; never pass `raw` bytes on."""
    cut = set()
    for k, r in enumerate(recs):
        if r.get("text") is not None and len(r["text"]) > _MASK_CHARS:
            r["text"] = r["text"][:_MASK_CHARS]
            cut.add(k)
    masked = mask_records(recs)
    for k in cut:  # drop the torn last line: a secret cut in two may not match any pattern
        t = masked[k]
        if t is not None and "\n" in t:
            masked[k] = t[:t.rfind("\n")]
    raw_sizes = _raw_sizes(parts, rows, recs) if parts is not None else {}
    out = []
    for k, (r, text) in enumerate(zip(recs, masked, strict=True)):
        shown = {key: v for key, v in r.items() if key not in ("text", "raw")}
        if isinstance(r.get("path"), str):
            shown["path"] = mask_text(r["path"], generic=False)
        if isinstance(r.get("detail"), str):
            shown["detail"] = _mask_detail(r["detail"], [r.get("id"), r.get("duplicate_of")])
        if r.get("text") is not None:
            shown["snippet"] = _snippet(text, lines) if text is not None else None
            shown["hidden"] = text is None
        elif k in raw_sizes:
            shown["binary_bytes"] = raw_sizes[k]
        out.append(shown)
    return out


def _mask_detail(detail: str, ids: list[str | None]) -> str:
    """Mask a detail, but keep record ids it names ("same text as <id>"): they are hex, not secrets."""
    keep = [i for i in ids if i]
    for k, i in enumerate(keep):
        detail = detail.replace(i, f"\x00{k}\x00")
    detail = mask_text(detail)
    for k, i in enumerate(keep):
        detail = detail.replace(f"\x00{k}\x00", i)
    return detail


def _raw_sizes(parts: Parts, rows: list[int], recs: list[dict[str, Any]]) -> dict[int, int]:
    """Byte length of `raw` for records without text; the bytes themselves are dropped at once."""
    todo = [k for k, r in enumerate(recs) if r.get("text") is None]
    if not todo or not parts.has("raw"):
        return {}
    sizes = {}
    for k, rec in zip(todo, parts.fetch([rows[k] for k in todo], ["raw"]), strict=True):
        if rec.get("raw") is not None:
            sizes[k] = len(rec["raw"])
    return sizes


def _snippet(text: str, lines: int) -> str:
    cut = text.split("\n")[:lines]
    return "\n".join(ln if len(ln) <= SNIPPET_LINE_CHARS else ln[:SNIPPET_LINE_CHARS] + " …" for ln in cut)


def _json_or_empty(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _read_jsonl(path: Path, max_points: int | None) -> list[dict[str, Any]]:
    """JSON lines, evenly thinned to `max_points` (the last one kept); a torn last line is skipped."""
    if not path.is_file():
        return []
    lines = [ln for ln in path.read_bytes().splitlines() if ln.strip()]
    if max_points and len(lines) > max_points:
        keep = np.unique(np.linspace(0, len(lines) - 1, max_points).astype(int))
        lines = [lines[i] for i in keep]
    out = []
    for ln in lines:
        try:
            out.append(orjson.loads(ln))
        except orjson.JSONDecodeError:
            log.warning("report: skipping a malformed line in %s", path)
    return out


def _stages(stats: dict[str, Any], manifest: dict[str, Any]) -> list[StageInfo]:
    """Stage labels from stats.json, matched with the recipe's ops and params from the manifest."""
    from codemill.plan import DECODERS
    from codemill.registry import OPS, UnknownName

    recipe_stages = [next(iter(s.items())) for s in (manifest.get("recipe") or {}).get("stages", [])]
    if not recipe_stages or recipe_stages[0][0] not in DECODERS:
        recipe_stages.insert(0, ("decode", {}))
    seen: dict[str, int] = {}
    by_label: dict[str, tuple[str, dict[str, Any]]] = {"ingest": ("ingest", {})}
    for op, params in recipe_stages:
        seen[op] = seen.get(op, 0) + 1
        by_label[op if seen[op] == 1 else f"{op}#{seen[op]}"] = (op, params or {})
    out = []
    for i, st in enumerate(stats.get("stages", [])):
        label = st["name"]
        op, params = by_label.get(label, (label.split("#")[0], {}))
        info = StageInfo(i, label, op, params, st)
        try:
            cls = OPS.get(op) if op != "ingest" else None
        except UnknownName:
            cls = None  # an op renamed or removed since the run: show its numbers, skip its columns
        if cls is not None:
            info.op_class = cls
            info.writes = [*getattr(cls, "prepare_writes", ()), *cls.writes, *getattr(cls, "reject_writes", ())]
        out.append(info)
    return out
