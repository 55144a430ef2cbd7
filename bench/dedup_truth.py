"""Ground truth for near-duplicate accuracy: exact Jaccard of n-gram shingle sets, every pair above a floor.

Shares no code with codemill's near_dedup: tokens come from Python's `re` (BigCode's split) or
from tree-sitter leaves, shingles are the joined token strings hashed with xxh3, and pairs come
from an exact set-similarity join (prefix filtering, "AllPairs", Bayardo et al., WWW 2007):
a pair with Jaccard >= t shares an element within the first |A| - ceil(t|A|) + 1 elements of
both sets under any fixed global order, so the join misses no pair; `brute_force` checks that
on a subsample. Identical sets are collapsed first (the corpus holds ~22k exact copies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import xxhash

NON_ALNUM = re.compile(r"[^A-Za-z_0-9]+")


def bigcode_tokens(text: str) -> list[str]:
    return [t for t in NON_ALNUM.split(text) if t]


def shingle_set(tokens: list[str], n: int = 5) -> np.ndarray:
    """Sorted unique xxh3 hashes of the token n-grams (all tokens as one shingle when fewer than n)."""
    if not tokens:
        return np.zeros(0, np.uint64)
    grams = [" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))]
    return np.unique(np.fromiter((xxhash.xxh3_64_intdigest(g.encode()) for g in grams), np.uint64, len(grams)))


@dataclass
class Truth:
    """Exact Jaccard of every pair of records at or above `floor` (identical sets expanded)."""

    n: int
    a: np.ndarray  # record index, a < b
    b: np.ndarray
    jaccard: np.ndarray
    sizes: np.ndarray  # shingles per record

    def pairs_at(self, threshold: float) -> set[tuple[int, int]]:
        keep = self.jaccard >= threshold
        return set(zip(self.a[keep].tolist(), self.b[keep].tolist(), strict=True))

    def lookup(self) -> dict[tuple[int, int], float]:
        return dict(zip(zip(self.a.tolist(), self.b.tolist(), strict=True), self.jaccard.tolist(), strict=True))


def _collapse(sets: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """rep[i] = first record with the same set as i; the representatives in order."""
    first: dict[bytes, int] = {}
    rep = np.empty(len(sets), np.int64)
    for i, s in enumerate(sets):
        rep[i] = first.setdefault(s.tobytes(), i)
    return rep, list(first.values())


def join(sets: list[np.ndarray], floor: float = 0.5, max_group: int = 20_000) -> Truth:
    """All pairs with Jaccard >= floor, by prefix filtering over the distinct non-empty sets."""
    rep, reps = _collapse(sets)
    reps = [r for r in reps if len(sets[r])]
    lens = np.array([len(sets[r]) for r in reps], np.int64)
    doc = np.repeat(np.arange(len(reps)), lens)
    elems = np.concatenate([sets[r] for r in reps]) if reps else np.zeros(0, np.uint64)
    _, inv, df = np.unique(elems, return_inverse=True, return_counts=True)
    order = np.lexsort((elems, df[inv], doc))  # per record, rarest elements first
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    pos = np.arange(len(elems)) - np.repeat(starts, lens)
    plen = lens - np.ceil(floor * lens - 1e-9).astype(np.int64) + 1
    chosen = order[pos < plen[doc]]
    tok, who = inv[chosen], doc[chosen]
    by_tok = np.lexsort((who, tok))
    tok, who = tok[by_tok], who[by_tok]
    bounds = np.flatnonzero(np.diff(tok)) + 1
    cand: set[tuple[int, int]] = set()
    for grp in np.split(who, bounds):
        if 1 < len(grp) <= max_group:
            g = grp.tolist()
            cand.update((x, y) for i, x in enumerate(g) for y in g[i + 1 :])
        elif len(grp) > max_group:
            raise RuntimeError(f"prefix group of {len(grp)} records: raise max_group or lower the floor")
    a_rep, b_rep, jac = [], [], []
    for x, y in cand:
        lx, ly = lens[x], lens[y]
        if min(lx, ly) < floor * max(lx, ly):
            continue
        j = _jaccard(sets[reps[x]], sets[reps[y]])
        if j >= floor:
            a_rep.append(reps[x])
            b_rep.append(reps[y])
            jac.append(j)
    return _expand(len(sets), rep, a_rep, b_rep, jac, np.array([len(s) for s in sets]))


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


def _expand(n: int, rep: np.ndarray, a_rep: list[int], b_rep: list[int], jac: list[float], sizes: np.ndarray) -> Truth:
    """Pairs between representatives -> pairs between all records (identical copies at 1.0)."""
    members: dict[int, list[int]] = {}
    for i, r in enumerate(rep.tolist()):
        if sizes[i]:
            members.setdefault(r, []).append(i)
    out: dict[tuple[int, int], float] = {}
    for m in members.values():
        for i, x in enumerate(m):
            for y in m[i + 1 :]:
                out[(x, y)] = 1.0
    for x, y, j in zip(a_rep, b_rep, jac, strict=True):
        for p in members[x]:
            for q in members[y]:
                out[(min(p, q), max(p, q))] = j
    keys = sorted(out)
    a = np.array([k[0] for k in keys], np.int64)
    b = np.array([k[1] for k in keys], np.int64)
    return Truth(n, a, b, np.array([out[k] for k in keys]), sizes)


def brute_force(sets: list[np.ndarray], idx: list[int], floor: float = 0.5) -> set[tuple[int, int]]:
    """Pairs among `idx` with Jaccard >= floor, checked one by one (after the size bound)."""
    out = set()
    for i, x in enumerate(idx):
        for y in idx[i + 1 :]:
            lx, ly = len(sets[x]), len(sets[y])
            if lx and ly and min(lx, ly) >= floor * max(lx, ly) and _jaccard(sets[x], sets[y]) >= floor - 1e-12:
                out.add((min(x, y), max(x, y)))
    return out


def clusters_of(n: int, pairs: set[tuple[int, int]]) -> int:
    """Number of records an ideal dedup removes: n minus the connected components of `pairs`."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in pairs:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return n - sum(1 for i in range(n) if find(i) == i)
