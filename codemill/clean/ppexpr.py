"""Is an `#if`/`#elif` condition a well-formed preprocessor expression? The C preprocessor's own check.

tree-sitter never sees the conditions as the compiler does (`cpre.neutral_conditions` replaces
them before the parse), so a condition damaged by a cut or a deleted token (`#if __BYTE_ORDER ==`,
`#if __WORDSIZE = 64`) would pass. `error(cond)` answers with the compiler's message for the first
flaw, in gcc's words, or None. Only the form is judged, never the value: any name may be a macro,
and a name followed by `(` may be a function-like macro (`__has_include(<x.h>)`), whose arguments
are not looked into.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    rb"""[ \t\r\f\v]*(?:
      (?P<char>(?:u8|[uUL])?'(?:\\.|[^'\\])*')
    | (?P<string>(?:u8|[uUL])?"(?:\\.|[^"\\])*")
    | (?P<number>\.?\d(?:[eEpP][+-]|['\w.])*)
    | (?P<name>[A-Za-z_$][\w$]*)
    | (?P<punct>\|\||&&|==|!=|<=|>=|<<|>>|\+\+|--|->|\#\#|\.\.\.|\S)
    )""", re.X | re.S)
#: binary operators of `#if` (the C++ alternative spellings too: a C file that uses them as names is rare)
_BINARY = frozenset(b"|| && | ^ & == != < > <= >= << >> + - * / % , or and bitor xor bitand not_eq".split())
_UNARY = frozenset(b"! ~ - + not compl".split())


class _Flaw(Exception):
    pass


class _Unknown(Exception):
    """A name between two operands: it may be a macro that expands to an operator (boost's
    `#if 0 AUX778076_OP_TOKEN 1`)."""


def error(cond: bytes) -> str | None:
    """gcc's message for the first flaw of the `#if` expression `cond` (comments already removed), or None."""
    cond = cond.replace(b"\\\r\n", b"  ").replace(b"\\\n", b" ")
    cut = cond[: cond.find(b"/*")] if b"/*" in cond else cond  # a comment that goes on below
    toks = [(m.lastgroup or "", m.group(m.lastgroup or 0)) for m in _TOKEN.finditer(cut.rstrip())]
    pos = 0

    def peek() -> tuple[str, bytes]:
        return toks[pos] if pos < len(toks) else ("end", b"")

    def take() -> tuple[str, bytes]:  # past the end: ("end", b"") again, never an IndexError
        nonlocal pos
        tok = peek()
        pos += 1
        return tok

    def operand(after: bytes | None) -> None:
        kind, tok = peek()
        if kind == "end" or (kind == "punct" and tok in (b")", b":", b"?")) or (tok in _BINARY and tok not in _UNARY):
            if after is None:
                raise _Flaw(f"operator '{tok.decode('latin-1')}' has no left operand" if tok in _BINARY
                            else "#if with no expression")
            if after == b"(":
                raise _Flaw("missing expression between '(' and ')'")
            raise _Flaw(f"operator '{after.decode('latin-1')}' has no right operand")
        take()
        if tok in _UNARY:
            operand(tok)
        elif tok == b"(":
            ternary(b"(")
            if take()[1] != b")":
                raise _Flaw("missing ')' in expression")
        elif kind == "name" and tok == b"defined":
            paren = peek()[1] == b"("
            if paren:
                take()
            if peek()[0] != "name":
                raise _Flaw('operator "defined" requires an identifier')
            take()
            if paren and take()[1] != b")":
                raise _Flaw("missing ')' after \"defined\"")
        elif kind == "name" and peek()[1] == b"(":  # a function-like macro call: its arguments are its own
            depth = 0
            while pos < len(toks):
                k, t = take()
                if k == "punct":
                    depth += (t == b"(") - (t == b")")
                if depth == 0:
                    break
        elif kind == "number" and _floating(tok):
            raise _Flaw("floating constant in preprocessor expression")
        elif kind in ("string", "punct"):
            raise _Flaw(f'token "{tok.decode("latin-1")}" is not valid in preprocessor expressions')

    def binary(after: bytes | None) -> None:
        operand(after)
        while (tok := peek()[1]) in _BINARY:
            take()
            operand(tok)
        kind, tok = peek()
        if kind == "name" and tok not in _BINARY:
            after = toks[pos + 1] if pos + 1 < len(toks) else ("end", b"")
            if tok != b"defined" and (after[0] in ("name", "number", "char") or after[1] in (b"(", b"!", b"~")):
                raise _Unknown  # `0 OP 1`: OP may be a macro that expands to an operator
            raise _Flaw(f'missing binary operator before token "{tok.decode("latin-1")}"')

    def ternary(after: bytes | None) -> None:
        binary(after)
        if peek()[1] == b"?":
            take()
            ternary(b"?")
            if peek()[1] != b":":
                raise _Flaw("'?' without following ':'")
            take()
            ternary(b":")

    try:
        ternary(None)
        kind, tok = peek()
        if kind == "end":
            return None
        if tok == b":":
            return "':' without preceding '?'"
        if tok == b")":
            return "missing '(' in expression"
        if kind in ("number", "char") or tok == b"(":
            return f'missing binary operator before token "{tok.decode("latin-1")}"'
        return f'token "{tok.decode("latin-1")}" is not valid in preprocessor expressions'
    except _Flaw as flaw:
        return str(flaw)
    except (_Unknown, RecursionError):  # RecursionError: thousands of nested parentheses
        return None


def _floating(number: bytes) -> bool:
    if number[:2] in (b"0x", b"0X"):
        return b"." in number or b"p" in number or b"P" in number
    return b"." in number or b"e" in number or b"E" in number
