"""Blank what the C preprocessor would drop for certain, before tree-sitter judges C/C++ syntax.

tree-sitter parses C and C++ without preprocessing, so `#if 0` blocks and the C++ half of
`#ifdef __cplusplus` (`extern "C" {` opened in one conditional and closed in another) look like
syntax errors to it although no compiler ever sees them. Only conditions whose value is known
for the language are resolved (`0`/`1`, `__cplusplus` defined or not); anything else is left
as it is. Inactive lines become spaces, byte for byte, so error lines and columns stay true.

Shared with `cconfig` (which knows more conditions): the walk over `#if` chains
(`conditional_regions`), the blanking (`blank_regions`) and the test for a `#` inside a comment
(`comment_test`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from typing import Any

from codemill.clean import ppexpr

_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b((?:\\\r?\n|[^\n])*)", re.M)
_QUICK = (b"__cplusplus", b"if 0", b"if 1")
#: every byte but a newline to a space (`bytes.translate`: blanking keeps offsets and lines)
_BLANKING = bytes(10 if i == 10 else 32 for i in range(256))
_COMMENT = re.compile(rb"/\*.*?\*/|//.*", re.S)
_COMMENT_START = re.compile(rb"/[*/]")


_COND_TOKEN = re.compile(rb"\s*(defined\b|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|&&|\|\||[=!<>]=|<<|>>|[()!]|\S)")


def _condition(cond: bytes, cplusplus: bool) -> bool | None:
    """Three-valued `#if` condition: True/False when `!`, `&&`, `||`, parentheses, integer literals and
    `defined(__cplusplus)` decide it whatever the other macros are, None when it depends on them."""
    toks = _COND_TOKEN.findall(_COMMENT.sub(b" ", cond))
    pos = 0

    def peek() -> bytes:
        return toks[pos] if pos < len(toks) else b""

    def primary() -> bool | None:
        nonlocal pos
        tok = peek()
        pos += 1
        if tok == b"!":
            v = primary()
            return None if v is None else not v
        if tok == b"(":
            v = disjunction()
            if peek() != b")":
                raise ValueError
            pos += 1
            return v
        if tok == b"defined":
            paren = peek() == b"("
            pos += paren
            name = peek()
            pos += 1
            if paren:
                if peek() != b")":
                    raise ValueError
                pos += 1
            return cplusplus if name == b"__cplusplus" else None
        if tok[:1].isdigit():
            return int(tok.rstrip(b"uUlL"), 0) != 0 if tok.rstrip(b"uUlL").isdigit() or tok[:2] in (b"0x", b"0X") \
                else None
        if tok == b"__cplusplus":
            return cplusplus
        if tok[:1].isalpha() or tok[:1] == b"_":
            if peek() == b"(":  # a function-like macro: skip its arguments
                depth = 0
                while pos < len(toks):
                    depth += (toks[pos] == b"(") - (toks[pos] == b")")
                    pos += 1
                    if depth == 0:
                        break
            return None
        raise ValueError

    def operand() -> bool | None:  # a primary, or a comparison/arithmetic over primaries: unknown
        nonlocal pos
        v = primary()
        while peek() not in (b"", b")", b"&&", b"||"):
            pos += 1  # the operator
            primary()
            v = None
        return v

    def chain(op: bytes, operand: Callable[[], bool | None], absorbing: bool) -> bool | None:
        """`operand (op operand)*` in three-valued logic: `absorbing` (False for &&, True for ||)
        decides alone, else unknown if any operand is, else the other value."""
        nonlocal pos
        v = operand()
        while peek() == op:
            pos += 1
            w = operand()
            v = absorbing if absorbing in (v, w) else (None if None in (v, w) else not absorbing)
        return v

    def conjunction() -> bool | None:
        return chain(b"&&", operand, False)

    def disjunction() -> bool | None:
        return chain(b"||", conjunction, True)

    try:
        value = disjunction()
    except (ValueError, IndexError):
        return None
    return value if pos == len(toks) else None


def _known(kind: bytes, cond: bytes, cplusplus: bool) -> bool | None:
    """True/False when the first branch is certainly active/inactive, None when unknown."""
    if kind in (b"ifdef", b"ifndef"):
        if _COMMENT.sub(b"", cond).strip() != b"__cplusplus":
            return None
        return cplusplus if kind == b"ifdef" else not cplusplus
    if b"__cplusplus" not in cond and b"0" not in cond and b"1" not in cond:
        return None  # nothing this evaluator can know: skip the tokenizer
    return _condition(cond, cplusplus)


def blank_inactive(data: bytes, cplusplus: bool) -> bytes:
    """`data` with certainly-inactive conditional lines blanked; `data` itself when there are none."""
    if not any(q in data for q in _QUICK):
        return data

    def state(kind: bytes, cond: bytes, live: bool) -> bool | None:
        return None if kind == b"elif" else _known(kind, cond, cplusplus)  # `#elif COND`: never known here

    regions = conditional_regions(_DIRECTIVE.finditer(data), state)
    return blank_regions(data, regions) if regions else data


def conditional_regions(directives: Iterable[re.Match], state: Callable[[bytes, bytes, bool], bool | None]
                        ) -> list[tuple[int, int]]:
    """The dead stretches of `#if` / `#elif` / `#else` / `#endif` chains: byte ranges from the end of a
    directive line to the start of the next directive of its conditional, sorted and disjoint.

    `directives` are matches with the directive name in group 1 and the rest of its line in group 2.
    `state(kind, rest, live)` says whether a branch is active (True), dead (False) or unknown (None);
    it is asked for an `#if`/`#ifdef`/`#ifndef` outside dead code and for an `#elif` all of whose
    earlier branches are dead, and told of any other directive (`live`: outside dead code), its
    answer ignored. An `#else` after dead branches is active, every branch after an active one is
    dead, and everything after an unknown one is unknown. Unbalanced directives are left to the parser.
    """
    regions: list[tuple[int, int]] = []
    # per open conditional: [state, dead_since, taken (an earlier branch was active), enclosing code dead]
    stack: list[list] = []
    for m in directives:
        kind, rest = m.group(1), m.group(2)
        dead = bool(stack) and (stack[-1][3] or stack[-1][0] is False)
        if kind in (b"if", b"ifdef", b"ifndef"):
            st = None if dead else state(kind, rest, True)
            stack.append([st, m.end() if st is False else None, st is True, dead])
            continue
        if kind not in (b"elif", b"else", b"endif"):
            state(kind, rest, not dead)
            continue
        if not stack:
            continue
        frame = stack[-1]
        if frame[1] is not None:  # close the dead stretch of this frame
            regions.append((frame[1], m.start()))
            frame[1] = None
        if kind == b"endif":
            stack.pop()
            continue
        if frame[2]:
            frame[0] = False
        elif frame[0] is None:
            pass
        elif kind == b"else":
            frame[0] = True
        else:
            frame[0] = state(kind, rest, True)
        if frame[0] is True:
            frame[2] = True
        elif frame[0] is False:
            frame[1] = m.end()
    return regions


def blank_regions(data: bytes, regions: list[tuple[int, int]]) -> bytes:
    """`data` with `regions` turned into spaces, newlines kept (offsets and lines stay true)."""
    out = bytearray(data)
    for a, b in regions:
        blank_span(out, data, a, b)
    return bytes(out)


def blank_span(out: bytearray, data: bytes, a: int, b: int) -> None:
    """`out[a:b]` (a copy of `data`) turned into spaces, newlines kept."""
    out[a:b] = data[a:b].translate(_BLANKING)


def plain_conditionals(data: bytes, in_comment: Callable[[int], bool]) -> list[tuple[int, int, list[tuple[int, int, int]]]]:
    """Complete `#if`/`#ifdef`/`#ifndef` ... `#endif` groups with no `#elif` or `#else`, innermost
    first: (first row, last row, the (row, start, end) of every line of their two directives).

    Blanking those two lines leaves the file as the preprocessor sees it when the condition holds,
    every line of code kept, so it cannot hide a syntax error in the code; it helps where the
    grammar accepts a directive only around whole constructs (an `#endif` after the last
    enumerator of an enum, a nested `#ifdef` between enumerators). `in_comment(offset)` tells a
    `#` line inside a block comment. A file whose groups do not balance gets none."""
    groups: list[tuple[int, int, list[tuple[int, int, int]]]] = []
    stack: list[tuple[list[tuple[int, int, int]], bool]] = []  # open `#if`: its lines, a branch seen
    row, pos = 0, 0
    for m in _DIRECTIVE.finditer(data):
        if in_comment(m.start()):
            continue
        row += data.count(b"\n", pos, m.start())
        pos = m.start()
        kind = m.group(1)
        if kind in (b"if", b"ifdef", b"ifndef"):
            stack.append((_line_spans(data, m, row), False))
        elif not stack:
            return []
        elif kind == b"endif":
            lines, branched = stack.pop()
            if not branched:
                lines = lines + _line_spans(data, m, row)
                groups.append((lines[0][0], lines[-1][0], lines))
        else:
            stack[-1] = (stack[-1][0], True)
    return groups if not stack else []


def _line_spans(data: bytes, m: re.Match, row: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of each line a directive match covers (its `\\` continuations), each up to
    a comment on it (`#endif /* X */`: the comment stays, and with it a file cut inside one)."""
    out, a = [], data.rfind(b"\n", 0, m.start()) + 1
    while True:
        b = data.find(b"\n", a, m.end())
        end = m.end() if b < 0 else b
        comment = _COMMENT_START.search(data, a, end)
        out.append((row, a, end if comment is None else comment.start()))
        if b < 0 or comment is not None:
            return out
        row, a = row + 1, b + 1


