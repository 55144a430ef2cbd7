"""Which `#if` branches gcc on x86-64 Linux compiles when a file is built on its own (no -D flags).

tree-sitter parses every branch of every conditional at once, which is no configuration a
compiler ever sees: an `#ifdef _WIN32` branch full of MSVC macros, or the body of
`#if U_SHOW_CPLUSPLUS_API` read as C, fails to parse although gcc skips it. This module evaluates
the conditions the way the preprocessor does: a macro the file `#define`s (before the line, in a
live branch) is defined, gcc's own predefined macros have gcc's values, and any other identifier
is undefined and 0, as long as no `#include` came before. After an `#include` only the macros of
other platforms and compilers (`_WIN32`, `_MSC_VER`, `__APPLE__`, `__clang__`, ...), which no
header on Linux defines, stay undefined: anything else may come from the header (glibc's
`__USE_MISC`, a project's `HAVE_FOO`) and is unknown. Feature probes whose answer depends on the
compiler build (`__has_include(...)`, `__cpp_*`) are unknown too, and so are macros the file
defines as something other than an integer. Both branches of an unknown condition are kept.

The result is the configuration gcc compiles when the file is built alone; the syntax stage
uses it only as a retry for C-family files that fail as they are (`Syntax.c_config`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from codemill.clean import cpre

#: what `gcc -dM -E` (GCC 12, x86-64 Linux, C17 / gnu++17) predefines, among the macros `#if` lines test
GCC_LINUX: dict[bytes, int] = {
    b"__GNUC__": 12, b"__GNUC_MINOR__": 2, b"__GNUC_PATCHLEVEL__": 0, b"__STDC__": 1,
    b"__STDC_HOSTED__": 1, b"__linux__": 1, b"__linux": 1, b"linux": 1, b"__gnu_linux__": 1, b"__unix__": 1,
    b"__unix": 1, b"unix": 1, b"__ELF__": 1, b"__x86_64__": 1, b"__x86_64": 1, b"__amd64__": 1, b"__amd64": 1,
    b"__LP64__": 1, b"_LP64": 1, b"__CHAR_BIT__": 8, b"__SIZEOF_SHORT__": 2, b"__SIZEOF_INT__": 4,
    b"__SIZEOF_LONG__": 8, b"__SIZEOF_LONG_LONG__": 8, b"__SIZEOF_POINTER__": 8, b"__SIZEOF_SIZE_T__": 8,
    b"__SIZEOF_WCHAR_T__": 4, b"__SIZEOF_FLOAT__": 4, b"__SIZEOF_DOUBLE__": 8, b"__SIZEOF_LONG_DOUBLE__": 16,
    b"__BYTE_ORDER__": 1234, b"__ORDER_LITTLE_ENDIAN__": 1234, b"__ORDER_BIG_ENDIAN__": 4321,
    b"__ORDER_PDP_ENDIAN__": 3412, b"__FLOAT_WORD_ORDER__": 1234, b"__SCHAR_MAX__": 127, b"__SHRT_MAX__": 32767,
    b"__INT_MAX__": 2**31 - 1, b"__LONG_MAX__": 2**63 - 1, b"__LONG_LONG_MAX__": 2**63 - 1,
    b"__WCHAR_MAX__": 2**31 - 1, b"__SIZE_MAX__": 2**64 - 1, b"__GNUC_STDC_INLINE__": 1, b"__GCC_IEC_559": 2,
    b"__SSE__": 1, b"__SSE2__": 1, b"__MMX__": 1, b"__CHAR16_TYPE__": 1, b"__CHAR32_TYPE__": 1,
}
GCC_LINUX_C = {**GCC_LINUX, b"__STDC_VERSION__": 201710}
GCC_LINUX_CPP = {**GCC_LINUX, b"__cplusplus": 201703, b"__GNUG__": 12, b"__GXX_ABI_VERSION": 1017,
                 b"__EXCEPTIONS": 1, b"__GXX_RTTI": 1, b"__GXX_WEAK__": 1, b"_GNU_SOURCE": 1}  # g++ defines it
#: other platforms', compilers' and architectures' macros: no header on x86-64 Linux defines them
OTHER_PLATFORMS = frozenset(b"""
    _WIN32 _WIN64 WIN32 WIN64 _WINDOWS _WIN32_WINNT _WIN32_WCE WINVER _WIN32_IE NTDDI_VERSION WINAPI_FAMILY
    _MSC_VER _MSC_FULL_VER _MSC_EXTENSIONS _MSVC_LANG _M_IX86 _M_X64 _M_AMD64 _M_ARM _M_ARM64 _M_IA64
    __MINGW32__ __MINGW64__ __CYGWIN__ __CYGWIN32__ __APPLE__ __MACH__ __FreeBSD__ __NetBSD__ __OpenBSD__
    __DragonFly__ __sun __SVR4 __svr4__ _AIX __hpux __HAIKU__ __Fuchsia__ __ANDROID__ __EMSCRIPTEN__ __wasm__
    __wasm32__ __wasm64__ __OS2__ __VMS __QNX__ __clang__ __clang_major__ __INTEL_COMPILER __INTEL_LLVM_COMPILER
    __BORLANDC__ __WATCOMC__ __SUNPRO_C __SUNPRO_CC __IBMC__ __xlC__ __PGI __NVCOMPILER __TINYC__
    __arm__ __aarch64__ __i386__ __i386 __powerpc__ __powerpc64__ __ppc__ __PPC__ __mips__ __riscv __s390__
    __s390x__ __sparc__ __ia64__ __alpha__ __hppa__ __m68k__ __loongarch__ __arm __thumb__ __mips __sparc
    __powerpc __PPC64__ _ARCH_PPC __AVR__ __XTENSA__ __sh__ __xtensa__ __nios2__ __or1k__ __arc__ __csky__
    __GCCXML__ __WAVE__ __MWERKS__ __EDG__ __EDG_VERSION__ __DMC__ __HP_aCC __COMO__ __DECCXX __KCC __ghs__
    __CODEGEARC__ __IAR_SYSTEMS_ICC__ __CC_ARM __ARMCC_VERSION __TI_COMPILER_VERSION__ __HIGHC__ __SC__
