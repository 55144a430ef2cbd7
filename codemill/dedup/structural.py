"""`structural_dedup`: one record per syntax-tree shape, up to identifiers and literals.

Catches the same implementation with renamed variables and functions and different
constants ("type-2 clones"), which token- or text-based dedup misses. Python is fingerprinted
with `ast` and real scope analysis, other languages with tree-sitter (see `fingerprint.py`).
Files below `min_nodes` syntax nodes are not fingerprinted: small files are alike by necessity
(an `__init__.py` with two imports), not copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from codemill.dedup.fingerprint import python_fingerprint, tree_fingerprint
from codemill.dedup.keep_policy import CLUSTER_FIELDS, DUPLICATE_OF, KeepPolicy, group_labels
from codemill.ops import Decisions, GlobalOp
from codemill.params import ParamError, param
from codemill.parse import tree_of
from codemill.record import utf8_of
from codemill.registry import OPS

HASH = "structural_hash"


def fingerprint(rec: dict[str, Any]) -> tuple[str | None, int, str | None]:
    """(fingerprint, syntax nodes, method `ast`/`tree-sitter`) of a record; (None, 0, None) without a parser."""
    if rec.get("lang") == "python":
        try:
            h, n = python_fingerprint(rec["text"])
            return h, n, "ast"
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # Python 2, templates, pathological nesting: the tree-sitter grammar is tolerant
    tree = tree_of(rec)
    if tree is None:
        return None, 0, None
    h, n = tree_fingerprint(tree, utf8_of(rec))
    return h, n, "tree-sitter"


@OPS.register("structural_dedup")
@dataclass
class StructuralDedup(KeepPolicy, GlobalOp):
    """Drop files whose syntax tree equals another's up to identifiers and literals, one kept per group."""

    prepare_reads = ("text", "lang")
    writes = CLUSTER_FIELDS
    reject_writes = (DUPLICATE_OF,)

    min_nodes: int = param(100, "files with fewer syntax nodes are not fingerprinted (never dropped here)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_nodes < 1:
            raise ParamError("min_nodes", "must be >= 1")
        self.prepare_writes = (pa.field(HASH, pa.string()), pa.field("syntax_nodes", pa.int64()),
                               pa.field("structural_by", pa.string()), *self.policy_prepare_fields())
        self.reads = (HASH, *self.policy_reads())

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        h, nodes, method = fingerprint(rec)
        if nodes < self.min_nodes:
            h = None
        return {HASH: h, "syntax_nodes": nodes, "structural_by": method, **self.policy_prepare(rec)}

    def decide(self, table: pa.Table) -> Decisions:
        ids = table.column("id").to_pylist()
        return self.cluster_decisions(table, group_labels(table.column(HASH)), "structural duplicate",
                                      lambda i, k: f"same syntax tree as {ids[k]} up to names and literals")
