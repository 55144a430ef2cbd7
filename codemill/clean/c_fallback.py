"""The fallback for C-family files the macro rounds leave broken: guesses riskier than blanking a
macro-shaped word, made once (`cretry`), each a same-length edit, accepted only when the file then
parses cleanly.

`flatten_conditionals` blanks the directive lines of `#if` groups without `#else` (every line of
code stays, so no error in code can be hidden); `macro_arguments` turns what only a macro can
take into `0` (a type, a binary operator) and glibc's `__REDIRECT (name, (parameters), alias)`
declarator into its name.
"""

from __future__ import annotations

import bisect
import re

from codemill.clean.cpre import blank_span
from codemill.clean.grammar_gaps import (
    _C_KEYWORDS,
    _COMMENT_LINE,
    _MACRO_SHAPE,
    _TYPE_KEYWORDS,
    _WORD,
    _blank,
    line_span,
)


def flatten_conditionals(data: bytes, groups: list[tuple[int, int, list[tuple[int, int, int]]]]
                         ) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with the directive lines of every group of `groups` (`cpre.plain_conditionals`) blanked,
    and the changed lines. All of them: an error moves into a nested `#ifdef` once the outer one is
    gone, and an `extern "C" {` opened in one group is closed in another."""
    out = bytearray(data)
    changed: list[tuple[int, int, int]] = []
    for _, _, lines in groups:
        for line, a, b in lines:
            _blank(out, a, b)
            changed.append((line, a, b))
    return bytes(out), changed


# What a macro may take and a function call may not, on the lines around errors the rounds left:
# a type (`va_arg(ap, char *)`, `container_of(p, struct item, node)`) or, for an ALL-CAPS name, a
# binary operator (`BITOP(set, c, |=)`; any operator when the file defines the macro). Replaced by
# `0` and blanks, a valid argument of any call.
_QUALIFIER = rb"(?:const|volatile|restrict|__restrict)"
_PRIMITIVE = rb"(?:void|char|short|int|long|float|double|signed|unsigned|_Bool|bool|wchar_t|char(?:8|16|32)_t)"
_TYPE_ARGUMENT = re.compile(
    rb"(?:" + _QUALIFIER + rb"\s+)*(?:(?:struct|union|enum)\s+[A-Za-z_]\w*|" + _PRIMITIVE + rb"(?:\s+" + _PRIMITIVE
    + rb")*|[A-Za-z_]\w*_t|[A-Z]\w*(?=\s*\*))(?:\s*(?:\*|" + _QUALIFIER + rb"\b))*")
#: binary-only operators: a unary one (`&`, `-`, `*`, `!`) is what deleting its operand leaves (`f(x, &)`)
_OPERATOR_ARGUMENT = re.compile(rb"(?:[-+*/%&|^<>]|<<|>>)=|[=!<>]=|&&|\|\||<<|>>|[|^/%<>=]")
#: an operator that can also be unary: an argument only of a function-like macro this file defines
#: (musl's `#define BITOP(a,b,op)` ... `BITOP(set, c, &)`); elsewhere `f(x, &)` is more likely `&y` with `y` deleted
_UNARY_OPERATOR = re.compile(rb"[-+*&!~]")
_CAPS_NAME = re.compile(rb"_*[A-Z][A-Z0-9_]{2,}")
_CALLEE = re.compile(rb"\b([A-Za-z_]\w*)[ \t]*\(")
_LAST_WORD = re.compile(rb"[A-Za-z_]\w*\Z")
_NOT_CALLEES = _C_KEYWORDS | _TYPE_KEYWORDS | frozenset(
    b"if while for switch alignof _Alignof __alignof__ typeof __typeof__ decltype typeid defined __attribute__ "
    b"__declspec asm __asm__ _Generic static_assert _Static_assert noexcept".split())
_EXPRESSION_WORDS = frozenset(b"return case else do".split())  # a call may follow these words, no other


def macro_arguments(data: bytes, lines: set[int], starts: list[int]) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with type and operator arguments of calls on the given 0-based lines replaced by `0`
    (see above; a unary-capable operator only for a macro `#define`d in `data`), and the changed lines
    (`starts`: `grammar_gaps.line_starts(data)`). A call after a
    word other than `return` (a declarator: `int f(int, char *)`) or after `*`/`&` is left alone."""
    out = bytearray(data)
    changed = []
    defined: dict[bytes, bool] = {}

    def defined_here(name: bytes) -> bool:
        if name not in defined:
            defined[name] = re.search(rb"^[ \t]*#[ \t]*define[ \t]+" + name + rb"\(", data, re.M) is not None
        return defined[name]

    for line in sorted(k for k in lines if 0 <= k < len(starts)):
        a = starts[line]
        b = starts[line + 1] if line + 1 < len(starts) else len(data)
        if b"(" not in data[a:b] or _COMMENT_LINE.match(data, a, b):
            continue
        for call in _CALLEE.finditer(data, a, b):
            name = call.group(1)
            before = data[a : call.start()].rstrip()
            word = _LAST_WORD.search(before)
            if word is not None and word.group() not in _EXPRESSION_WORDS:
                if _MACRO_SHAPE.fullmatch(name) and (last := _redirect(data, out, call)) is not None:
                    row = bisect.bisect_right(starts, last) - 1  # the declaration's last line
                    changed += [line_span(starts, data, r) for r in range(line + 1, row + 1)]
                continue
            if name in _NOT_CALLEES or before.endswith((b"*", b".", b"->", b"::")) or (
                    before.endswith(b"&") and not before.endswith(b"&&")):
                continue
            macro = _CAPS_NAME.fullmatch(name) is not None
            for x, y in _arguments(data, call.end(), b):
                arg = data[x:y]
                if (_TYPE_ARGUMENT.fullmatch(arg) and arg != b"void") or (macro and _OPERATOR_ARGUMENT.fullmatch(arg)) or (
                        macro and _UNARY_OPERATOR.fullmatch(arg) and defined_here(name)):
                    out[x:y] = b"0" + b" " * (y - x - 1)
        if out[a:b] != data[a:b]:
            changed.append((line, a, b - 1 if data.endswith(b"\n", a, b) else b))
    return bytes(out), changed