""".split())
#: name prefixes of other architectures' feature macros (`__ARM_NEON`, `_MIPS_SIM`)
_OTHER_PREFIX = re.compile(rb"__ARM_|_MIPS_|__mips_|__riscv_|__aarch64_")
#: identifiers whose value depends on the compiler build or the headers in ways not modelled: unknown
_UNKNOWN = re.compile(rb"__cpp_|__has_|__SANITIZE|__OPTIMIZE|__GCC_HAVE|__GCC_ATOMIC|__STDCPP_")

#: a directive, found from its `#` (a literal, which `re` finds at memchr speed, where a `^`-anchored
#: pattern is tried at every byte); `_directives` checks that only blanks precede it on its line
_DIRECTIVE = re.compile(rb"#[ \t]*(if|ifdef|ifndef|elif|else|endif|define|undef|include|include_next|import)\b"
                        rb"((?:\\\r?\n|[^\n])*)")
_BLANKS = re.compile(rb"[ \t]*")
_COMMENT = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)
_NAME = re.compile(rb"[ \t]*([A-Za-z_]\w*)(\()?[ \t]*(.*)", re.S)
_TOKEN = re.compile(rb"\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|&&|\|\||[=!<>]=|<<|>>|\S)[uUlL]*")
_INT = re.compile(rb"[ \t]*\(?[ \t]*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?[ \t]*\Z")

Env = dict[bytes, int | None]  # macro -> value (None: defined, value unknown)


def _uncommented(text: bytes) -> bytes:
    return _COMMENT.sub(b" ", text) if b"/" in text else text


class _Unknown(Exception):
    """The expression depends on something not modelled."""


def _number(tok: bytes) -> int:
    if tok[:2] in (b"0x", b"0X"):
        return int(tok, 16)
    return int(tok, 8) if len(tok) > 1 and tok[0] == 48 else int(tok)


def evaluate(cond: bytes, env: Env, predefined: dict[bytes, int], after_include: bool = False) -> int | None:
    """The value of an `#if` expression, or None when it cannot be known (see the module docstring);
    `after_include`: an `#include` came before it, so most undefined names are unknown."""
    toks = _TOKEN.findall(_uncommented(cond).replace(b"\\\n", b" "))
    pos = 0

    def peek() -> bytes:
        return toks[pos] if pos < len(toks) else b""

    def take() -> bytes:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def value(name: bytes) -> int | None:
        if name in env:
            return env[name]
        if name in predefined:
            return predefined[name]
        return _undefined(name, after_include)

    def primary() -> int | None:
        tok = take()
        if tok == b"(":
            v = ternary()
            if take() != b")":
                raise _Unknown
            return v
        if tok in (b"!", b"-", b"+", b"~"):
            v = primary()
            if v is None:
                return None
            return {b"!": int(not v), b"-": -v, b"+": v, b"~": ~v}[tok]
        if tok == b"defined":
            paren = peek() == b"("
            pos_name = take() if not paren else (take(), take())[1]
            if paren and take() != b")":
                raise _Unknown
            if pos_name in env or pos_name in predefined:
                return 1
            return _undefined(pos_name, after_include)
        if tok[:1].isdigit():
            return _number(tok)
        if tok[:1].isalpha() or tok[:1] == b"_":
            if peek() == b"(":  # a function-like macro call (`__has_include(<x>)`): unknown
                depth = 0
                while pos < len(toks):
                    t = take()
                    depth += (t == b"(") - (t == b")")
                    if depth == 0:
                        break
                return None
            return value(tok)
        raise _Unknown

    def binary(level: int) -> int | None:
        if level == len(_LEVELS):
            return primary()
        ops = _LEVELS[level]
        v = binary(level + 1)
        while peek() in ops:
            op = take()
            if op in (b"&&", b"||"):
                w = binary(level + 1)
                absorbing = 0 if op == b"&&" else 1  # `0 && x` is 0, `1 || x` is 1, whatever x is
                if v is not None and bool(v) == bool(absorbing):
                    v = absorbing
                elif w is not None and bool(w) == bool(absorbing):
                    v = absorbing
                else:
                    v = None if v is None or w is None else int(not absorbing)
                continue
            w = binary(level + 1)
            v = None if v is None or w is None else _apply(op, v, w)
        return v

    def ternary() -> int | None:
        c = binary(0)
        if peek() != b"?":
            return c
        take()
        a = ternary()
        if take() != b":":
            raise _Unknown
        b = ternary()
        return None if c is None else (a if c else b)

    try:
        result = ternary()
    except (_Unknown, IndexError, ValueError, RecursionError):  # RecursionError: `((((...` thousands deep
        return None
    return result if pos == len(toks) else None


def _undefined(name: bytes, after_include: bool) -> int | None:
    """0 for a name that is certainly not a macro here, None when a header or the build may define it."""
    if _UNKNOWN.match(name):
        return None
    return 0 if name in OTHER_PLATFORMS or _OTHER_PREFIX.match(name) or not after_include else None


_LEVELS = ((b"||",), (b"&&",), (b"|",), (b"^",), (b"&",), (b"==", b"!="), (b"<", b">", b"<=", b">="),
           (b"<<", b">>"), (b"+", b"-"), (b"*", b"/", b"%"))


def _apply(op: bytes, a: int, b: int) -> int | None:
    if op in (b"/", b"%") and b == 0:
        return None
    return {
        b"|": lambda: a | b, b"^": lambda: a ^ b, b"&": lambda: a & b, b"==": lambda: int(a == b),
        b"!=": lambda: int(a != b), b"<": lambda: int(a < b), b">": lambda: int(a > b),
        b"<=": lambda: int(a <= b), b">=": lambda: int(a >= b), b"<<": lambda: a << min(b, 64) if b >= 0 else 0,
        b">>": lambda: a >> min(b, 64) if b >= 0 else 0, b"+": lambda: a + b, b"-": lambda: a - b,
        b"*": lambda: a * b, b"/": lambda: _div(a, b), b"%": lambda: a - b * _div(a, b),
    }[op]()


def _div(a: int, b: int) -> int:
    """C's division: truncated toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def skipped_regions(data: bytes, cplusplus: bool,
                    in_comment: Callable[[int], bool] = lambda _: False) -> list[tuple[int, int]]:
    """Byte ranges (from the end of a directive line to the start of the next directive of its
    conditional) that gcc on Linux would skip when compiling `data` alone; unknown conditions
    keep both branches. `in_comment(offset)` tells a `#` line inside a block comment (text)."""
    predefined = GCC_LINUX_CPP if cplusplus else GCC_LINUX_C
    env: Env = {}
    after_include = False

    def state(kind: bytes, rest: bytes, live: bool) -> bool | None:
        nonlocal after_include
        if kind in (b"include", b"include_next", b"import"):
            after_include = after_include or live
        elif kind in (b"define", b"undef"):
            if live and (name := _NAME.match(rest)) is not None:
                if kind == b"undef":
                    env.pop(name.group(1), None)
                else:
                    body = None if name.group(2) is not None else _INT.match(_uncommented(name.group(3)))
                    env[name.group(1)] = _number(body.group(1)) if body is not None else None
        else:
            return _branch_state(kind, rest, env, predefined, after_include)
        return None

    return cpre.conditional_regions((m for m in _directives(data) if not in_comment(m.start())), state)


