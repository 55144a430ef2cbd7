"""`bloom_dedup`: drop records already seen in earlier releases, remembered by a Bloom filter on disk.

A new batch is deduplicated against everything earlier runs saw without reloading that data:
the filter holds m bits and k hash functions sized from the expected number of records and
the false-positive rate (m = -n ln p / ln² 2, k = m/n ln 2: 10 million records at 1e-6 take
36 MB), whatever the size of the texts or of the history.

Where it runs: `prepare` (parallel workers) hashes each text once (xxh3-128, 16 bytes);
`decide` (driver, rows in a deterministic order) queries and updates the filter in chunks, so
memory is the filter plus one chunk. Queries are against the filter as it was *before* this
batch, and copies inside the batch are found exactly (by key), so the outcome does not depend
on row order and has no in-batch false positives.

Re-running the same batch (a retry, `--resume` after a crash, `--overwrite` of the same
release) must give the same output, not reject everything as "seen": the filter file records
the fingerprint of the last batch it absorbed (its record ids and keys) and keeps the state
before it in `PATH.prev`; a batch equal to the last one is decided against that previous state. One run at a time per
filter (an exclusive lock is taken while it is read and written).
"""

from __future__ import annotations

import fcntl
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import xxhash

from codemill.dedup.keep_policy import DUPLICATE_OF, group_labels
from codemill.dedup.normalized import normalized_hash
from codemill.ops import Decisions, GlobalOp
from codemill.params import ParamError, param, required
from codemill.record import utf8_of
from codemill.registry import OPS

KEY = "bloom_key"
_MAGIC = b"CMBLOOM1"
_HEADER = 64  # magic, m, k, count, last batch fingerprint, padding
_CHUNK = 1 << 20  # keys per query/update step: bounds the (chunk, k) position temporaries