MAX_REDIRECT_BYTES = 4096


def _redirect(data: bytes, out: bytearray, call: re.Match) -> int | None:
    """A declarator that is a macro call naming the function first and its parameters second
    (glibc's `extern int __REDIRECT (fcntl, (int __fd, int __cmd, ...), fcntl64);`): in `out`,
    everything but the name blanked (lines kept); the offset of its `)`, or None when it is not one."""
    args = _arguments(data, call.end(), min(len(data), call.end() + MAX_REDIRECT_BYTES))
    if len(args) < 2 or not _WORD.fullmatch(data[args[0][0] : args[0][1]]) or data[args[1][0]] != 40:  # `(`
        return None
    close = data.index(b")", args[-1][1])
    for x, y in ((call.start(), args[0][0]), (args[0][1], close + 1)):
        blank_span(out, data, x, y)
    return close


def _arguments(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """Spans (blanks trimmed) of the arguments of a call whose `(` ends at `start`, when its `)` is
    before `end`; else none."""
    spans, depth, x = [], 0, start
    i = start
    while i < end:
        c = data[i]
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            if depth == 0:
                spans.append((x, i))
                break
            depth -= 1
        elif c == 44 and depth == 0:  # `,`
            spans.append((x, i))
            x = i + 1
        elif c in b"\"'":
            return []  # a literal: not worth lexing here
        i += 1
    else:
        return []
    out = []
    for x, y in spans:
        while x < y and data[x] in b" \t\r\n":
            x += 1
        while y > x and data[y - 1] in b" \t\r\n":
            y -= 1
        if y > x:
            out.append((x, y))
    return out
