"""`normalized_dedup`: one record per token stream, with whitespace and comments removed.

Catches copies that differ only in layout: re-indentation, reformatting, changed or removed
comments, CRLF. The tokens come from the language's tree-sitter grammar, never from regexes:
a string literal is one token taken verbatim (whitespace inside it is data), a comment node is
dropped whole, so `"a  b"` and `"a b"` stay different while `a+b` and `a + b` become equal.

Python's indentation is syntax: `block` nodes emit open/close markers, so moving a statement
in or out of a block changes the stream, while re-indenting the whole file does not.
Languages without a grammar fall back to the exact text (`normalized_by` says which was used).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import xxhash

from codemill.dedup.keep_policy import CLUSTER_FIELDS, DUPLICATE_OF, KeepPolicy, group_labels
from codemill.ops import Decisions, GlobalOp
from codemill.parse import tree_of
from codemill.record import utf8_of
from codemill.registry import OPS

HASH = "normalized_hash"
_ATOMIC = ("string", "char", "rune", "regex", "heredoc")  # literal nodes kept verbatim, not descended
_INDENTED = {"python", "cython"}  # block structure carried by indentation
_OPEN, _CLOSE = b"\x01{", b"\x01}"


def is_comment(node_type: str) -> bool:
    return "comment" in node_type


def is_literal(node: Any) -> bool:
    """A literal kept as one verbatim token: strings, characters, regexes, heredocs (the parts
    of an implicit concatenation `"a" "b"` are literals, the concatenation is not)."""
    kind = node.type
    return node.is_named and any(a in kind for a in _ATOMIC) and not kind.startswith("concatenated")


def token_stream(tree: Any, raw: bytes, indented: bool) -> list[bytes]:
    """Leaves of the tree without comments, literals whole, block markers for indented languages."""
    out: list[bytes] = []
    cur = tree.walk()
    closes: list[bool] = []  # per entered node with children: does leaving it close a block?
    while True:
        node = cur.node
        kind = node.type
        descend = not is_comment(kind) and not is_literal(node) and node.child_count > 0
        if descend and cur.goto_first_child():
            is_block = indented and kind == "block"
            if is_block:
                out.append(_OPEN)
            closes.append(is_block)
            continue
        if not is_comment(kind) and node.end_byte > node.start_byte:
            tok = raw[node.start_byte : node.end_byte]
            # a raw-text leaf (a C macro body) holds several tokens: only their spacing goes
            out.append(tok if is_literal(node) else b" ".join(tok.split()))
        while not cur.goto_next_sibling():
            if not cur.goto_parent():
                return out
            if closes.pop():
                out.append(_CLOSE)


def normalized_hash(rec: dict[str, Any]) -> tuple[str, str]:
    """(hash of the token stream, method): method is `tree-sitter`, or `exact` without a grammar."""
    text = rec["text"]
    if "\r\n" in text:  # line ends are layout, also inside literals (compilers read them as \n)
        rec = {**rec, "text": text.replace("\r\n", "\n")}
    tree = tree_of(rec)
    raw = utf8_of(rec)
    if tree is None:
        return xxhash.xxh3_128_hexdigest(raw), "exact"
    stream = token_stream(tree, raw, rec.get("lang") in _INDENTED)
    h = xxhash.xxh3_128()
    for tok in stream:
        h.update(len(tok).to_bytes(4, "little"))
        h.update(tok)
    return h.hexdigest(), "tree-sitter"


@OPS.register("normalized_dedup")
@dataclass
class NormalizedDedup(KeepPolicy, GlobalOp):
    """Drop files whose token stream (no whitespace, no comments) equals another's, one kept per group."""

    prepare_reads = ("text", "lang")
    writes = CLUSTER_FIELDS
    reject_writes = (DUPLICATE_OF,)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.prepare_writes = (pa.field(HASH, pa.string()), pa.field("normalized_by", pa.string()),
                               *self.policy_prepare_fields())
        self.reads = (HASH, *self.policy_reads())

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        h, method = normalized_hash(rec)
        return {HASH: h, "normalized_by": method, **self.policy_prepare(rec)}

    def decide(self, table: pa.Table) -> Decisions:
        ids = table.column("id").to_pylist()
        return self.cluster_decisions(table, group_labels(table.column(HASH)), "normalized duplicate",
                                      lambda i, k: f"same tokens as {ids[k]} without whitespace and comments")
