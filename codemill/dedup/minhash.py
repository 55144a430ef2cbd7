"""MinHash signatures from token hashes, for many documents at once: a few numpy passes per batch.

Every scheme gives K slots per document, each the minimum of some random order restricted to
the document's shingle set, so two documents agree on a slot with probability = Jaccard:

* `oph` (default): one-permutation hashing. Each shingle is hashed once; its hash picks one of
  K bins and the bin keeps its minimum: one hash per shingle instead of K. Bins no shingle fell
  in are filled by more rounds with fresh hashes ("fast similarity sketching", Dahlgaard,
  Knudsen & Thorup, FOCS 2017): slot j holds the shingle of smallest rank (first round in which
  it falls in bin j, then its hash); after `_ROUNDS` rounds, one independent hash per bin. So
  every slot is the minimum of its own random order, like classic MinHash.
* `oph-copy`: optimal densification (Shrivastava, ICML 2017): an empty bin copies the first
  non-empty bin of a fixed pseudo-random sequence. Cheaper, but copies are correlated, so small
  files get noisier estimates (bench/dedup_accuracy.py measures all three).
* `classic`: K independent hashes per shingle, the textbook scheme.

Slots are stored as their low 16 bits ("b-bit minwise hashing", Li & König 2010): two
different minima agree by accident with probability 2**-16, which biases a Jaccard estimate by
under 2e-5 and halves the signature column (512 bytes for K = 256).

Batching: documents are concatenated (token hashes plus offsets) and every pass runs over the
whole batch, so the per-document cost of Python and numpy calls disappears; a batch of one
document takes the same path, so results never depend on how records were grouped.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from codemill.dedup.tokens import U64, mix64

#: multipliers combining the n token hashes of a shingle (odd 64-bit constants)
_SHINGLE_MUL = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                         0x27D4EB2F165667C5, 0x85EBCA77C2B2AE63, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53],
                        np.uint64)
_CLASSIC_ROWS = 4096  # shingles per block in the classic scheme: bounds the (rows x K) temporary
_MAX = np.iinfo(np.uint64).max
_LOW32 = U64(0xFFFFFFFF)
_ROUNDS = 64


@cache
def _multipliers(n: int) -> np.ndarray:
    if n <= len(_SHINGLE_MUL):
        return _SHINGLE_MUL[:n]
    rng = np.random.default_rng(n)
    return rng.integers(0, 1 << 63, n, dtype=np.uint64) * U64(2) + U64(1)


@cache
def _seeds(k: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, np.iinfo(np.uint64).max, k, dtype=np.uint64, endpoint=True)


def shingles_batch(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(shingle hashes, per-document offsets into them) for documents whose token hashes are
    tokens[offsets[d]:offsets[d+1]]. A shingle is sum_j tokens[i + j] * M_j (mod 2**64), mixed;
    a document with fewer than n tokens is one shingle of all of them, one without tokens has none."""
    muls = _multipliers(n)
    if len(offsets) == 2 and offsets[1] - offsets[0] >= n:  # one document (a record at a time): no bookkeeping
        tokens = tokens[offsets[0] : offsets[1]]
        out = tokens[: len(tokens) - n + 1] * muls[0]
        tmp = np.empty_like(out)
        for j in range(1, n):
            np.multiply(tokens[j : j + len(out)], muls[j], out=tmp)
            out += tmp
        return mix64(out), np.array([0, len(out)])
    counts = np.diff(offsets)
    out = np.zeros(max(len(tokens) - n + 1, 0), np.uint64)
    tmp = np.empty_like(out)
    for j in range(n):
        np.multiply(tokens[j : j + len(out)], muls[j], out=tmp)
        out += tmp
    inner = offsets[1:-1]
    if len(inner) and len(out):  # drop the windows that cross from one document into the next
        bad = (inner[:, None] - np.arange(1, n)[None, :]).ravel()
        keep = np.ones(len(out), bool)
        keep[bad[(bad >= 0) & (bad < len(out))]] = False
        out = out[keep]
    full = counts >= n
    per = np.where(full, counts - n + 1, (counts > 0).astype(np.int64))
    sh_off = np.concatenate(([0], np.cumsum(per)))
    short = np.flatnonzero((counts > 0) & ~full)
    if len(short):  # one shingle of all tokens: sum_j tokens[j] * M_j, put where the document's block is
        pos = np.repeat(offsets[short], counts[short]) + _ranks(counts[short])
        weighted = tokens[pos] * muls[_ranks(counts[short])]
        single = np.add.reduceat(weighted, np.concatenate(([0], np.cumsum(counts[short])[:-1])))
        out = np.insert(out, sh_off[short] - np.arange(len(short)), single)
    return mix64(out), sh_off


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each c in counts, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def shingle_hashes(tokens: np.ndarray, n: int) -> np.ndarray:
    """Shingle hashes of one document's token hashes."""
    return shingles_batch(tokens, np.array([0, len(tokens)]), n)[0]


