"""Lexical features computed with numpy over the UTF-8 bytes: one pass serves the language
classifier, Halstead counts, token counts and line counts.

Why numpy: a per-token Python loop runs at a few MB/s, below a tree-sitter parse; here a token is
a (start, end) pair of C arrays and its identity a 64-bit key built from its bytes, so the
per-byte work runs in C and the four annotate ops stay under the cost of one parse per file.

Tokens: maximal runs of word bytes (ASCII letters, digits, `_`, and every byte >= 0x80, so a
non-ASCII identifier stays one token) and single punctuation bytes. A word's key combines its
first and last 8 bytes and its length, mixed once (splitmix64's finalizer): exact for words up
to 16 bytes, a hash beyond; a punctuation byte's key comes from a 256-entry table. The keys feed a trained model, so this function must never
change without retraining (`train_lang` records `FEATURES_VERSION` in the model file).
"""

from __future__ import annotations

import numpy as np

FEATURES_VERSION = 3
SPACE, WORD, PUNCT = 0, 1, 2
U64 = np.uint64

BYTE_CLASS = np.full(256, PUNCT, np.uint8)
for _b in b" \t\n\r\x0b\x0c":
    BYTE_CLASS[_b] = SPACE
for _b in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    BYTE_CLASS[_b] = WORD
BYTE_CLASS[0x80:] = WORD
BYTE_CLASS[:0x20][BYTE_CLASS[:0x20] == PUNCT] = SPACE  # other control bytes separate like blanks
_DIGIT = np.zeros(256, bool)
_DIGIT[list(b"0123456789")] = True
_NUM_KEY = U64(0x6E756D6E756D6E75)  # every number is one token type: values say nothing about language
_EMPTY_U = np.zeros(0, np.uint64)
_LOW_MASK = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], U64)


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on a fresh uint64 array: full avalanche, so low bits are usable as buckets."""
    x ^= x >> U64(30)
    x *= U64(0xBF58476D1CE4E5B9)
    x ^= x >> U64(27)
    x *= U64(0x94D049BB133111EB)
    x ^= x >> U64(31)
    return x


_PAD = b"\0" * 8
#: the key of each byte as a one-byte punctuation token (numbers outside the range of word keys' heads)
_PUNCT_KEYS = mix(np.arange(256, dtype=U64) * U64(0xC2B2AE3D27D4EB4F) + U64(0x165667B19E3779F9))


def _bytes(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(the bytes, the same bytes plus 8 zero bytes): the padding lets `span_keys` read 8 bytes anywhere."""
    padded = np.frombuffer(raw + _PAD, np.uint8)
    return padded[: len(raw)], padded


