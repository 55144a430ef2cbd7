"""Code-aware tokens as byte spans, and their hashes, computed with numpy over the UTF-8 bytes.

Two tokenizers, both case-preserving (lowercasing is lossy for code):

* `bigcode`: maximal runs of `[A-Za-z0-9_]`, everything else separates: the split BigCode, The
  Stack and the MinHash peers use, so our clusters are comparable with theirs. Non-ASCII bytes
  are separators, exactly like the `[^A-Za-z_0-9]` regex on `str` (every byte of a multi-byte
  UTF-8 character is >= 0x80), so working on bytes changes nothing.
* `lang`: the leaves of the language's tree-sitter tree (operators and punctuation count);
  comments and string contents are split into words. About 20x slower (the tree walk runs in
  Python), falls back to `bigcode` for languages without a grammar.

Why bytes and numpy: every peer tokenizes one Python string object at a time and is capped near
15 MB/s per core. Here a token is a (start, end) pair of a C array, its hash a polynomial over
the bytes computed with one cumulative sum, so the per-byte work runs in C.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import xxhash

from codemill.record import utf8_of

U64 = np.uint64
_WORD = bytes(1 if (chr(i).isascii() and (chr(i).isalnum() or chr(i) == "_")) else 0 for i in range(256))
_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_CHUNK = 1 << 18  # bytes hashed per cumulative sum: bounds temporaries, keeps them in cache
_M1, _M2 = U64(0xFF51AFD7ED558CCD), U64(0xC4CEB9FE1A85EC53)
_EMPTY = np.zeros(0, np.int64)


def mix64(x: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finalizer, in place on a fresh uint64 array (full avalanche)."""
    x ^= x >> U64(33)
    x *= _M1
    x ^= x >> U64(33)
    x *= _M2
    x ^= x >> U64(33)
    return x


@cache
def _powers(base: int, n: int) -> np.ndarray:
    """base**i mod 2**64 for i < n, by doubling (log n numpy calls)."""
    p = np.empty(n, np.uint64)
    p[0] = 1
    k = 1
    with np.errstate(over="ignore"):
        while k < n:
            m = min(k, n - k)
            p[k : k + m] = p[:m] * U64(pow(base, k, 1 << 64))
            k += m
    return p


