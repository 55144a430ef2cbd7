"""Blank what the C preprocessor would drop for certain, before tree-sitter judges C/C++ syntax.

tree-sitter parses C and C++ without preprocessing, so `#if 0` blocks and the C++ half of
`#ifdef __cplusplus` (`extern "C" {` opened in one conditional and closed in another) look like
syntax errors to it although no compiler ever sees them. Only conditions whose value is known
for the language are resolved (`0`/`1`, `__cplusplus` defined or not); anything else is left
as it is. Inactive lines become spaces, byte for byte, so error lines and columns stay true.
"""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b([^\n]*)", re.M)
_QUICK = (b"__cplusplus", b"if 0", b"if 1")
_NOT_NEWLINE = re.compile(rb"[^\n]")
_COMMENT = re.compile(rb"/\*.*?\*/|//.*", re.S)


def _known(kind: bytes, cond: bytes, cplusplus: bool) -> bool | None:
    """True/False when the first branch is certainly active/inactive, None when unknown."""
    cond = _COMMENT.sub(b"", cond).strip()
    if kind == b"ifdef" and cond == b"__cplusplus":
        return cplusplus
    if kind == b"ifndef" and cond == b"__cplusplus":
        return not cplusplus
    if kind == b"if":
        if cond in (b"0", b"1"):
            return cond == b"1"
        if cond in (b"defined(__cplusplus)", b"defined __cplusplus", b"__cplusplus"):
            return cplusplus
        if cond in (b"!defined(__cplusplus)", b"!defined __cplusplus", b"!__cplusplus"):
            return not cplusplus
    return None


def blank_inactive(data: bytes, cplusplus: bool) -> bytes:
    """`data` with certainly-inactive conditional lines blanked; `data` itself when there are none."""
    if not any(q in data for q in _QUICK):
        return data
    regions: list[tuple[int, int]] = []
    # frame: [state, inactive_since, taken]; state True/False: this branch is known active/inactive,
    # None: unknown; taken: an earlier branch of the frame was known active
    stack: list[list] = []
    for m in _DIRECTIVE.finditer(data):
        kind, cond = m.group(1), m.group(2)
        if kind in (b"if", b"ifdef", b"ifndef"):
            outer_dead = any(f[0] is False for f in stack)
            state = None if outer_dead else _known(kind, cond, cplusplus)
            stack.append([state, m.end() if state is False else None, state is True])
            continue
        if not stack:
            continue  # unbalanced: leave it to the parser to report
        frame = stack[-1]
        if frame[1] is not None:  # close the inactive stretch of this frame
            regions.append((frame[1], m.start()))
            frame[1] = None
        if kind == b"endif":
            stack.pop()
            continue
        if frame[2]:
            frame[0] = False  # an earlier branch was taken: every later one is dead
        elif kind == b"else" and frame[0] is False:
            frame[0] = True
        else:
            frame[0] = None  # `#elif COND` or an `#else` after an unknown branch
        frame[2] = frame[2] or frame[0] is True
        if frame[0] is False:
            frame[1] = m.end()
    if not regions:
        return data
    out = bytearray(data)
    for a, b in regions:
        out[a:b] = _NOT_NEWLINE.sub(b" ", data[a:b])
    return bytes(out)


# What a C/C++ compiler accepts only after preprocessing, and tree-sitter therefore misreads: macros
# that expand to attributes or nothing (`class U_I18N_API Foo`, `PYTHONIC_NS_BEGIN`, `U_STABLE int32_t
# U_EXPORT2`), statement-like macro calls without a semicolon (`UOBJECT_DEFINE_RTTI(X)`), and
# compiler keywords (`__restrict`, `__forceinline`).
_MACRO_WORD = re.compile(rb"(?<![#\w])(?<!define )(?<!ifdef )(?<!ifndef )\b(?:_*[A-Z][A-Z0-9_]{2,}|__\w+)\b(?![ \t]*\()")
_MACRO_CALL_LINE = re.compile(rb"^[ \t]*[A-Z_][A-Z0-9_]{2,}[ \t]*\([^;{}\n]*\)[ \t]*$", re.M)
_IF_CONDITION = re.compile(rb"^([ \t]*#[ \t]*(?:el)?if\b)([^\n]*(?:\\\n[^\n]*)*)", re.M)
_LINE_BEFORE = 2  # a macro line often breaks the parse of the line after it