def word_spans(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of word bytes, and the byte classes."""
    cls = BYTE_CLASS[a]
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (cls == WORD).view(np.int8), [0]))))
    return edges[0::2], edges[1::2], cls


def span_keys(padded: np.ndarray, starts: np.ndarray, ends: np.ndarray, mixed: bool = True) -> np.ndarray:
    """64-bit keys of byte spans: first 8 bytes, last 8 bytes and length, mixed (`mixed=False`
    skips the final mixing, a bijection: enough to count distinct tokens, and cheaper).

    Eight bytes at any offset are one gather from an unaligned little-endian uint64 view
    (stride 1) of the zero-padded bytes, so a key costs a handful of vector operations whatever
    the token length.
    """
    w8 = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded.data, strides=(1,))
    length = ends - starts
    mask = _LOW_MASK[np.minimum(length, 8)]  # a token shorter than 8 bytes: its bytes only, then zeros
    head = w8[starts] & mask
    tail = w8[np.maximum(ends - 8, starts)] & mask
    with np.errstate(over="ignore"):
        key = head * U64(0x9E3779B97F4A7C15) ^ tail ^ length.astype(U64)
    return mix(key) if mixed else key


def token_keys(raw: bytes, one_number: bool = True) -> np.ndarray:
    """Keys of the tokens of `raw` in order (word runs and single punctuation bytes);
    `one_number`: every digit-led word gets the same key."""
    if not raw:
        return _EMPTY_U
    a, padded = _bytes(raw)
    ws, we, cls = word_spans(a)
    wkeys = span_keys(padded, ws, we)
    if one_number:
        wkeys[_DIGIT[a[ws]]] = _NUM_KEY
    keys = _PUNCT_KEYS[a]  # every byte's key as a punctuation token; word starts overwritten next
    keys[ws] = wkeys
    starts = cls == PUNCT
    starts[ws] = True
    return keys[starts]


_WORD_BYTES = bytes(int(BYTE_CLASS[i] == WORD) for i in range(256))
_PUNCT_BYTES = bytes(int(BYTE_CLASS[i] == PUNCT) for i in range(256))


def word_keys(raw: bytes) -> tuple[np.ndarray, int, int]:
    """(unmixed keys of the word tokens, punctuation tokens, distinct punctuation bytes): what
    Halstead needs. Byte classes come from `bytes.translate` (memory speed)."""
    if not raw:
        return _EMPTY_U, 0, 0
    padded = np.frombuffer(raw + _PAD, np.uint8)
    word = np.frombuffer(b"\0" + raw.translate(_WORD_BYTES) + b"\0", np.int8)
    edges = np.flatnonzero(word[1:] != word[:-1])
    punct = padded[: len(raw)][np.frombuffer(raw.translate(_PUNCT_BYTES), np.bool_)]
    keys = span_keys(padded, edges[0::2], edges[1::2], mixed=False)
    return keys, len(punct), int(np.count_nonzero(np.bincount(punct, minlength=256)))


def keys_of(words: list[bytes]) -> np.ndarray:
    """Sorted unmixed keys of whole words (e.g. a keyword list), comparable with `word_keys`."""
    if not words:
        return _EMPTY_U
    return np.unique(word_keys(b" ".join(words))[0])


def bigram_keys(keys: np.ndarray) -> np.ndarray:
    """Keys of adjacent token pairs (order matters: `: string` is not `string :`)."""
    if len(keys) < 2:
        return _EMPTY_U
    with np.errstate(over="ignore"):
        return mix(keys[:-1] * U64(0xD6E8FEB86659FD93) ^ keys[1:])


def bag(keys: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse feature vector: buckets (sorted, unique) and 1 + log(count) weights, L2-normalized."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx, counts = np.unique((keys & U64(dim - 1)).astype(np.int64), return_counts=True)
    val = (1.0 + np.log(counts)).astype(np.float32)
    val /= np.sqrt(np.dot(val, val))
    return idx, val


def window(raw: bytes, limit: int) -> bytes:
    """What the classifier reads: the whole text up to `limit` bytes; beyond, the first half-window
    and a half-window from the middle (from a line start), so a long license header or module
    docstring at the top cannot hide the code."""
    if len(raw) <= limit:
        return raw
    half = limit // 2
    mid = raw.find(b"\n", len(raw) // 2)
    mid = len(raw) // 2 if mid < 0 else mid + 1
    return raw[:half] + b"\n" + raw[mid:mid + half]


def class_features(raw: bytes, dim: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's input: unigram and bigram buckets of the text's `window`."""
    keys = token_keys(window(raw, limit))
    return bag(np.concatenate([keys, bigram_keys(keys)]), dim)


def class_features_many(raws: list[bytes], dim: int, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`class_features` of many texts in one numpy pass: (text index, bucket, weight) of every
    feature, sorted by text then bucket.

    The windows are joined by a newline (a separator byte: no token spans two windows, and a
    token's key reads only its own bytes), pairs of tokens from two windows are dropped, and the
    (text, bucket) pairs are counted in one `np.unique`. The numbers equal `class_features`'
    except for the float32 rounding of the norm (a sum, not a BLAS dot).
    """
    wins = [window(r, limit) for r in raws]
    starts = np.cumsum([0] + [len(w) + 1 for w in wins[:-1]])
    buf = b"\n".join(wins)
    if not buf:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    a, padded = _bytes(buf)
    ws, we, cls = word_spans(a)
    wkeys = span_keys(padded, ws, we)
    wkeys[_DIGIT[a[ws]]] = _NUM_KEY
    keys = _PUNCT_KEYS[a]
    keys[ws] = wkeys
    first = cls == PUNCT
    first[ws] = True
    pos = np.flatnonzero(first)
    keys = keys[pos]
    owner = np.searchsorted(starts, pos, side="right") - 1
    same = owner[:-1] == owner[1:]
    pairs = bigram_keys(keys)[same] if len(keys) >= 2 else _EMPTY_U
    shift = int(dim - 1).bit_length()
    mask = U64(dim - 1)
    combined = np.concatenate([(owner << shift) | (keys & mask).astype(np.int64),
                               (owner[:-1][same] << shift) | (pairs & mask).astype(np.int64)])
    idx, counts = np.unique(combined, return_counts=True)
    text = idx >> shift
    val = (1.0 + np.log(counts)).astype(np.float32)
    first_of = np.flatnonzero(np.concatenate(([True], text[1:] != text[:-1])))
    norm = np.sqrt(np.add.reduceat(val * val, first_of))
    val /= np.repeat(norm, np.diff(np.append(first_of, len(val))))
    return text, idx & (dim - 1), val
