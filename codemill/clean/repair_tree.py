"""Repair for tree-sitter languages: the longest prefix of complete statements (or definitions),
with the brackets, `#if`s, keyword blocks and block comment it leaves open closed.

The walk (`_Spine`) enters only the broken nodes of the tree (complete ones are balanced) and
tracks what is open before every cut point; `repair.py` has the shared rules and Python's repair.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from codemill.clean.pycheck import Verdict
from codemill.clean.repair import MAX_COMPLETIONS, MAX_TRIES, Repaired, describe_cut

#: brace-delimited bodies of definitions (class, namespace, impl, module): `definition` cuts here
CONTAINER_BODIES = frozenset({
    "class_body", "declaration_list", "field_declaration_list", "interface_body", "template_body",
    "protocol_body", "enum_class_body",
})
#: keywords whose `{` opens a container of definitions (in ERROR nodes, where bodies are flattened)
CONTAINER_KEYWORDS = frozenset({
    "class", "interface", "enum", "struct", "union", "namespace", "impl", "trait", "mod", "object",
    "extension", "protocol", "record", "module", "extern",
})
#: C/C++ bodies whose `}` may need a `;` (`struct S {...};`, `int a[] = {...};`): both are tried
SEMI_BODIES = frozenset({"field_declaration_list", "enumerator_list", "initializer_list"})
SEMI_AFTER = frozenset({"class", "struct", "union", "enum"})
OPENERS = {"(": ")", "[": "]", "{": "}", "#if": "#endif", "#ifdef": "#endif", "#ifndef": "#endif"}
PREPROC_CONTAINERS = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif"})
#: statement sequences that do not start with `{` (Go, Kotlin, Swift statement lists)
SEQUENCES = frozenset({"statement_list", "statements", "block", "body_statement"}) | PREPROC_CONTAINERS
#: node types (lowercased) that are whole statements or definitions where an ERROR node flattened them
DEFINITION_SUFFIXES = (
    "declaration", "definition", "_item", "statement", "_specifier", "directive", "decl", "command")
#: languages where `/*` opens a block comment that a cut may leave open
BLOCK_COMMENTS = frozenset({
    "c", "c-header", "cpp", "cuda", "objective-c", "java", "javascript", "typescript", "tsx", "rust", "go",
    "csharp", "kotlin", "swift", "scala", "php",
})
#: blocks closed by a keyword, per language (tree-sitter-bash: `if ... fi`, `do ... done`)
KEYWORD_BLOCKS = {"shell": {"if": "fi", "do": "done", "case": "esac"}}
KEYWORD_SEQUENCES = frozenset({"do_group", "if_statement", "elif_clause", "else_clause", "case_item"})


_MISSING = re.compile(r"missing '([;,)\]}>])'")


def _bad(node: Any) -> bool:
    return node.has_error or node.is_error or node.is_missing


def _is_definition(node: Any) -> bool:
    t = node.type.lower()
    return node.is_named and (t.endswith(DEFINITION_SUFFIXES) or t.startswith("preproc_") or "comment" in t)


def _followed_by(node: Any, token: str) -> Any | None:
    nxt = node.next_sibling
    return nxt if nxt is not None and nxt.type == token and not _bad(nxt) else None


def _end(node: Any) -> int:
    """Where a cut after `node` goes: after a `;` that directly follows it (`struct S {...};`)."""
    semi = _followed_by(node, ";")
    return node.end_byte if semi is None else semi.end_byte


@dataclass(frozen=True)
class _Open:
    closer: str  # "}", ")", "]", "#endif"; "}?" where C/C++ may need "};"
    container: bool  # a class/namespace/impl body or `#if` block, not a function body or expression


class _Spine:
    """Walks the broken nodes of a tree in document order with the stack of brackets and `#if`s
    open before each point: complete nodes are balanced, so only broken ones are entered."""

    def __init__(self, root: Any, scope: str, mark: int | None = None, grammar: str = "") -> None:
        self.scope, self.mark = scope, mark
        self.openers = {**OPENERS, **KEYWORD_BLOCKS.get(grammar, {})}
        self.closers = frozenset(self.openers.values())
        self.sequences = SEQUENCES | (KEYWORD_SEQUENCES if grammar in KEYWORD_BLOCKS else frozenset())
        self.cuts: deque[tuple[Any, tuple[_Open, ...]]] = deque(maxlen=MAX_TRIES)  # (node, open before it)
        self.at_mark: tuple[_Open, ...] | None = None  # brackets open at byte `mark`
        self.stack: list[_Open] = []
        self.keyword = ""  # last container keyword seen in an ERROR node (decides what `{` opens)
        self._walk(root)

    def _walk(self, root: Any) -> None:
        work: list[tuple[Any, Iterator[Any]]] = [(root, iter(root.children))]
        while work:
            parent, children = work[-1]
            c = next(children, None)
            if c is None:
                work.pop()
                continue
            if self.mark is not None and self.at_mark is None and c.start_byte >= self.mark:
                self.at_mark = tuple(self.stack)
            if c.is_missing:
                continue
            t = c.type
            if not c.is_named and t in self.openers:
                self.stack.append(self._opened(t, parent))
            elif not c.is_named and t in self.closers:
                self._close(t)
            elif not c.is_named and (t in CONTAINER_KEYWORDS or t == ";"):
                self.keyword = t if t != ";" else ""
            elif _bad(c):
                if c.child_count:
                    work.append((c, iter(c.children)))
            elif c.is_named and self._is_cut(c, parent, len(work) == 1 and parent.type != "ERROR"):
                self.cuts.append((c, tuple(self.stack)))

    def _opened(self, t: str, parent: Any) -> _Open:
        if t != "{":
            return _Open(self.openers[t], t.startswith("#"))
        p, kw = parent.type, self.keyword
        self.keyword = ""
        semi = p in SEMI_BODIES or (p == "ERROR" and kw in SEMI_AFTER)
        return _Open("}?" if semi else "}", p in CONTAINER_BODIES or (p == "ERROR" and bool(kw)))

    def _close(self, t: str) -> None:
        self.keyword = ""
        for i in range(len(self.stack) - 1, -1, -1):  # `#endif` may close an `#if` around an open `{`
            if self.stack[i].closer.rstrip("?") == t:
                del self.stack[i]
                return

    def _is_cut(self, node: Any, parent: Any, top: bool) -> bool:
        if top:
            return True
        if self.scope == "definition":
            return all(o.container for o in self.stack) and _is_definition(node)
        if parent.type == "ERROR":  # flattened: statements, declarators, elements of an open literal
            if _is_definition(node) or node.type.endswith("declarator"):
                return True
            return bool(self.stack) and self.stack[-1].closer[0] in "}]" and _followed_by(node, ",")
        return parent.type in self.sequences or parent.child(0).type in ("{", "[")


def _closer(stack: tuple[_Open, ...]) -> str:
    """Text that closes what `stack` left open: brackets on one line (Go inserts `;` at a newline
    after `}`), `#endif` and keywords (`fi`, `done`) on their own lines."""
    out = "\n"
    for o in reversed(stack):
        if o.closer[0] == "#" or o.closer[0].isalpha():
            out += ("" if out.endswith("\n") else "\n") + o.closer + "\n"
        else:
            out += o.closer
    return out if out.endswith("\n") else out + "\n"


def _open_comment(data: bytes, root: Any) -> int | None:
    """Offset of a `/*` comment that runs to the end of the text (a cut inside a license header or
    doc comment), when it is not inside a complete string or comment node."""
    p = data.rfind(b"/*")
    if p < 0 or b"*/" in data[p + 2:]:
        return None
    node = root.descendant_for_byte_range(p, p + 2)
    while node is not None:
        if ("string" in node.type or "comment" in node.type) and not _bad(node):
            return None
        node = node.parent
    return p


def _tree_candidates(data: bytes, root: Any, scope: str, grammar: str) -> list[tuple[int, str, str]]:
    """(cut byte, inserted text, closer) triples, longest first."""
    comment = _open_comment(data, root) if scope == "statement" and grammar in BLOCK_COMMENTS else None
    spine = _Spine(root, scope, comment, grammar)
    out = []
    if comment is not None:
        last = data.rfind(b"\n") + 1
        if last >= data.find(b"\n", comment) + 1 > 0:  # the comment has a complete line
            out.append((last, "*/", _closer(spine.at_mark or ())))
    cuts = ((_end(node), stack) for node, stack in reversed(spine.cuts))
    out += [(cut, "", _closer(stack)) for cut, stack in cuts if comment is None or cut <= comment]
    return out[:MAX_TRIES]


def _missing_token(kept: bytes, cut: int, verdict: Verdict) -> tuple[int, bytes] | None:
    """(offset, token) when the check's first error is a MISSING punctuation token inside the
    appended closers (Zig's `return struct {...` closed by `}` needs `};`); None otherwise."""
    m = _MISSING.fullmatch(verdict.message)
    first = kept.count(b"\n", 0, cut) + 2  # the closers start on the line after the cut
    if m is None or not verdict.line or not verdict.col or verdict.line < first:
        return None
    pos = cut
    for _ in range(verdict.line - first + 1):
        pos = kept.find(b"\n", pos) + 1
    at = pos + verdict.col - 1
    return (at, m.group(1).encode()) if 0 < pos <= at <= len(kept) else None


def repair_tree(text: str, data: bytes, tree: Any, check: Callable[[bytes], tuple[Verdict, Any]],
                scope: str = "statement", grammar: str = "") -> Repaired | None:
    """The longest prefix of complete statements (or definitions) that checks, with its closers;
    a token the parser reports missing inside the closers is added and the check run again."""
    tries = 0
    for cut, insert, closer in _tree_candidates(data, tree.root_node, scope, grammar):
        for close in dict.fromkeys((insert + closer.replace("?", ""), insert + closer.replace("?", ";"))):
            kept = data[:cut] + close.encode()
            if not kept.strip():
                return None
            for _ in range(MAX_COMPLETIONS + 1):
                verdict, new_tree = check(kept)
                tries += 1
                if verdict.ok:
                    kept_text = kept.decode("utf-8", "surrogatepass")
                    return Repaired(kept_text, describe_cut(text, kept_text, kept[cut:].decode()), new_tree)
                missing = _missing_token(kept, cut, verdict)
                if missing is None or tries >= MAX_TRIES:
                    break
                kept = kept[: missing[0]] + missing[1] + kept[missing[0]:]
            if tries >= MAX_TRIES:
                return None
    return None