_IF_CONDITION = re.compile(rb"^([ \t]*#[ \t]*(?:el)?if\b)((?:\\\r?\n|[^\n])*)", re.M)


def neutral_conditions(data: bytes) -> bytes:
    """`#if`/`#elif` conditions replaced by `1` and blanks: tree-sitter parses both branches anyway,
    and it misreads conditions such as `BOOST_WORKAROUND(BOOST_MSVC, < 1300)`. A condition continued
    over several lines (`\\` at the end) is blanked on all of them."""
    if b"#" not in data:
        return data

    def one(m: re.Match) -> bytes:
        cond = m.group(2)
        return m.group(1) + b" 1" + cond[2:].translate(_BLANKING) if len(cond) >= 2 else m.group(0)

    return _IF_CONDITION.sub(one, data)


_ANY_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*([A-Za-z_]\w*)((?:\\\r?\n|[^\n])*)", re.M)
DIRECTIVES = frozenset(
    b"include define undef if ifdef ifndef elif elifdef elifndef else endif line error warning pragma "
    b"ident sccs assert unassert include_next import".split())
_NEEDS_NAME = frozenset(b"define undef ifdef ifndef elifdef elifndef".split())
_OPENS, _BRANCHES = frozenset(b"if ifdef ifndef".split()), frozenset(b"elif elifdef elifndef else".split())
_IDENTIFIER = re.compile(rb"[ \t]*(?:\\\r?\n[ \t]*)*[A-Za-z_]")
_FUNCTION_MACRO = re.compile(rb"[ \t]*(?:\\\r?\n[ \t]*)*[A-Za-z_]\w*\(")  # `(` right after the name
_SPACE = rb"(?:[ \t]|\\\r?\n)*+"
_PARAMETER = rb"(?:[A-Za-z_]\w*+(?:\.\.\.)?|\.\.\.)" + _SPACE
_PARAMETERS = re.compile(_SPACE + rb"(?:" + _PARAMETER + rb"(?:," + _SPACE + _PARAMETER + rb")*)?\)")
_HEADER_NAME = re.compile(  # <file>, "file", or a macro (`#include FT_FREETYPE_H`, `#include MACRO(x)`)
    rb'[ \t]*(?:<[^>\n]+>|"[^"\n]+"|[A-Za-z_]\w*[ \t]*(?:\([^\n]*\))?)[ \t\r]*(?:\\?\n|$)')