def _directives(data: bytes) -> Iterator[re.Match]:
    """`_DIRECTIVE` matches whose `#` starts its line (after blanks)."""
    pos = 0
    while (m := _DIRECTIVE.search(data, pos)) is not None:
        start = m.start()
        line = data.rfind(b"\n", 0, start) + 1
        if line == start or _BLANKS.fullmatch(data, line, start):
            yield m
            pos = m.end()
        else:
            pos = start + 1


def _branch_state(kind: bytes, rest: bytes, env: Env, predefined: dict[bytes, int],
                  after_include: bool) -> bool | None:
    """Is the branch of this `#if`/`#elif`/`#ifdef`/`#ifndef` active (None: unknown)?"""
    if kind in (b"if", b"elif"):
        v = evaluate(rest, env, predefined, after_include)
        return None if v is None else bool(v)
    m = _NAME.match(_uncommented(rest))
    if m is None:
        return None
    name = m.group(1)
    if name in env or name in predefined:
        return kind == b"ifdef"
    if _undefined(name, after_include) is None:
        return None
    return kind == b"ifndef"


#: `template <`, which no C grammar can take: a literal start, so `re` jumps between candidates
_TEMPLATE = re.compile(rb"template[ \t\r\n]*<")
#: where a template declaration stands when it is one: not in an argument list or an ERROR, where a
#: macro call's argument (which the C fallback may replace by `0`) would put it
_DECLARATION_PLACES = frozenset({
    "translation_unit", "declaration_list", "linkage_specification", "template_declaration",
    "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef", "field_declaration_list",
})
MAX_TEMPLATE_CANDIDATES = 20  # `template <` texts confirmed against the tree per file (comments, strings)


