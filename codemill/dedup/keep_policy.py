"""Which member of a duplicate cluster survives, and the columns every dedup op writes.

The policy is a list of criteria applied in order, the record id breaking the last tie, so the
choice never depends on input order or on the number of workers:

* `license`: most permissive licence first (public domain / permissive > weak copyleft >
  strong copyleft > network copyleft > unknown); an SPDX expression takes its best `OR`
  alternative and its worst `AND` part.
* `priority`: the op's `priority` column (stars, forks ...: a column, or a field kept in `meta`),
  highest first; records without it come last.
* `newest` / `oldest`: by `created_at`; records without it come last.
* `longest` / `shortest`: by UTF-8 bytes (`n_bytes`).
* `first`: input order (what exact_dedup calls `keep: first`).

`KeepPolicy` is a dataclass mixin: an op that inherits it gets the `keep` and `priority`
parameters, the prepare/read columns they need, and `cluster_decisions`, which turns cluster
labels into `Decisions` with `duplicate_of`, `cluster_id` and `cluster_size`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from codemill.ops import Decisions
from codemill.params import ParamError, param

CRITERIA = ("license", "priority", "newest", "oldest", "longest", "shortest", "first")
CLUSTER_FIELDS = (pa.field("cluster_id", pa.string()), pa.field("cluster_size", pa.int64()))
DUPLICATE_OF = pa.field("duplicate_of", pa.string())
N_BYTES = pa.field("n_bytes", pa.int64())
PRIORITY = pa.field("keep_priority", pa.float64())

_PERMISSIVE = ("mit", "apache", "bsd", "isc", "zlib", "psf", "python", "0bsd", "bsl-1.0", "boost", "x11",
               "unlicense", "cc0", "wtfpl", "cc-by-4", "cc-by-3", "ncsa", "upl", "artistic-2", "mit-0")
_WEAK = ("lgpl", "mpl", "epl", "cddl", "eupl", "cecill-c", "osl", "apsl", "ms-rl", "cpl")
_NETWORK = ("agpl", "sspl", "rpl")
_STRONG = ("gpl", "cecill", "cc-by-sa", "ccsa")


def license_rank(expr: str | None) -> int:
    """4 permissive or public domain, 3 weak copyleft, 2 strong copyleft, 1 network copyleft, 0 unknown."""
    if not expr:
        return 0
    alternatives = re.split(r"\s+or\s+|\s*/\s*", expr.strip().lower())
    return max(min(_rank_one(p) for p in re.split(r"\s+and\s+", alt)) for alt in alternatives if alt)


def _rank_one(spdx: str) -> int:
    spdx = spdx.strip("() ")
    for rank, names in ((1, _NETWORK), (3, _WEAK), (2, _STRONG), (4, _PERMISSIVE)):
        if any(spdx.startswith(n) for n in names):
            return rank
    return 0


@dataclass
class KeepPolicy:
    """Mixin for dedup ops: `keep` criteria + `priority` column, and cluster -> decisions."""

    keep: list[str] = param(["license", "priority", "newest", "longest"],
                            f"which member of a cluster survives, criteria in order ({', '.join(CRITERIA)}); "
                            "the id breaks the last tie")
    priority: str | None = param(None, "column or `meta` field for the `priority` criterion "
                                       "(e.g. stars), highest first; null: criterion skipped")

    def __post_init__(self) -> None:
        for i, c in enumerate(self.keep):
            if c not in CRITERIA:
                raise ParamError(f"keep[{i}]", f"{c!r} is not valid; choose from {', '.join(CRITERIA)}")

    # -- columns ---------------------------------------------------------------------------
    def policy_prepare_fields(self) -> tuple[pa.Field, ...]:
        return (N_BYTES,) + ((PRIORITY,) if self.priority else ())

    def policy_reads(self) -> tuple[str, ...]:
        cols = {"license": ("license",), "newest": ("created_at",), "oldest": ("created_at",)}
        out = [c for crit in self.keep for c in cols.get(crit, ())]
        return tuple(dict.fromkeys([*out, N_BYTES.name] + ([PRIORITY.name] if self.priority else [])))

    def policy_prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {N_BYTES.name: rec.get("_nbytes", len(rec["text"].encode("utf-8", "surrogatepass")))}
        if self.priority:
            out[PRIORITY.name] = _priority_of(rec, self.priority)
        return out

    # -- ranking and decisions -------------------------------------------------------------
    def preference(self, table: pa.Table) -> np.ndarray:
        """Row indexes from most to least preferred (a total order: the id breaks ties)."""
        return preference_order(table, self.keep, self.priority is not None)

    def cluster_decisions(self, table: pa.Table, labels: np.ndarray, reason: str,
                          detail: Callable[[int, int], str]) -> Decisions:
        """Decisions for rows grouped by `labels` (equal label = one cluster): the preferred
        member of each cluster is kept; `detail(row, kept_row)` explains each dropped row."""
        return cluster_decisions(table, labels, self.preference(table), reason, detail)


def _priority_of(rec: dict[str, Any], name: str) -> float | None:
    value = rec.get(name)
    if value is None and rec.get("meta"):
        try:
            value = orjson.loads(rec["meta"]).get(name)
        except (orjson.JSONDecodeError, AttributeError):
            value = None
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def preference_order(table: pa.Table, criteria: Sequence[str], use_priority: bool = True,
                     tie: str = "id") -> np.ndarray:
    """Row indexes sorted by the criteria (best first); `tie` = "id" or "order" (input order)."""
    n = table.num_rows
    keys: list[np.ndarray] = []  # most significant first; np.lexsort wants it reversed
    for crit in criteria:
        if crit == "license":
            keys.append(-np.array([license_rank(x) for x in table.column("license").to_pylist()], np.int64))
        elif crit == "priority" and use_priority:
            keys += _numeric(table.column(PRIORITY.name), descending=True)
        elif crit in ("newest", "oldest"):
            keys += _numeric(table.column("created_at").cast(pa.int64()), descending=crit == "newest")
        elif crit in ("longest", "shortest"):
            keys += _numeric(table.column(N_BYTES.name), descending=crit == "longest")
        elif crit == "first":
            keys.append(np.arange(n))
    if tie == "id":
        keys.append(_string_ranks(table.column("id")))
    keys.append(np.arange(n))
    return np.lexsort(keys[::-1])


def _numeric(col: pa.ChunkedArray, descending: bool) -> list[np.ndarray]:
    """Two sort keys: missing values last, then the value (negated for descending)."""
    missing = col.is_null().to_numpy(zero_copy_only=False) if col.null_count else np.zeros(len(col), bool)
    vals = col.fill_null(0).to_numpy(zero_copy_only=False).astype(np.float64)
    return [missing.astype(np.int8), -vals if descending else vals]


def _string_ranks(col: pa.ChunkedArray) -> np.ndarray:
    """Rank of each string in byte order, as integers (np.lexsort wants numbers)."""
    order = pc.sort_indices(col).to_numpy()
    ranks = np.empty(len(order), np.int64)
    ranks[order] = np.arange(len(order))
    return ranks


def cluster_decisions(table: pa.Table, labels: np.ndarray, preference: np.ndarray, reason: str,
                      detail: Callable[[int, int], str]) -> Decisions:
    """Keep the most preferred row of each label; the others are dropped with `reason`."""
    n = table.num_rows
    rank = np.empty(n, np.int64)
    rank[preference] = np.arange(n)
    _, inv, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    best = np.full(len(sizes), n, np.int64)
    np.minimum.at(best, inv, rank)
    winner = preference[best[inv]]  # kept row of each row's cluster
    ids = table.column("id").to_pylist()
    cluster_id = [ids[w] for w in winner]
    dropped = winner != np.arange(n)
    reasons: list[str | None] = [reason if d else None for d in dropped.tolist()]
    details: list[str | None] = [None] * n
    dup_of: list[str | None] = [None] * n
    for i in np.flatnonzero(dropped).tolist():
        details[i] = detail(i, int(winner[i]))
        dup_of[i] = cluster_id[i]
    return Decisions(reasons, details, {"duplicate_of": dup_of, "cluster_id": cluster_id,
                                        "cluster_size": sizes[inv].tolist()})


def group_labels(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Cluster labels for an exact key column: equal non-null keys share a label, nulls stand alone."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    codes = pc.dictionary_encode(arr).indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    nulls = arr.is_null().to_numpy(zero_copy_only=False)
    codes[nulls] = -1 - np.flatnonzero(nulls)  # a distinct label per null row
    return codes
