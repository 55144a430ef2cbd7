"""`exact_dedup`: one record per identical text (xxh3-128 of the UTF-8 bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from codemill.ops import Decisions, GlobalOp
from codemill.params import param
from codemill.record import utf8_of
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
        return {"content_hash": xxhash.xxh3_128_hexdigest(utf8_of(rec))}

    def decide(self, table: pa.Table) -> Decisions:
        """Vectorised: the driver holds one hash per record, and this runs while the workers wait."""
        n = table.num_rows
        codes = np.asarray(pc.dictionary_encode(table.column("content_hash")).combine_chunks().indices)
        order = np.arange(n)
        if self.keep != "first":
            times = table.column("created_at").cast(pa.int64())
            key = np.asarray(pc.fill_null(times, 0), dtype=np.int64) * (-1 if self.keep == "newest" else 1)
            missing = np.asarray(pc.is_null(times), dtype=bool)
            order = np.lexsort((order, key, missing))  # present times first, then by time, then input order
        ordered = codes[order]
        firsts = np.unique(ordered, return_index=True)[1]  # first position of each hash in `order`
        winner = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
        winner[ordered[firsts]] = order[firsts]
        won_by = winner[codes]
        copies = np.bincount(codes, minlength=len(winner))[codes]
        ids = table.column("id").to_pylist()
        reason: list[str | None] = [None] * n
        detail: list[str | None] = [None] * n
        dup_of: list[str | None] = [None] * n
        for i in np.flatnonzero(won_by != np.arange(n)).tolist():
            reason[i], dup_of[i] = "exact duplicate", ids[won_by[i]]
            detail[i] = f"same text as {dup_of[i]}"
        return Decisions(reason, detail, {"duplicate_of": dup_of, "exact_copies": copies.tolist()})
