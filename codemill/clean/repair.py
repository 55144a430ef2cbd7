"""Repair of truncated or partly broken files: keep the longest prefix of complete statements.

A crawled file cut mid-function still holds many complete, useful statements before the cut.
The repaired text is always a prefix of the original plus recorded closers, accepted by the same
check that rejected the original (compile() for Python, tree-sitter otherwise); nothing inside
the kept prefix is ever rewritten. Two scopes (the `repair_scope` parameter of `syntax`):

* `statement` (default): cut after the last complete statement at any depth, so a function cut
  in its tenth line keeps its first nine; blocks left open are closed (`}`, `)`, `#endif`), and a
  docstring or block comment cut mid-way is closed after its last complete line (`\"\"\"`, `*/`).
  A Python block the cut would leave empty gets a `pass`; a `try` body is never cut (its
  handlers would be lost).
* `definition`: complete definitions only (module level, class members, namespace/impl/`#if`
  members); a function body is never cut and nothing but container closers is appended.

Everything appended is listed in `repair_removed` (`; appended '})'`).
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from codemill.clean.pycheck import Verdict

MAX_TRIES = 64  # candidate prefixes checked per file: bounds the cost of a pathological file
MAX_COMPLETIONS = 3  # tokens the parser reports missing that are added to one candidate's closers
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
    if closer.strip():
        out += f"; appended {closer.strip()!r}"
    return out


# --- Python ------------------------------------------------------------------------------------

FUNCTION_OPENERS = frozenset({"def", "async"})  # blocks the `definition` scope never cuts into
HANDLERS = frozenset({"except", "finally"})  # clauses that cannot follow a bare `try` body
PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSING = frozenset(PAIRS.values())
_LAYOUT = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT,
                     tokenize.ENCODING, tokenize.ENDMARKER})
MAX_TAIL = 4  # cuts tried inside the unfinished last statement (open brackets, open string)
_TRIPLE = re.compile(r"[rRbBuU]{0,2}('''|\"\"\")")  # an f-string's braces could be open: not closed


@dataclass
class _Block:
    opener: str  # first token of the header line: "def", "class", "try", "if", "else", ...
    statements: int = 0  # statements begun directly in this block so far
    bare_try: bool = False  # the last statement here is a `try` with no handler yet


@dataclass
class _Scan:
    points: list[tuple[int, str]]  # (statement start where a prefix may end, closer: "" or "    pass")
    tail: list[tuple[int, str]]  # (offset, closer) inside the unfinished last statement, longest first


def _cut_allowed(blocks: list[_Block], word: str, scope: str) -> bool | None:
    """May the prefix end right before a statement starting with `word` in the innermost block?
    None: only with a `pass` for that block, which would be empty (`statement` scope)."""
    inner = blocks[-1]
    if word in HANDLERS and inner.bare_try:
        return False  # `try:` without a handler
    if any(b.opener == "try" for b in blocks[1:]):
        return False  # inside a `try` body: the handlers would be cut off
    if scope == "definition" and any(b.opener in FUNCTION_OPENERS for b in blocks[1:]):
        return False
    if len(blocks) > 1 and inner.statements == 0:
        return None if scope == "statement" else False  # the block's header would have an empty body
    return True


def _point(text: str, start: int, col: int, allowed: bool | None) -> tuple[int, str]:
    return (start, "") if allowed else (start, text[start:start + col] + "pass")


def _scan_python(text: str, max_line: int, scope: str) -> _Scan:
    """Where a prefix of `text` may end.

    Statement starts up to `max_line`, never right after a decorator (a decorator without its
    definition is an error). With the `statement` scope also, in the unfinished last statement,
    line ends after a `,` inside tuple/list/dict/set displays (a data table cut mid-way: its
    brackets get closed; a call is never shortened), and a triple-quoted string that begins the
    statement or sits in such a display and runs to the end (closed after its last complete
    line). Tokenizing stops at the first error; points before it stand.
    """
    starts = [0, 0] + [m.end() for m in re.finditer("\n", text)]
    scan = _Scan([], [])
    blocks = [_Block("")]
    brackets: list[tuple[str, bool]] = []  # (closer, is a display) per bracket open in this logical line
    opener = last = ""  # first and last significant token of the current logical line
    last_kind = tokenize.OP
    line_start, after_decorator, completable = True, False, False
    try:
        for kind, string, (row, col), _, _ in tokenize.generate_tokens(io.StringIO(text).readline):
            if kind in _LAYOUT:
                if kind == tokenize.NL:
                    if brackets and completable and last == "," and row + 1 < len(starts) \
                            and all(d for _, d in brackets):
                        scan.tail.append((starts[row + 1], "".join(c for c, _ in reversed(brackets))))
                elif kind == tokenize.NEWLINE:
                    line_start, brackets, scan.tail = True, [], []
                elif kind == tokenize.INDENT:
                    blocks.append(_Block(opener))
                elif kind == tokenize.DEDENT:
                    if len(blocks) > 1:
                        blocks.pop()
                elif kind == tokenize.ENDMARKER:
                    break
                continue
            if line_start:
                allowed = _cut_allowed(blocks, string, scope) if row <= max_line and not after_decorator else False
                if allowed is not False:
                    scan.points.append(_point(text, starts[row], col, allowed))
                inner = blocks[-1]
                completable = scope == "statement" and not after_decorator and (
                    len(blocks) == 1 or not any(b.opener == "try" for b in blocks[1:]))
                inner.statements += 1
                inner.bare_try = string == "try"
                opener, after_decorator, line_start = string, string == "@", False
            if kind == tokenize.OP:
                if string in PAIRS:
                    brackets.append((PAIRS[string], _display(last, last_kind)))
                elif string in _CLOSING and brackets:
                    brackets.pop()
            last, last_kind = string, kind
    except (tokenize.TokenError, SyntaxError) as e:
        if e.args and e.args[0] == "EOF in multi-line string":
            row, col = e.args[1]
            allowed = _cut_allowed(blocks, "", scope) if line_start and row <= max_line and not after_decorator \
                else False
            if allowed is not False:  # the statement the open string begins
                scan.points.append(_point(text, starts[row], col, allowed))
            if scope == "statement" and (line_start or completable) and all(d for _, d in brackets):
                closed = _close_string(text, starts[row] + col, "".join(c for c, _ in reversed(brackets)))
                if closed is not None:
                    scan.tail.append(closed)
        return scan
    scan.tail = []  # the text tokenized to its end: the error is not an unfinished last statement
    return scan


def _display(last: str, last_kind: int) -> bool:
    """Does a bracket after token `last` open a tuple/list/dict/set display (not a call, subscript or
    parameter list)? Only a display's complete elements are kept with the bracket closed."""
    if last in (")", "]", "}") or last_kind == tokenize.STRING:
        return False
    return last_kind != tokenize.NAME or keyword.iskeyword(last)