def _bins(h: np.ndarray, k: int) -> np.ndarray:
    """Bin of each hash from its top 32 bits (Lemire's range reduction: any K), as int64 indexes."""
    return (((h >> U64(32)) * U64(k)) >> U64(32)).view(np.int64)


def oph_batch(sh: np.ndarray, sh_off: np.ndarray, k: int, fill: str = "rehash") -> np.ndarray:
    """(D, K) keys of one-permutation MinHash; key = round << 32 | low 32 bits of the hash."""
    docs = len(sh_off) - 1
    slot = _bins(sh, k)
    if docs > 1:
        slot = slot + np.repeat(np.arange(docs) * k, np.diff(sh_off))
    keys = np.full(docs * k, _MAX, np.uint64)
    np.minimum.at(keys, slot, sh & _LOW32)
    keys = keys.reshape(docs, k)
    has = np.diff(sh_off) > 0
    todo = np.flatnonzero(has & (keys == _MAX).any(axis=1))
    if len(todo) and fill == "copy":
        for d in todo.tolist():
            _copy_fill(keys[d], k)
    elif len(todo) == 1:
        d = int(todo[0])
        _fill_one(sh[sh_off[d] : sh_off[d + 1]], keys[d], k)
    elif len(todo):
        _fill_by_rounds(sh, sh_off, keys, todo, k)
    return keys


def _copy_fill(keys: np.ndarray, k: int) -> None:
    full = keys != _MAX
    empty = np.flatnonzero(~full)
    order = _donor_order(k)[empty]  # (E, K) candidate donor bins, a fixed sequence per bin
    keys[empty] = keys[order[np.arange(len(empty)), np.argmax(full[order], axis=1)]]


@cache
def _donor_order(k: int) -> np.ndarray:
    """Row i: a pseudo-random permutation of the bins, the densification sequence of bin i."""
    rng = np.random.default_rng(0x0DE45E)
    return np.argsort(rng.random((k, k)), axis=1).astype(np.int16 if k < 32768 else np.int32)


def _fill_one(x: np.ndarray, keys: np.ndarray, k: int) -> None:
    """`_fill_by_rounds` for one document, with fewer numpy calls (a record at a time)."""
    seeds = _seeds(_ROUNDS, 2)
    r = 1
    while r < _ROUNDS:
        empty = int(np.count_nonzero(keys == _MAX))
        per = max(1, int(np.ceil(k * np.log(2 * empty) / len(x))))
        rs = np.arange(r, min(r + per, _ROUNDS))
        h = mix64(x[:, None] ^ seeds[None, rs])
        np.minimum.at(keys, _bins(h, k).ravel(), ((h & _LOW32) | (rs.astype(np.uint64) << U64(32))[None, :]).ravel())
        r = int(rs[-1]) + 1
        if keys.max() != _MAX:
            return
    _last_resort(x, keys, k)


def _last_resort(x: np.ndarray, keys: np.ndarray, k: int) -> None:
    """After all rounds: one independent hash per bin still empty (documents of a few shingles)."""
    miss = np.flatnonzero(keys == _MAX)
    keys[miss] = (mix64(x[:, None] ^ _seeds(k, 3)[None, miss]).min(axis=0) & _LOW32) | U64(_ROUNDS << 32)


def _last_resort_many(sh: np.ndarray, sh_off: np.ndarray, keys: np.ndarray, docs: np.ndarray, k: int) -> None:
    """`_last_resort` for many documents in one pass: per (document, empty bin), the minimum over
    the document's shingles of the bin's own hash."""
    miss_d, miss_b = np.nonzero(keys[docs] == _MAX)
    doc = docs[miss_d]
    lens = sh_off[doc + 1] - sh_off[doc]
    x = sh[np.repeat(sh_off[doc], lens) + _ranks(lens)]
    h = mix64(x ^ _seeds(k, 3)[np.repeat(miss_b, lens)])
    keys[doc, miss_b] = (np.minimum.reduceat(h, np.concatenate(([0], np.cumsum(lens)[:-1]))) & _LOW32) \
        | U64(_ROUNDS << 32)