def neutral_conditions(data: bytes) -> bytes:
    """`#if`/`#elif` conditions replaced by `1` and blanks: tree-sitter parses both branches anyway,
    and it misreads conditions such as `BOOST_WORKAROUND(BOOST_MSVC, < 1300)`."""
    if b"#" not in data:
        return data

    def one(m: re.Match) -> bytes:
        cond = m.group(2)
        return m.group(1) + b" 1" + _NOT_NEWLINE.sub(b" ", cond[2:]) if len(cond) >= 2 else m.group(0)

    return _IF_CONDITION.sub(one, data)


def blank_macro_words(data: bytes, lines: set[int]) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with probable macros blanked on the given 0-based lines (the error lines and the two
    before each): bare ALL-CAPS words, `__keywords`, and ALL-CAPS macro calls alone on a line; and
    the changed lines as (line, start byte, end byte), for an incremental re-parse.

    Callers accept the result only when it then parses cleanly: a word that was real code
    (`x = MAX;`) leaves an error behind when blanked, so a wrong guess changes no verdict.
    """
    if not lines:
        return data, []
    out = bytearray(data)
    changed = []
    starts = [0] + [m.end() for m in re.finditer(rb"\n", data)]
    wanted = {k for line in lines for k in range(line - _LINE_BEFORE, line + 1) if 0 <= k < len(starts)}
    for line in sorted(wanted):
        a = starts[line]
        b = starts[line + 1] if line + 1 < len(starts) else len(data)
        call = _MACRO_CALL_LINE.match(data, a, b)
        if call is not None:
            out[a : call.end()] = b" " * (call.end() - a)
        else:
            for m in _MACRO_WORD.finditer(data, a, b):
                out[m.start() : m.end()] = b" " * (m.end() - m.start())
        if out[a:b] != data[a:b]:
            changed.append((line, a, b))
    return bytes(out), changed


_ANY_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*([A-Za-z_]\w*)", re.M)
DIRECTIVES = frozenset(
    b"include define undef if ifdef ifndef elif elifdef elifndef else endif line error warning pragma "
    b"ident sccs assert unassert include_next import".split())


def unknown_directive(data: bytes) -> tuple[int, bytes] | None:
    """(0-based line, name) of the first preprocessing directive no C compiler knows (`#inclu`).

    tree-sitter takes any `#word` for a directive; the preprocessor rejects unknown ones, and a
    file cut inside a directive ends in exactly such a word.
    """
    for m in _ANY_DIRECTIVE.finditer(data):
        if m.group(1) not in DIRECTIVES:
            return data.count(b"\n", 0, m.start()), m.group(1)
    return None


# TypeScript the bundled grammar predates: `import("./m").T<...>` type queries and `export type * from`
# (TS 5.0). Blanking the import part keeps a valid type name; `export * from` stays a valid export.
_TS_NEWER = re.compile(rb"""\bimport\(\s*["'][^"'\n]*["']\s*\)\.|(?<=\bexport )type(?= \*)""")


def blank_newer_typescript(data: bytes) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with newer TypeScript forms blanked, and the changed lines (line, start, end)."""
    if b"import(" not in data and b"export type *" not in data:
        return data, []
    out = bytearray(data)
    changed: dict[int, tuple[int, int, int]] = {}
    for m in _TS_NEWER.finditer(data):
        out[m.start() : m.end()] = b" " * (m.end() - m.start())
        line = data.count(b"\n", 0, m.start())
        a = data.rfind(b"\n", 0, m.start()) + 1
        b = data.find(b"\n", m.end())
        changed[line] = (line, a, len(data) if b < 0 else b)
    return bytes(out), list(changed.values())
