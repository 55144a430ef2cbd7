"""The tree walk behind `complexity`: which nodes play which role (`cxspec.Roles`), and the depth.

One cursor walk reads a node's kind only on its way back up from the node's children (the 70%
of nodes that are leaves cost two cursor moves each); the leaves that play a role are found
apart: operator tokens from their parents' children, leaf comments at the offsets where the
grammar's comment markers occur.
"""

from __future__ import annotations

from typing import Any

from codemill.annotate import cxspec


def walk(tree: Any, roles: cxspec.Roles) -> tuple[dict[str, list[Any]], int]:
    """One cursor walk: the inner nodes playing each role (in post-order) and the tree's levels (root = 1).

    A node's kind is read only on the way back up from its children, so the 70% of nodes that
    are leaves cost two cursor moves each; the leaves that play roles are added by `_tokens`
    (operators, from their parent) and `leaf_comments`. Most kinds play their roles
    unconditionally (one dict lookup by kind id); the few conditional ones (`else` of a loop, a
    `case` with a value) look at their parent or children.
    """
    found: dict[str, list[Any]] = {r: [] for r in cxspec.ROLES}
    table = roles.table
    c = tree.walk()
    first, nxt, up = c.goto_first_child, c.goto_next_sibling, c.goto_parent  # bound once: much faster
    depth = best = 0
    while True:
        if first():
            depth += 1
            if depth > best:
                best = depth
            continue
        while not nxt():
            if not up():
                return found, best + 1
            depth -= 1
            node = c.node  # an inner node, all of its children done
            entry = table.get(node.kind_id)
            if entry is not None:
                for role in entry[0]:
                    found[role].append(node)
                if entry[1] is not None:
                    _apply(node, entry[1], found)
                if entry[2] is not None:
                    _tokens(node, entry[2], found)


def _apply(node: Any, rules: tuple[cxspec.Rule, ...], found: dict[str, list[Any]]) -> None:
    parent_kind = None
    for rule in rules:
        if rule.parents is not None:
            if parent_kind is None:
                parent = node.parent
                parent_kind = parent.kind_id if parent is not None else -1
            if parent_kind not in rule.parents:
                continue
        if rule.check is not None and not rule.check(node):
            continue
        for role in rule.roles:
            found[role].append(node)


def _tokens(node: Any, tokens: dict[int, tuple[str, ...]], found: dict[str, list[Any]]) -> None:
    for child in node.children:
        for role in tokens.get(child.kind_id, ()):
            found[role].append(child)


def leaf_comments(root: Any, raw: bytes, roles: cxspec.Roles) -> list[Any]:
    """Comments without children: at each offset where a comment marker occurs (most are real
    comments; the rest, in strings or inside another comment, are looked up and dropped), the
    leaf there. A marker anywhere in a comment finds it (zig lets a comment start with a blank)."""
    if not raw or not roles.comment_kinds:
        return []
    hits: set[int] = set()
    for marker in roles.comment_starts:
        pos = raw.find(marker)
        while pos >= 0:
            hits.add(pos)
            pos = raw.find(marker, pos + 1)
    out: list[Any] = []
    kinds, end = roles.comment_kinds, -1
    at = root.descendant_for_byte_range
    for p in sorted(hits):
        if p < end:  # inside the comment just found
            continue
        node = at(p, p + 1)
        if node is not None and node.kind_id in kinds and not node.child_count:
            out.append(node)
            end = node.end_byte
    return out
