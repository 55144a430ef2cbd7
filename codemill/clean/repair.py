"""Repair of truncated or partly broken files: keep the longest prefix of complete definitions.

A crawled file cut mid-definition still holds many complete, useful definitions before the cut.
The repaired text is always a prefix of the original made of complete statements and
definitions, accepted by the same check that rejected the original (compile() for Python,
tree-sitter otherwise); nothing is ever rewritten inside it.

* Python: cut points are the starts of logical lines at module level or directly in a class body
  (found with `tokenize`, which stops cleanly at the error), so a class cut in its fifth method
  keeps its first four; a partial function body is never kept.
* tree-sitter languages: the top-level nodes before the first error; where the broken node is a
  class, namespace, impl or module body, its complete members are kept too and the body is closed
  with the `}` the cut removed (recorded in `repair_removed`).
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codemill.clean.pycheck import Verdict

#: brace-delimited bodies whose complete members are worth keeping (class, namespace, impl, module)
CONTAINER_BODIES = frozenset({
    "class_body", "declaration_list", "field_declaration_list", "interface_body", "template_body",
    "protocol_body", "enum_class_body",
})
#: keywords whose `{` opens a container of definitions (not a function body)
CONTAINER_KEYWORDS = frozenset({
    "class", "interface", "enum", "struct", "union", "namespace", "impl", "trait", "mod", "object",
    "extension", "protocol", "record", "module", "extern",
})
PREPROC_CONTAINERS = frozenset({"preproc_if", "preproc_ifdef"})  # C/C++ include guards, #if blocks
PREPROC_OPENERS = frozenset({"#if", "#ifdef", "#ifndef"})
SEMI_AFTER = frozenset({"class", "struct", "union", "enum"})  # C/C++: `struct S {...};`
DEFINITION_SUFFIXES = ("declaration", "definition", "_item", "statement", "_specifier", "directive")
FUNCTION_OPENERS = frozenset({"def", "async"})  # blocks whose statements are never cut apart
MAX_TRIES = 64  # candidate prefixes checked per file: bounds the cost of a pathological file
MAX_TOKENIZE_CHARS = 4 << 20  # above this, Python cut points come from module-level lines only


@dataclass(frozen=True)
class Repaired:
    text: str
    removed: str  # what was dropped, e.g. "lines 120-134 (15 lines, 412 bytes)"
    tree: Any = None  # tree-sitter tree of `text` when the check produced one


def describe_cut(original: str, kept: str, closer: str = "") -> str:
    body = kept[: len(kept) - len(closer)] if closer else kept
    first = body.count("\n") + (0 if body.endswith("\n") or not body else 1) + 1
    last = original.count("\n") + (0 if original.endswith("\n") else 1)
    nbytes = len(original.encode("utf-8", "surrogatepass")) - len(body.encode("utf-8", "surrogatepass"))
    out = f"lines {first}-{last} ({last - first + 1} lines, {nbytes} bytes)"
    if closer:
        out += f"; appended {closer.strip()!r}"
    return out


# --- Python ------------------------------------------------------------------------------------


def _line_starts(text: str, upto: int) -> list[int]:
    """Char offsets of the starts of lines 1..upto (index 0 unused)."""
    starts = [0, 0]
    pos = 0
    while len(starts) <= upto:
        pos = text.find("\n", pos) + 1
        if pos == 0:
            break
        starts.append(pos)
    return starts


def python_cut_points(text: str, max_line: int) -> list[int]:
    """Offsets of line starts where a module-level or class-level statement begins, up to `max_line`.

    Never right after a decorator (a decorator without its definition is an error) and never
    inside a function body. Tokenizing stops at the first tokenizer error; points before it stand.
    """
    if len(text) > MAX_TOKENIZE_CHARS:
        return _toplevel_lines(text, max_line)
    starts = _line_starts(text, max_line)
    points: list[int] = []
    in_class: list[bool] = []  # per open block: is it a class body?
    opener = None  # first token of the last logical line (decides the kind of the next block)
    line_start, after_decorator = True, False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tok.type
            if kind == tokenize.INDENT:
                in_class.append(opener not in FUNCTION_OPENERS)
            elif kind == tokenize.DEDENT:
                if in_class:
                    in_class.pop()
            elif kind == tokenize.NEWLINE:
                line_start = True
            elif kind in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
                continue
            elif kind == tokenize.ENDMARKER:
                break
            elif line_start:
                row = tok.start[0]
                if row > max_line or row >= len(starts):
                    break
                if all(in_class) and not after_decorator:
                    points.append(starts[row])
                opener, after_decorator, line_start = tok.string, tok.string == "@", False
    except (tokenize.TokenError, SyntaxError):
        pass
    return points


def _toplevel_lines(text: str, max_line: int) -> list[int]:
    """Cheap cut points for huge texts: lines that start with a keyword or name in column 0."""
    points, pos, row = [], 0, 1
    while row <= max_line and pos < len(text):
        c = text[pos]
        if (c.isalpha() or c in "_@") and not text.startswith(("else", "elif", "except", "finally"), pos):
            points.append(pos)
        nxt = text.find("\n", pos)
        if nxt < 0:
            break
        pos, row = nxt + 1, row + 1
    return points


def repair_python(text: str, verdict: Verdict, check: Callable[[str], Verdict]) -> Repaired | None:
    """The longest checked prefix ending at a module/class-level statement boundary before the error."""
    max_line = verdict.line if verdict.line else text.count("\n") + 1
    tries = 0
    for cut in reversed(python_cut_points(text, max_line)):
        kept = text[:cut]
        if not kept.strip() or tries >= MAX_TRIES:
            break
        tries += 1
        if check(kept).ok:
            return Repaired(kept, describe_cut(text, kept))
    return None


# --- tree-sitter -------------------------------------------------------------------------------


def _bad(node: Any) -> bool:
    return node.has_error or node.is_error or node.is_missing


def _good_prefix(nodes: list[Any]) -> list[Any]:
    for i, n in enumerate(nodes):
        if _bad(n):
            return nodes[:i]
    return nodes


def _is_definition(node: Any) -> bool:
    return node.is_named and not _bad(node) and node.type.endswith(DEFINITION_SUFFIXES)


def _end(node: Any) -> int:
    """Where a cut after `node` goes: after a `;` that directly follows it (`struct S {...};`)."""
    nxt = node.next_sibling
    return nxt.end_byte if nxt is not None and nxt.type == ";" and not _bad(nxt) else node.end_byte


def _close(opener: str) -> str:
    """Text that closes a container; `?` marks where C/C++ may need `};` (both are tried)."""
    if opener.startswith("#"):
        return "\n#endif"
    return "\n}?" if opener in SEMI_AFTER else "\n}"


def _broken_container(node: Any) -> tuple[list[Any], str] | None:
    """(member nodes, closer) of the container (class/namespace/impl body, #if block) holding the
    error inside `node`, looking a few levels down; None when the error sits in a function."""
    for _ in range(4):
        if node.type in PREPROC_CONTAINERS:
            return node.children[2:], "\n#endif"
        inner = next((c for c in node.children if _bad(c)), None)
        if inner is None or inner.is_error:
            return None
        if inner.type in CONTAINER_BODIES and inner.child_count and inner.children[0].type == "{":
            return inner.children[1:], "\n}?" if inner.type == "field_declaration_list" else "\n}"
        node = inner
    return None


def _in_error(err: Any, closer: str) -> list[tuple[int, str]]:
    """Cut points inside an ERROR node, longest first.

    tree-sitter flattens a container it could not close into the ERROR node's children
    (`class`, `A`, `{`, complete member nodes, fragments of the broken member); a complete member
    is a cut point when every `{` or `#if` still open before it belongs to a container, never to a
    function body.
    """
    out: list[tuple[int, str]] = []
    opened: list[str] = []  # per open `{`/`#if`: the keyword that opened it ("" for a function body)
    keyword = ""
    for c in err.children:
        t = c.type
        if t in CONTAINER_KEYWORDS:
            keyword = t
        elif t == "{":
            opened.append(keyword)
            keyword = ""
        elif t in PREPROC_OPENERS:
            opened.append(t)
        elif t in ("}", "#endif"):
            if opened:
                opened.pop()
        elif t == ";":
            keyword = ""
        elif all(opened) and _is_definition(c):
            out.append((_end(c), "".join(_close(k) for k in reversed(opened)) + closer))
    return out[::-1]


def _inside(node: Any, closer: str, depth: int = 0) -> list[tuple[int, str]]:
    """Cut points inside a broken top-level node, longest first, each with the closing text it needs."""
    if depth > 3:
        return []
    if node.is_error:
        return _in_error(node, closer)
    found = _broken_container(node)
    if found is None:
        return []
    children, level = found
    closer = level + closer
    members = _good_prefix(children)
    rest = children[len(members):]
    out = _inside(rest[0], closer, depth + 1) if rest else []
    out.extend((_end(m), closer) for m in reversed(members) if _is_definition(m))
    return out


def _candidates(root: Any) -> list[tuple[int, str]]:
    """(cut byte, closer) pairs, best first: complete members of a broken container, then shorter
    and shorter prefixes of error-free top-level nodes."""
    top = _good_prefix(root.children)
    out = _inside(root.children[len(top)], "") if len(top) < root.child_count else []
    out.extend((_end(top[k - 1]), "") for k in range(len(top), 0, -1))
    return out[:MAX_TRIES]


def repair_tree(text: str, data: bytes, tree: Any, check: Callable[[bytes], tuple[Verdict, Any]]) -> Repaired | None:
    """The longest prefix of error-free top-level nodes (and complete container members) that checks."""
    for cut, closer in _candidates(tree.root_node):
        for close in dict.fromkeys((closer.replace("?", ""), closer.replace("?", ";"))):
            kept = data[:cut] + close.encode() + b"\n"
            if not kept.strip():
                return None
            verdict, new_tree = check(kept)
            if verdict.ok:
                kept_text = kept.decode("utf-8", "surrogatepass")
                return Repaired(kept_text, describe_cut(text, kept_text, close + "\n" if close else "\n"), new_tree)
    return None
