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

Everything appended is listed in `repair_removed` (`; appended '})'`). This module holds the shared
rules and Python's repair; `repair_tree.py` the tree-sitter languages'.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
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