_DEFINED_UNCLOSED = re.compile(rb"\bdefined[ \t]*\([ \t]*[A-Za-z_]\w*\b(?![ \t]*\))")
_DEFINED_WITHOUT_NAME = re.compile(rb"\bdefined\b[ \t]*(?:\([ \t]*)?(?![A-Za-z_ \t(])")


def bad_directive(data: bytes, in_comment: Callable[[int], bool]) -> tuple[int, str] | None:
    """(0-based line, message) of the first directive the C preprocessor rejects: an unknown one
    (`#inclu`: tree-sitter takes any `#word` for a directive, and a file cut inside a directive
    ends in exactly such a word), a missing macro name (`#undef`, `#ifdef`), `#include` without a
    header name, `#if` without a condition, with unbalanced parentheses or not a well-formed
    expression (`ppexpr`), `defined` without a name, and `#else`/`#endif` without their `#if`.
    `in_comment(offset)` tells a `#` line inside a block comment (text, not a directive)."""
    depth, seen_else = 0, [False]
    for m in _ANY_DIRECTIVE.finditer(data):
        name, rest = m.group(1), _COMMENT.sub(b" ", m.group(2))
        problem = None
        if name not in DIRECTIVES:
            problem = f"invalid preprocessing directive #{name[:20].decode('ascii', 'replace')}"
        elif name in _NEEDS_NAME:
            if not _IDENTIFIER.match(rest):
                problem = f"no macro name given in #{name.decode()} directive"
            elif name == b"define" and (fn := _FUNCTION_MACRO.match(rest)) and not _PARAMETERS.match(rest, fn.end()):
                problem = "expected parameter name, ',' or ')' in the macro's parameter list"
        elif name in (b"include", b"include_next", b"import"):
            if not _HEADER_NAME.match(rest):
                problem = f'#{name.decode()} expects "FILENAME" or <FILENAME>'
        elif name in (b"if", b"elif") and (error := _condition_error(rest)) is not None:
            problem = error
        if name in _OPENS or name in _BRANCHES or name == b"endif":
            if in_comment(m.start()):
                continue
            if name in _OPENS:
                depth += 1
                seen_else.append(False)
            elif depth == 0:
                problem = problem or f"#{name.decode()} without #if"
            elif name == b"endif":
                depth -= 1
                seen_else.pop()
            elif seen_else[-1]:
                problem = problem or f"#{name.decode()} after #else"
            else:
                seen_else[-1] = name == b"else"
        if problem is not None and not in_comment(m.start()):
            return data.count(b"\n", 0, m.start()), problem
    return None


