"""Op base classes. The base classes own all bookkeeping; a concrete op is parameters + one short function.

* `MapOp.process(rec)` transforms one record (raise `Reject` to drop it).
* `FilterOp.score(rec)` returns score columns, `FilterOp.decide(rec)` returns a reject reason or None:
  scores are stored on every record (kept or rejected) so thresholds can be re-tuned later.
* `GlobalOp.prepare(rec)` computes compact columns per record in the preceding map segment;
  `GlobalOp.decide(table)` sees only the columns it `reads`, for the whole dataset, and returns
  keep/reject decisions plus new columns, never rewritten text.

Counting in/kept/rejected per literal reason, timing and bytes happens here and nowhere else.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from codemill.monitor.latency import Latency
from codemill.record import utf8_of


class Reject(Exception):
    """Raised by an op for a record it drops: `reason` is a short literal, `detail` free text."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail


@dataclass
class StageStats:
    """Accounting for one stage; merged across shards. Invariant: records_in == kept + rejected.

    `errors` counts records rejected because the op raised (not a decision); `counters` holds
    op-specific counts (e.g. redactions per kind, never values); `summary` holds what a global
    op wants readers to see (e.g. the fences it used); `latency` is per-record time.
    """

    name: str
    records_in: int = 0
    kept: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    bytes_in: int = 0
    bytes_out: int = 0
    errors: int = 0
    counters: Counter = field(default_factory=Counter)
    summary: dict[str, Any] = field(default_factory=dict)
    latency: Latency = field(default_factory=Latency)

    def reject(self, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason] += 1

    def merge(self, other: StageStats) -> None:
        for name in ("records_in", "kept", "rejected", "seconds", "bytes_in", "bytes_out", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        self.counters.update(other.counters)
        self.summary.update(other.summary)
        self.latency.merge(other.latency)

    def unmerge(self, other: StageStats) -> None:
        """Undo `merge(other)` (its summary, a dict update, stays)."""
        for name in ("records_in", "kept", "rejected", "seconds", "bytes_in", "bytes_out", "errors"):
            setattr(self, name, getattr(self, name) - getattr(other, name))
        self.reasons.subtract(other.reasons)
        self.counters.subtract(other.counters)
        self.reasons, self.counters = +self.reasons, +self.counters
        self.latency.merge(other.latency, -1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "records_in": self.records_in, "kept": self.kept, "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())), "seconds": round(self.seconds, 6),
            "bytes_in": self.bytes_in, "bytes_out": self.bytes_out, "errors": self.errors,
            "counters": dict(sorted(self.counters.items())), "summary": self.summary,
            "latency": self.latency.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StageStats:
        return cls(**{**d, "reasons": Counter(d["reasons"]), "counters": Counter(d.get("counters", {})),
                      "latency": Latency.from_dict(d.get("latency", {}))})


def text_bytes(rec: dict[str, Any]) -> int:
    if rec.get("text") is not None:
        return len(utf8_of(rec))
    raw = rec.get("raw")
    return len(raw) if raw is not None else 0


class Op:
    """Common declarations. Subclasses are dataclasses whose fields are the recipe parameters."""

    name: ClassVar[str] = "op"
    #: columns this op needs; a recipe that reads a column nobody wrote fails before any data is read
    reads: ClassVar[tuple[str, ...]] = ("text",)
    #: columns this op adds to the records it keeps
    writes: ClassVar[tuple[pa.Field, ...]] = ()

    def setup(self) -> None:
        """Load heavy state once per worker process (models, compiled patterns)."""

    @property
    def counters(self) -> Counter:
        """Op-specific counts for stats.json (e.g. `self.counters["email"] += 1`); never values."""
        c = self.__dict__.get("_counters")
        if c is None:
            c = self.__dict__["_counters"] = Counter()
        return c


class MapOp(Op):
    """One record in, one record out (or a `Reject`).

    An op that is cheaper on many records at once (one numpy pass, one model call) also
    defines `process_batch`; the base class then calls it once per shard and falls back to
    `process` record by record only when the batch raises, so one bad record is still one
    reject with its own reason.
    """

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def process_batch(self, recs: list[dict[str, Any]]) -> list[dict[str, Any] | Reject]:
        """Per record, in order: the processed record or the `Reject` that drops it."""
        raise NotImplementedError

    @property
    def batched(self) -> bool:
        return type(self).process_batch is not MapOp.process_batch

    def run_batch(self, recs: list[dict], stats: StageStats, rejects: list[dict]) -> list[dict]:
        t0 = time.perf_counter()
        befores = [r.get("text") for r in recs]
        outs = self._batch(recs) if self.batched and recs else None
        kept, times = [], []
        clock = time.perf_counter
        share = (time.perf_counter() - t0) / len(recs) if outs is not None else 0.0
        for i, rec in enumerate(recs):
            stats.records_in += 1
            stats.bytes_in += rec["_nbytes"]
            before = befores[i]
            t = clock()
            try:
                out = self.process(rec) if outs is None else outs[i]
                if isinstance(out, Reject):
                    raise out
                rec = out
            except Reject as r:
                times.append(clock() - t + share)
                _to_rejects(rec, stats, rejects, r.reason, r.detail)
                continue
            except (Exception, RecursionError, MemoryError) as e:  # bad input is data, not a crash
                times.append(clock() - t + share)
                stats.errors += 1
                _to_rejects(rec, stats, rejects, f"error in op: {type(e).__name__}", str(e)[:500])
                continue
            times.append(clock() - t + share)
            if rec.get("text") is not before:
                rec["_nbytes"] = text_bytes(rec)
            stats.kept += 1
            stats.bytes_out += rec["_nbytes"]
            kept.append(rec)
        stats.latency.add_many(times)
        stats.counters.update(self.counters)
        self.counters.clear()
        stats.seconds += time.perf_counter() - t0
        return kept

    def _batch(self, recs: list[dict]) -> list[dict[str, Any] | Reject] | None:
        """`process_batch`, or None (go record by record) when it raises or miscounts."""
        saved = [dict(r) for r in recs]  # a failed batch may have half-updated records
        try:
            outs = self.process_batch(recs)
        except (Exception, RecursionError, MemoryError):
            outs = None
        if outs is None or len(outs) != len(recs):
            for rec, old in zip(recs, saved, strict=True):
                rec.clear()
                rec.update(old)
            self.counters.clear()
            return None
        return outs


def _to_rejects(rec: dict, stats: StageStats, rejects: list[dict], reason: str, detail: str) -> None:
    stats.reject(reason)
    rec["stage"], rec["reason"], rec["detail"] = stats.name, reason, detail
    rejects.append(rec)


class FilterOp(MapOp):
    """Score, then decide: scores become columns on every record, the decision names a rule."""

    def score(self, rec: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def decide(self, rec: dict[str, Any]) -> tuple[str, str] | None:
        """Return (reason, detail) to reject, None to keep. Read the scores from `rec`."""
        raise NotImplementedError

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        rec.update(self.score(rec))
        verdict = self.decide(rec)
        if verdict is not None:
            raise Reject(*verdict)
        return rec


class GlobalOp(Op):
    """Needs the whole dataset; works on compact columns only."""

    #: columns `prepare` needs and computes per record, in the map segment before the global step
    prepare_reads: ClassVar[tuple[str, ...]] = ("text",)
    prepare_writes: ClassVar[tuple[pa.Field, ...]] = ()
    #: columns added to rejected records only (e.g. `duplicate_of`)
    reject_writes: ClassVar[tuple[pa.Field, ...]] = ()

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {}

    def prepare_batch(self, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`prepare` for a whole shard at once (vectorized); the same columns, in order."""
        raise NotImplementedError

    def decide(self, table: pa.Table) -> Decisions:
        """`table` holds the `reads` columns of every record in a deterministic order."""
        raise NotImplementedError


@dataclass
class Decisions:
    """Per input row: `reason` None keeps it; `columns` holds `writes`/`reject_writes` values."""

    reason: list[str | None]
    detail: list[str | None]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    #: what readers should see in stats.json for this step (thresholds used, cluster counts, ...)
    summary: dict[str, Any] = field(default_factory=dict)


class PrepareStep(MapOp):
    """Runs a GlobalOp's per-record `prepare` inside the preceding map segment."""

    def __init__(self, op: GlobalOp) -> None:
        self.op = op
        self.reads = op.prepare_reads
        self.writes = op.prepare_writes

    def setup(self) -> None:
        self.op.setup()

    @property
    def counters(self) -> Counter:
        return self.op.counters

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        rec.update(self.op.prepare(rec))
        return rec

    @property
    def batched(self) -> bool:
        return type(self.op).prepare_batch is not GlobalOp.prepare_batch

    def process_batch(self, recs: list[dict[str, Any]]) -> list[dict[str, Any] | Reject]:
        for rec, cols in zip(recs, self.op.prepare_batch(recs), strict=True):
            rec.update(cols)
        return list(recs)

    def run_batch(self, recs: list[dict], stats: StageStats, rejects: list[dict]) -> list[dict]:
        # only records that fail here count at this point; the global step counts the rest
        kept = super().run_batch(recs, stats, rejects)
        passed = sum(r["_nbytes"] for r in kept)
        stats.records_in -= len(kept)
        stats.kept -= len(kept)
        stats.bytes_in -= passed
        stats.bytes_out -= passed
        return kept
