"""Per-record latency as a mergeable log-bucket histogram (shards merge by adding counts).

Buckets grow by 25% from 1 µs to ~100 s, so a percentile read from the histogram is within
one bucket (±12%) of the exact value, and Prometheus can export the same buckets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_GROWTH = 1.25
BOUNDS: list[float] = [1e-6 * _GROWTH**i for i in range(84)]  # upper bounds; last ≈ 130 s
_EDGES = np.array(BOUNDS)


class Latency:
    def __init__(self, counts: list[int] | None = None, total: float = 0.0) -> None:
        self.counts = np.zeros(len(BOUNDS) + 1, dtype=np.int64) if counts is None else np.array(counts, np.int64)
        self.total = total

    def add_many(self, seconds: list[float]) -> None:
        if seconds:
            arr = np.asarray(seconds)
            self.counts += np.bincount(np.searchsorted(_EDGES, arr), minlength=len(self.counts))
            self.total += float(arr.sum())

    def merge(self, other: Latency, sign: int = 1) -> None:
        self.counts += sign * other.counts
        self.total += sign * other.total

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def quantile(self, q: float) -> float | None:
        n = self.n
        if n == 0:
            return None
        idx = int(np.searchsorted(np.cumsum(self.counts), q * n, side="left"))
        return BOUNDS[min(idx, len(BOUNDS) - 1)]

    def summary(self) -> dict[str, float | None]:
        return {"p50": self.quantile(0.5), "p95": self.quantile(0.95), "p99": self.quantile(0.99),
                "mean": self.total / self.n if self.n else None}

    def to_dict(self) -> dict[str, Any]:
        nz = np.nonzero(self.counts)[0]
        return {"total": round(self.total, 6), "counts": {str(i): int(self.counts[i]) for i in nz}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Latency:
        lat = cls(total=d.get("total", 0.0))
        for i, c in d.get("counts", {}).items():
            lat.counts[int(i)] = c
        return lat