def _condition_error(cond: bytes) -> str | None:
    if not cond.strip(b" \t\\\r\n"):
        return "#if with no expression"
    if _DEFINED_WITHOUT_NAME.search(cond):
        return 'operator "defined" requires an identifier'
    if _DEFINED_UNCLOSED.search(cond) or cond.count(b"(") != cond.count(b")"):
        return "missing ')' in expression"
    return ppexpr.error(cond)


TREE_QUERIES = 256
_C_LEXEME = re.compile(rb'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?(?:\*/|\Z)', re.S)


def comment_test(tree: Any, src: bytes) -> Callable[[int], bool]:
    """Does a byte offset lie in a comment of the C source `src` (`tree` its parse)? A `#` line in a
    block comment is text, not a directive. The first TREE_QUERIES questions ask the tree; a tree
    query costs the tree's depth, which made files of 20,000 nested `#if`s take minutes, so after
    that the comments are found lexically (string and character literals skipped, as the
    preprocessor does), once for the file: 86 MB/s, dearer than the few queries most files ask."""
    root = tree.root_node
    asked = 0
    spans: list[tuple[int, int]] = []
    starts: list[int] = []

    def in_comment(offset: int) -> bool:
        nonlocal asked
        asked += 1
        if asked <= TREE_QUERIES:
            node = root.descendant_for_byte_range(offset, offset + 1)
            return node is not None and node.type == "comment"
        if not starts:
            spans[:] = [m.span() for m in _C_LEXEME.finditer(src) if src[m.start()] == 47] or [(-1, -1)]  # `/`
            starts[:] = [a for a, _ in spans]
        i = bisect.bisect_right(starts, offset) - 1
        return i >= 0 and offset < spans[i][1]

    return in_comment