def _fill_by_rounds(sh: np.ndarray, sh_off: np.ndarray, keys: np.ndarray, todo: np.ndarray, k: int) -> None:
    """Rounds 1.._ROUNDS-1 for the documents with empty bins, then one hash per bin still empty.

    A document with E empty bins and n shingles runs its next K ln(2E) / n rounds in one 2-D
    pass (leaving on average under half a bin empty), rounded up to a power of two so that few
    groups form; documents that need the same rounds run together. A later round never changes
    a filled bin (its keys are larger), so running more rounds than needed, or stopping once a
    document is full, gives exactly the minimum over all rounds.
    """
    seeds = _seeds(_ROUNDS, 2)
    flat_keys = keys.reshape(-1)
    nxt = np.ones(len(todo), np.int64)  # next round of each document still in `todo`
    while len(todo):
        lens = sh_off[todo + 1] - sh_off[todo]
        empty = (keys[todo] == _MAX).sum(axis=1)
        need = np.ceil(k * np.log(2 * empty) / lens).astype(np.int64).clip(1)
        need = 1 << np.ceil(np.log2(need)).astype(np.int64)  # powers of two: fewer groups, same keys
        per = np.minimum(need, _ROUNDS - nxt)
        code = nxt * _ROUNDS + per
        for c in np.unique(code).tolist():
            group = np.flatnonzero(code == c)
            r0, p = divmod(c, _ROUNDS)
            rs = np.arange(r0, r0 + p)
            if len(group) == 1:  # one document: its shingles are one slice
                d = int(todo[group[0]])
                x, base = sh[sh_off[d] : sh_off[d + 1], None], d * k
            else:
                glen = lens[group]
                x = sh[np.repeat(sh_off[todo[group]], glen) + _ranks(glen), None]
                base = (np.repeat(todo[group], glen) * k)[:, None]
            h = mix64(x ^ seeds[None, rs])
            flat = _bins(h, k) + base
            np.minimum.at(flat_keys, flat.ravel(), ((h & _LOW32) | (rs.astype(np.uint64) << U64(32))[None, :]).ravel())
        nxt += per
        left = (keys[todo] == _MAX).any(axis=1)
        done_rounds = nxt >= _ROUNDS
        last = todo[left & done_rounds]  # documents of a handful of shingles
        if len(last):
            _last_resort_many(sh, sh_off, keys, last, k)
        keep = left & ~done_rounds
        todo, nxt = todo[keep], nxt[keep]


def classic(shingles: np.ndarray, k: int, seed: int = 1) -> np.ndarray:
    """Textbook MinHash of one document: K minima of mix64(a_i * shingle + b_i), a_i odd.

    (An XOR with a seed before the finalizer alone gives orders correlated enough across
    slots to bias Jaccard estimates by +0.006 on the benchmark corpus; the multiply removes it.)
    """
    mul = _seeds(k, seed) | U64(1)
    add = _seeds(k, seed + 100)
    mins = np.full(k, _MAX, np.uint64)
    for lo in range(0, len(shingles), _CLASSIC_ROWS):
        block = shingles[lo : lo + _CLASSIC_ROWS, None] * mul[None, :]
        block += add[None, :]
        np.minimum(mins, mix64(block).min(axis=0), out=mins)
    return mins


def signatures(tokens: np.ndarray, offsets: np.ndarray, *, ngram: int, k: int,
               scheme: str = "oph") -> list[bytes | None]:
    """Packed signatures (K little-endian uint16 each) of a batch; None for a document without tokens."""
    sh, sh_off = shingles_batch(tokens, offsets, ngram)
    if scheme == "classic":
        keys = np.full((len(sh_off) - 1, k), _MAX, np.uint64)
        for d, (a, b) in enumerate(zip(sh_off[:-1].tolist(), sh_off[1:].tolist(), strict=True)):
            if b > a:
                keys[d] = classic(sh[a:b], k)
    else:
        keys = oph_batch(sh, sh_off, k, "copy" if scheme == "oph-copy" else "rehash")
    packed = keys.astype("<u2")
    has = (np.diff(sh_off) > 0).tolist()
    return [packed[d].tobytes() if has[d] else None for d in range(len(has))]


def signature(tokens: np.ndarray, *, ngram: int, k: int, scheme: str = "oph") -> bytes | None:
    """The packed signature of one document's token hashes (None without tokens)."""
    return signatures(tokens, np.array([0, len(tokens)]), ngram=ngram, k=k, scheme=scheme)[0]


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard estimates from packed 16-bit signatures (rows of K uint16), corrected for
    the 2**-16 chance that two different minima agree."""
    agree = (a == b).mean(axis=-1)
    p = 1.0 / 65536
    return np.clip((agree - p) / (1 - p), 0.0, 1.0)