def word_spans(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the BigCode tokens of `raw`: runs of ASCII letters, digits and `_`."""
    if not raw:
        return _EMPTY, _EMPTY
    flags = np.frombuffer(b"\0" + raw.translate(_WORD) + b"\0", np.int8)
    edges = np.flatnonzero(flags[1:] != flags[:-1])
    return edges[0::2], edges[1::2]


def span_hashes(raw: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each span's bytes; equal bytes give equal hashes anywhere.

    Polynomial hash modulo 2**64, G = cumsum(b[j] * B**j), span [s, e) -> (G[e] - G[s]) * B**-s,
    then murmur's finalizer. The finalizer matters: shingles are linear combinations of token
    hashes, and unmixed polynomial values of short tokens are small and structured, so distinct
    shingles then agree more often than chance (measured: Jaccard estimates biased by +0.01,
    precision 0.948 instead of 0.957 on the accuracy benchmark). Trailing NUL bytes do not change a span's hash (NUL never occurs in a BigCode token, and
    `decode` rejects files with NUL as binary). Spans are processed in chunks of about 256 KB;
    a span longer than a chunk (a base64 blob) is hashed with xxh3 instead, always, so the
    function of the bytes is the same whatever the chunking.
    """
    n = len(starts)
    if n == 0:
        return np.zeros(0, np.uint64)
    buf = np.frombuffer(raw, np.uint8)
    if len(raw) <= _CHUNK:  # the common case: one cumulative sum
        return mix64(_poly(buf, starts, ends, 0))
    out = np.empty(n, np.uint64)
    lengths = ends - starts
    i = 0
    while i < n:
        if lengths[i] > _CHUNK:
            out[i] = xxhash.xxh3_64_intdigest(raw[int(starts[i]) : int(ends[i])])
            i += 1
            continue
        # spans are sorted and disjoint: take those ending within one chunk, up to a long one
        j = max(int(np.searchsorted(ends, starts[i] + _CHUNK, side="right")), i + 1)
        long_ = np.flatnonzero(lengths[i:j] > _CHUNK)
        j = i + int(long_[0]) if len(long_) else j
        out[i:j] = _poly(buf, starts[i:j], ends[i:j], int(starts[i]))
        i = j
    return mix64(out)  # xxh3 values are mixed already; mixing them again keeps one code path


def _poly(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, base: int) -> np.ndarray:
    """Unmixed polynomial hashes of spans lying within buf[base : base + _CHUNK]."""
    top = int(ends[-1])
    g = np.empty(top - base + 1, np.uint64)
    g[0] = 0
    np.cumsum(buf[base:top] * _powers(_BASE, _CHUNK + 1)[: top - base], out=g[1:])
    s = starts - base
    h = g[ends - base]
    h -= g[s]
    h *= _powers(_BASE_INV, _CHUNK + 1)[s]
    return h


def bigcode_batch(texts: list[str], raws: list[bytes] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(token hashes, per-text offsets) of the BigCode split of many texts in one pass: they are
    joined with NUL bytes, which no token contains, and hashes do not depend on position. `raws`:
    the texts' UTF-8 when known."""
    if not texts:
        return np.zeros(0, np.uint64), np.zeros(1, np.int64)
    if raws is None:
        raws = [t.encode("utf-8", "surrogatepass") for t in texts]
    buf = b"\0".join(raws)
    s, e = word_spans(buf)
    starts = np.cumsum([0] + [len(r) + 1 for r in raws[:-1]])
    offsets = np.searchsorted(s, np.append(starts, len(buf) + 1))
    return span_hashes(buf, s, e), offsets


def bigcode_hashes(text: str) -> np.ndarray:
    """Token hashes of the BigCode split of `text`."""
    raw = text.encode("utf-8", "surrogatepass")
    s, e = word_spans(raw)
    return span_hashes(raw, s, e)


def _is_wordy(node_type: str) -> bool:
    return "comment" in node_type or "string" in node_type or node_type in ("heredoc_body", "text")


def leaf_spans(tree: Any, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of a tree-sitter tree's leaves in order; comments and string contents are
    split into words, since one long comment as a single token would hide its text. Text no leaf
    covers (what error recovery skipped in broken code) is split into words too: nothing is lost."""
    starts: list[int] = []
    ends: list[int] = []
    done = 0  # end of the text covered so far

    def words(s: int, e: int) -> None:
        ws, we = word_spans(raw[s:e])
        starts.extend((ws + s).tolist())
        ends.extend((we + s).tolist())

    cur = tree.walk()
    while True:
        if cur.goto_first_child():
            continue
        node = cur.node
        s, e = node.start_byte, node.end_byte
        if e > s and s >= done:
            if s > done:
                words(done, s)
            if _is_wordy(node.type):
                words(s, e)
            else:
                starts.append(s)
                ends.append(e)
            done = e
        while not cur.goto_next_sibling():
            if not cur.goto_parent():
                if done < len(raw):
                    words(done, len(raw))
                return np.array(starts, np.int64), np.array(ends, np.int64)


def lang_hashes(rec: dict[str, Any]) -> np.ndarray:
    """Token hashes of the language's own tokens (tree-sitter leaves), BigCode's split without a grammar."""
    from codemill.parse import tree_of

    tree = tree_of(rec)
    raw = utf8_of(rec)
    if tree is None:
        s, e = word_spans(raw)
    else:
        s, e = leaf_spans(tree, raw)
    return span_hashes(raw, s, e)


def token_hashes(rec: dict[str, Any], tokenizer: str) -> np.ndarray:
    """Token hashes of a record for a tokenizer name (`bigcode` or `lang`)."""
    return lang_hashes(rec) if tokenizer == "lang" else bigcode_hashes(rec["text"])
