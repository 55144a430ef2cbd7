"""Syntax verdicts from tree-sitter trees: first error (line, column, what), error ratio.

tree-sitter recovers from errors by wrapping unparsable text in ERROR nodes and inserting
zero-width MISSING nodes; a tree is valid when its root has no error. Messages name grammar
symbols ("unexpected 'identifier' in argument_list", "missing ';'"), never source text, so the
`syntax_error` column cannot leak a secret that a later `redact` removes from `text`.
"""

from __future__ import annotations

from typing import Any

from codemill.clean.pycheck import OK, SYNTAX_ERROR, Verdict
from codemill.parse import error_nodes

MAX_ERROR_NODES = 1000


def _char_col(data: bytes, node_start: int, byte_col: int) -> int:
    """1-based column in characters of a byte offset (tree-sitter columns are bytes)."""
    return len(data[node_start - byte_col : node_start].decode("utf-8", "replace")) + 1


def _describe(node: Any) -> str:
    if node.is_missing:
        return f"missing {node.type!r}"
    leaf = node
    while leaf.child_count:
        leaf = leaf.children[0]
    what = "character" if leaf.is_error else repr(leaf.type)
    parent = node.parent
    where = f" in {parent.type}" if parent is not None and parent.parent is not None else ""
    return f"unexpected {what}{where}"


def tree_verdict(tree: Any, data: bytes) -> tuple[Verdict, float]:
    """(verdict, error_ratio): the first error and the share of bytes inside ERROR nodes.

    A MISSING node counts as one byte, so a file whose only flaw is a missing `;` still has a
    ratio above zero. Only subtrees containing errors are visited.
    """
    root = tree.root_node
    if not root.has_error:
        return OK, 0.0
    first = None
    bad = 0
    for seen, node in enumerate(error_nodes(tree)):
        if first is None:
            first = node
        bad += 1 if node.is_missing else node.end_byte - node.start_byte
        if seen >= MAX_ERROR_NODES:  # hopeless files: the ratio is a lower bound, enough to rank them
            break
    if first is None:  # has_error but no ERROR/MISSING node anywhere: a grammar quirk (seen in
        return OK, 0.0  # tree-sitter-c on `#define X 1 /* c */ ` with trailing blanks), not an error
    row, col = first.start_point
    verdict = Verdict(False, row + 1, _char_col(data, first.start_byte, col), _describe(first), SYNTAX_ERROR)
    return verdict, min(1.0, bad / max(1, len(data)))