def c_sees_template(data: bytes, cpp_tree: Any) -> bool:
    """Would gcc compiling the header `data` as C meet a C++ template declaration? `cpp_tree` is the
    C++ parse of `data` with its C-only branches blanked (offsets kept).

    The `template` keyword must be a template declaration's in that tree (so not in a comment,
    string, `#define` body or macro argument), in a declaration place, and in code the C compiler
    reads: outside the branches `#ifdef __cplusplus` and the like take away (`cpre.blank_inactive`)
    and outside those gcc on Linux skips (`skipped_regions`). No C grammar, and no retry of the
    `syntax` op (which blanks macro-shaped words, directive lines and macro arguments), can then
    make the file parse as C: the header is C++.
    """
    if b"template" not in data:  # most headers that reach here (Windows SDK ones) have none: no blanking pass
        return False
    pre = cpre.blank_inactive(data, False)
    skipped: list[tuple[int, int]] | None = None
    for k, m in enumerate(_TEMPLATE.finditer(pre)):
        if k == MAX_TEMPLATE_CANDIDATES:
            return False
        if not _declares_template(cpp_tree.root_node, m.start()):
            continue
        if skipped is None:
            skipped = skipped_regions(pre, False, cpre.comment_test(cpp_tree, pre))
        if not any(a <= m.start() < b for a, b in skipped):
            return True
    return False


def _declares_template(root: Any, pos: int) -> bool:
    """Is the `template` at byte `pos` the keyword of a template declaration standing in a declaration place?"""
    node = root.descendant_for_byte_range(pos, pos + 1)
    if node is None or node.type != "template":
        return False
    decl = node.parent
    return decl is not None and decl.type == "template_declaration" and decl.parent is not None \
        and decl.parent.type in _DECLARATION_PLACES