def _close_string(text: str, start: int, brackets: str) -> tuple[int, str] | None:
    """(cut, closer) for a triple-quoted string that runs to the end of the text: closed after its
    last complete line, then its brackets; None when it has no complete line."""
    m = _TRIPLE.match(text, start)
    last = text.rfind("\n") + 1
    return (last, m.group(1) + brackets) if m is not None and last > m.end() else None


def python_cut_points(text: str, max_line: int, scope: str = "statement") -> list[int]:
    """Offsets of line starts where a statement begins at which a prefix may end, up to `max_line`."""
    if len(text) > MAX_TOKENIZE_CHARS:
        return _toplevel_lines(text, max_line)
    return [p for p, _ in _scan_python(text, max_line, scope).points]


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


def _python_candidates(text: str, max_line: int, scope: str) -> Iterator[tuple[str, str]]:
    """(kept text, appended closer), longest first."""
    if len(text) > MAX_TOKENIZE_CHARS:
        scan = _Scan([(p, "") for p in _toplevel_lines(text, max_line)], [])
    else:
        scan = _scan_python(text, max_line, scope)
    tail = sorted(scan.tail, reverse=True)[:MAX_TAIL]
    for cut, closer in tail:
        yield text[:cut] + closer + "\n", closer + "\n"
    for cut, closer in reversed(scan.points):
        yield (text[:cut] + closer + "\n", closer + "\n") if closer else (text[:cut], "")


def repair_python(text: str, verdict: Verdict, check: Callable[[str], Verdict],
                  scope: str = "statement") -> Repaired | None:
    """The longest checked prefix ending at a statement boundary before the error."""
    max_line = verdict.line if verdict.line else text.count("\n") + 1
    for tries, (kept, closer) in enumerate(_python_candidates(text, max_line, scope)):
        if not kept.strip() or tries >= MAX_TRIES:
            break
        if check(kept).ok:
            return Repaired(kept, describe_cut(text, kept, closer))
    return None


# --- tree-sitter -------------------------------------------------------------------------------

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