class BloomFilter:
    """m bits, k positions per key by double hashing (Kirsch & Mitzenmacher) of a 128-bit key."""

    def __init__(self, m: int, k: int, bits: np.ndarray | None = None, count: int = 0, last_batch: bytes = b"") -> None:
        self.m, self.k, self.count, self.last_batch = m, k, count, last_batch.ljust(16, b"\0")
        self.bits = np.zeros((m + 7) // 8, np.uint8) if bits is None else bits

    @classmethod
    def sized(cls, expected: int, fp_rate: float) -> BloomFilter:
        m = max(64, math.ceil(-expected * math.log(fp_rate) / math.log(2) ** 2))
        m = (m + 63) // 64 * 64
        return cls(m, max(1, round(m / expected * math.log(2))))

    @classmethod
    def load(cls, path: Path) -> BloomFilter:
        with open(path, "rb") as fh:
            head = fh.read(_HEADER)
            if len(head) != _HEADER or head[:8] != _MAGIC:
                raise ValueError(f"{path}: not a codemill Bloom filter")
            m, k, count = (int.from_bytes(head[o : o + 8], "little") for o in (8, 16, 24))
            bits = np.fromfile(fh, np.uint8)
        if len(bits) != (m + 7) // 8:
            raise ValueError(f"{path}: truncated Bloom filter ({len(bits)} of {(m + 7) // 8} bytes)")
        return cls(m, k, bits, count, head[32:48])

    def save(self, path: Path) -> None:
        head = _MAGIC + b"".join(x.to_bytes(8, "little") for x in (self.m, self.k, self.count)) + self.last_batch
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        with open(tmp, "wb") as fh:
            fh.write(head.ljust(_HEADER, b"\0"))
            self.bits.tofile(fh)
        os.replace(tmp, path)

    def copy(self) -> BloomFilter:
        return BloomFilter(self.m, self.k, self.bits.copy(), self.count, self.last_batch)

    def fp_rate(self) -> float:
        """Estimated false-positive rate at the current fill."""
        return (1.0 - math.exp(-self.k * self.count / self.m)) ** self.k

    def _positions(self, keys: np.ndarray) -> np.ndarray:
        h1, h2 = keys[:, 0:1], keys[:, 1:2] | np.uint64(1)
        with np.errstate(over="ignore"):
            return (h1 + np.arange(self.k, dtype=np.uint64)[None, :] * h2) % np.uint64(self.m)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        out = np.empty(len(keys), bool)
        for lo in range(0, len(keys), _CHUNK):
            pos = self._positions(keys[lo : lo + _CHUNK])
            hit = (self.bits[pos >> np.uint64(3)] >> (pos & np.uint64(7)).astype(np.uint8)) & 1
            out[lo : lo + _CHUNK] = hit.all(axis=1)
        return out

    def add(self, keys: np.ndarray) -> None:
        for lo in range(0, len(keys), _CHUNK):
            pos = self._positions(keys[lo : lo + _CHUNK]).ravel()
            np.bitwise_or.at(self.bits, (pos >> np.uint64(3)).astype(np.int64),
                             np.left_shift(1, (pos & np.uint64(7)).astype(np.uint8)).astype(np.uint8))
        self.count += len(keys)


def _keys(column: pa.ChunkedArray) -> np.ndarray:
    arr = column.combine_chunks()
    if arr.type != pa.binary(16):
        arr = arr.cast(pa.binary(16))
    data = arr.buffers()[1]
    if data is None or len(arr) == 0:
        return np.zeros((0, 2), np.uint64)
    return np.frombuffer(data, "<u8", count=2 * len(arr), offset=arr.offset * 16).reshape(-1, 2).copy()


def _fingerprint(table: pa.Table, keys: np.ndarray) -> bytes:
    """Identity of a batch: its record ids (source + path) and keys. A retry has the same; a new
    release with the same content has other ids (another source), so it is not taken for a retry."""
    h = xxhash.xxh3_128(keys.tobytes())
    h.update("\0".join(table.column("id").to_pylist()).encode("utf-8", "surrogatepass"))
    return h.digest()


@OPS.register("bloom_dedup")
@dataclass
class BloomDedup(GlobalOp):
    """Drop records whose text an earlier run already saw (persistent Bloom filter), and copies within the batch."""

    prepare_reads = ("text", "lang")
    prepare_writes = (pa.field(KEY, pa.binary(16)),)
    reads = (KEY,)
    reject_writes = (DUPLICATE_OF,)

    path: str = required("Bloom filter file: created if missing, read and updated by every run")
    expected_count: int = param(10_000_000, "records the filter is sized for, over all releases")
    fp_rate: float = param(1e-6, "false-positive rate at expected_count (a new record wrongly dropped)")
    key: Literal["text", "normalized"] = param("text", "`text`: exact text; `normalized`: token stream "
                                                       "without whitespace and comments (normalized_dedup's)")

    def __post_init__(self) -> None:
        if self.expected_count < 1:
            raise ParamError("expected_count", "must be >= 1")
        if not 0.0 < self.fp_rate < 1.0:
            raise ParamError("fp_rate", f"{self.fp_rate} is not in (0, 1)")

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        if self.key == "normalized":
            return {KEY: bytes.fromhex(normalized_hash(rec)[0])}
        return {KEY: xxhash.xxh3_128_digest(utf8_of(rec))}

    def decide(self, table: pa.Table) -> Decisions:
        keys = _keys(table.column(KEY))
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            batch = _fingerprint(table, keys)
            base = self._state_before(path, batch)
            seen = base.contains(keys)
            labels = group_labels(table.column(KEY))
            _, first = np.unique(labels, return_index=True)
            is_first = np.zeros(len(keys), bool)
            is_first[first] = True
            new = base.copy()
            new.add(keys[is_first & ~seen])
            new.last_batch = batch
            base.save(path.with_name(path.name + ".prev"))
            new.save(path)
        return self._decisions(table, labels, seen, is_first, base)

    def _state_before(self, path: Path, batch: bytes) -> BloomFilter:
        """The filter as it was before this batch (see the module doc on re-runs)."""
        if not path.exists():
            return BloomFilter.sized(self.expected_count, self.fp_rate)
        current = BloomFilter.load(path)
        if current.last_batch != batch:
            return current
        prev = path.with_name(path.name + ".prev")
        return BloomFilter.load(prev) if prev.exists() else BloomFilter(current.m, current.k)

    def _decisions(self, table: pa.Table, labels: np.ndarray, seen: np.ndarray, is_first: np.ndarray,
                   base: BloomFilter) -> Decisions:
        ids = table.column("id").to_pylist()
        first_of: dict[int, int] = {}
        for i in np.flatnonzero(is_first).tolist():
            first_of[int(labels[i])] = i
        reason: list[str | None] = []
        detail: list[str | None] = []
        dup_of: list[str | None] = []
        fp = f"{base.fp_rate():.1e}"
        for i, lab in enumerate(labels.tolist()):
            if seen[i]:
                reason.append("seen in earlier run")
                detail.append(f"in Bloom filter {self.path} ({base.count:,} records, false-positive rate {fp})")
                dup_of.append(None)
            elif not is_first[i]:
                kept = ids[first_of[lab]]
                reason.append("normalized duplicate" if self.key == "normalized" else "exact duplicate")
                detail.append(f"same {'tokens' if self.key == 'normalized' else 'text'} as {kept} in this run")
                dup_of.append(kept)
            else:
                reason.append(None)
                detail.append(None)
                dup_of.append(None)
        return Decisions(reason, detail, {DUPLICATE_OF.name: dup_of})
