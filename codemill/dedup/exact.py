"""`exact_dedup`: one record per identical text (xxh3-128 of the UTF-8 bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
import xxhash

from codemill.ops import Decisions, GlobalOp
from codemill.params import param
from codemill.registry import OPS


@OPS.register("exact_dedup")
@dataclass
class ExactDedup(GlobalOp):
    """Drop byte-identical texts, keeping one per hash; each dropped record names the kept one."""

    prepare_reads = ("text",)
    prepare_writes = (pa.field("content_hash", pa.string()),)
    reads = ("content_hash", "created_at")
    writes = (pa.field("exact_copies", pa.int64()),)
    reject_writes = (pa.field("duplicate_of", pa.string()),)

    keep: Literal["first", "newest", "oldest"] = param(
        "first", "which copy survives: first in input order, or newest/oldest `created_at` (ties: input order)"
    )

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {"content_hash": xxhash.xxh3_128_hexdigest(rec["text"].encode("utf-8", "surrogatepass"))}

    def decide(self, table: pa.Table) -> Decisions:
        hashes = table.column("content_hash").to_pylist()
        order = range(len(hashes))
        if self.keep != "first":
            times = table.column("created_at").cast(pa.int64()).to_pylist()
            missing = float("inf")
            sign = -1 if self.keep == "newest" else 1
            order = sorted(order, key=lambda i: (missing if times[i] is None else sign * times[i], i))
        winner: dict[str, int] = {}
        copies: dict[str, int] = {}
        for i in order:
            winner.setdefault(hashes[i], i)
            copies[hashes[i]] = copies.get(hashes[i], 0) + 1
        ids = table.column("id").to_pylist()
        reason: list[str | None] = []
        dup_of: list[str | None] = []
        for i, h in enumerate(hashes):
            w = winner[h]
            reason.append(None if w == i else "exact duplicate")
            dup_of.append(None if w == i else ids[w])
        detail = [None if d is None else f"same text as {d}" for d in dup_of]
        return Decisions(reason, detail, {"duplicate_of": dup_of, "exact_copies": [copies[h] for h in hashes]})
