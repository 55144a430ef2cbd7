"""What tree-sitter's grammars misread and a compiler would accept, blanked byte for byte for a retry.

C/C++ (`blank_macro_words`): macros that only the preprocessor resolves and grammar gaps, on the
lines around a parse's errors (`macro_rows`); TypeScript (`blank_newer_typescript`): syntax newer than the bundled
grammar. Blanking keeps every offset, so the edited tree can be re-parsed incrementally, and the
syntax stage accepts a retry only when the file then parses without any error.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from codemill.parse import ErrorSite

# What a C/C++ compiler accepts only after preprocessing, and tree-sitter therefore misreads: macros
# that expand to attributes or nothing (`class U_I18N_API Foo`, `PYTHONIC_NS_BEGIN`, `U_STABLE int32_t
# U_EXPORT2`, `f(void) __THROW __nonnull ((1))`), statement-like macro calls without a semicolon
# (`UOBJECT_DEFINE_RTTI(X)`), compiler keywords (`__restrict`, `__forceinline`); and what the grammar
# lacks: directives inside an enum or initializer (`#define REG_R8 REG_R8` between enumerators), null
# directives (`# /* comment */`), `_Thread_local`, `__asm__("r1")` before an initializer, anonymous
# bit-fields (`int :4;`), `__attribute__((...))` before a typedef's type, `_Complex` (and <complex.h>'s
# `double complex`), C++'s deleted function outside a class (`template <class T> T cos(T) = delete;`).
_MACRO_NAME = rb"(?:_*[A-Z][A-Z0-9_]{2,}|__\w+)"  # ALL_CAPS or __reserved: what macro names look like
_MACRO_SHAPE = re.compile(_MACRO_NAME)
_ATTRIBUTE_SUFFIX = re.compile(  # macro names that say they are attributes, not types (`WINAPI`, `U_EXPORT2`)
    rb".*(?:API|APIENTRY|ENTRY|CALL|CALLBACK|CONV|EXPORT|IMPORT|LINKAGE|DECL|CDECL|INLINE|NOTHROW|THROW|EXTERN|"
    rb"DEPRECATED|VISIBLE|HIDDEN|PUBLIC|LOCAL|ATTR|NORETURN|PURE|FINAL|OVERRIDE)\w{0,3}")
_ATTRIBUTE_NAME = re.compile(_ATTRIBUTE_SUFFIX.pattern + rb"|__\w+")  # beside a type, `__x` is an attribute
_COMMENT_LINE = re.compile(rb"[ \t]*(?:\*|/[*/])")  # `* text` inside a block comment: not code
_LINE_TOKEN = re.compile(rb"[A-Za-z_]\w*(?:[ \t]*::[ \t]*[A-Za-z_]\w*)*|\S")
_C_KEYWORDS = frozenset(
    b"static extern const volatile inline typedef register auto restrict virtual explicit friend constexpr "
    b"mutable thread_local public private protected struct union enum class typename template using "
    b"return goto case default sizeof new delete operator".split())
_TYPE_KEYWORDS = frozenset(b"void char short int long float double signed unsigned _Bool bool wchar_t auto".split())
_TAG_KEYWORDS = frozenset(b"struct union enum class".split())
_ENDS_SPECIFIERS = frozenset(b"( ; , = [ ) : {".split())
_MACRO_CALL_LINE = re.compile(  # `GGML_NORETURN GGML_ATTRIBUTE_FORMAT(3, 4)` before a declaration
    rb"^[ \t]*(?:" + _MACRO_NAME + rb"[ \t]+)*" + _MACRO_NAME + rb"[ \t]*\([^;{}\n]*\)[ \t]*$", re.M)
_PARENS = rb"\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\)"  # balanced, three levels, one line
_TRAILING_MACRO_CALL = re.compile(  # `f(void) __THROW __nonnull ((1));`
    rb"(?<=\))(?:[ \t]*\b" + _MACRO_NAME + rb"\b(?:[ \t]*" + _PARENS + rb")?)+(?=[ \t]*(?:[;{,=:]|$))", re.M)
_CONTINUED_MACROS = re.compile(  # the attributes of a declaration continued from the line before
    rb"^[ \t]*(?:\b" + _MACRO_NAME + rb"\b(?:[ \t]*" + _PARENS + rb")?[ \t]*)+(?=;?[ \t]*\r?$)", re.M)
_PARENS_RE = re.compile(_PARENS)
_DECLARATION_START = (rb"(?:void|char|short|int|long|float|double|signed|unsigned|_Bool|bool|const|volatile|static|"
                      rb"extern|inline|struct|union|enum|typedef|register)\b")
_LEADING_MACRO_CALLS = re.compile(  # `LZ4_DEPRECATED("use X instead") LZ4LIB_API int f(void);`
    rb"[ \t]*(?:" + _MACRO_NAME + rb"(?:[ \t]*" + _PARENS + rb")?[ \t]+)*" + _MACRO_NAME + rb"[ \t]*" + _PARENS
    + rb"(?:[ \t]+" + _MACRO_NAME + rb")*[ \t]*(?=" + _DECLARATION_START + rb")")
_GRAMMAR_GAP = re.compile(rb'\b_Thread_local\b|\b(?:__asm__|__asm|asm)\s*\(\s*"[^"\n]*"\s*\)|\b__attribute__[ \t]*\(' + _PARENS + rb"\)"
                          rb"|\b_Complex\b|\b_Imaginary\b|(?:(?<=float )|(?<=double ))(?:complex|imaginary)\b"
                          rb"|\b(?:complex|imaginary)(?= (?:float|double|long)\b)"
                          rb"|=[ \t]*delete(?=[ \t]*;)")
_WORD = re.compile(rb"[A-Za-z_]\w*")
_NEWLINE = re.compile(rb"\n")
_INT_TYPE = rb"(?:unsigned|signed|int|char|short|long|_Bool|bool|u?int\d+_t|__u\d+|__s\d+)"
#: a line of unnamed bit-fields (padding: `int :32; int :32;`), which the grammar lacks
_ANONYMOUS_BITFIELD = re.compile(rb"^[ \t]*(?:(?:" + _INT_TYPE + rb"[ \t]+)*" + _INT_TYPE + rb"[ \t]*:[ \t]*\w+[ \t]*;[ \t]*)+", re.M)
_BLANKABLE_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(?:define|undef|include|include_next|import|pragma|line|ident)\b", re.M)
_NULL_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(?=/[*/]|\r?$)", re.M)  # `#` alone, or before a comment


ROWS_BEFORE = 2  # a macro line often breaks the parse of the lines after it
MAX_DIRECTIVE_LINES = 500  # a line this far below a `#define` is not searched back to it
MAX_ERROR_ROWS = 50  # an ERROR node up to this many lines long is searched for macros on every line


def macro_rows(errors: list[ErrorSite]) -> set[int]:
    """0-based lines where a macro may have caused these errors: each error's first and last line
    (all of a short one) and the ROWS_BEFORE lines above them, the end of the code before it
    (comments skipped: `__BEGIN_DECLS`, a comment, then the first declaration that fails), and the
    first line of the construct it is in."""
    rows: set[int] = set()
    for site in errors:
        node = site.node
        first, last = node.start_point[0], node.end_point[0]
        rows.update(range(first - ROWS_BEFORE, (last if last - first <= MAX_ERROR_ROWS else first) + 1))
        rows.update(range(last - ROWS_BEFORE, last + 1))
        k = site.index - 1
        while k >= 0 and site.siblings[k].type == "comment":
            k -= 1
        if k >= 0:
            prev = site.siblings[k]
            end = prev.end_point[0]
            rows.update(range(max(prev.start_point[0], end - ROWS_BEFORE), end + 1))
        parent = site.parent
        if parent is not None and site.depth > 0 and first - parent.start_point[0] <= MAX_ERROR_ROWS:
            rows.add(parent.start_point[0])  # `U_CDECL_BEGIN`, a comment, then `typedef` read as its name
    return rows


def _blank(out: bytearray, a: int, b: int) -> None:
    out[a:b] = b" " * (b - a)


def _macro_words(data: bytes, a: int, b: int) -> list[tuple[int, int]]:
    """Spans of the macro-shaped words on line data[a:b] that C syntax says cannot be what they look
    like, so must be macros expanding to attributes or nothing.

    In a run of words before a declarator (`U_STABLE void U_EXPORT2 u_init(`), a valid declaration
    has at most one type name and no type name beside `int`/`void`/...: macro-shaped words beside a
    type keyword are macros; without one, the last word that is not named like an attribute
    (`...API`, `...EXPORT`, `__...`) is taken as the type and kept. In a class head the first word
    that is not macro-shaped is the name (`class U_I18N_API Locale U_FINAL`); after a `*` only the
    name is left (`void *U_CALLCONV alloc(`). A word alone on the
    line (`__BEGIN_DECLS`) or after a `)` (`f(void) __THROW __wur;`) is a macro too.
    """
    if _MACRO_SHAPE.search(data, a, b) is None or _COMMENT_LINE.match(data, a, b):
        return []
    toks = [(m.start(), m.end()) for m in _LINE_TOKEN.finditer(data, a, b)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if not _is_word(data, toks[i]):
            i += 1
            continue
        j = i
        while j < len(toks) and _is_word(data, toks[j]):
            j += 1
        words = [data[x:y] for x, y in toks[i:j]]
        prev = data[toks[i - 1][0] : toks[i - 1][1]] if i else b""
        follow = data[toks[j][0] : toks[j][1]] if j < len(toks) else b""
        shaped = [k for k, w in enumerate(words) if _MACRO_SHAPE.fullmatch(w)]
        if prev in (b")", b"]") or (len(words) == 1 and not prev and not follow):
            drop = shaped  # `) __THROW __wur`, `name[N] __NONSTRING`, or `__BEGIN_DECLS` alone
        elif len(words) == 1 and prev in (b"*", b"&") and not follow and _ATTRIBUTE_NAME.fullmatch(words[0]):
            drop = shaped  # `UBiDiTransform* U_EXPORT2` / `ubiditransform_open(...)`
        elif len(words) == 1 and prev == b"(" and follow == b"*" and _ATTRIBUTE_SUFFIX.fullmatch(words[0]):
            drop = shaped  # `typedef UDateFormat* (U_EXPORT2 *UDateFormatOpener)(...)`
        elif len(words) == 1 or prev == b"#":
            drop = []
        elif prev in (b"*", b"&"):  # after the pointer only qualifiers and the name: `void *U_CALLCONV f(`
            drop = [k for k in shaped if k < len(words) - 1]
        else:
            drop = _drop_in_specifiers(words, shaped, follow in _ENDS_SPECIFIERS)  # at the end of the
            # line, the declarator is on the next one (`U_STABLE void U_EXPORT2` / `u_init(...)`)
        spans += [toks[i + k] for k in drop]
        i = j
    return spans


def _is_word(data: bytes, tok: tuple[int, int]) -> bool:
    """A word of a declaration's specifiers (`__attribute__` and `asm` end the run, as a `(` would)."""
    c = data[tok[0]]
    return (c == 95 or 65 <= c <= 90 or 97 <= c <= 122) and data[tok[0] : tok[1]] not in _RUN_ENDS  # _ A-Z a-z


_RUN_ENDS = frozenset(b"__attribute__ __attribute __asm__ __asm asm __declspec".split())


def _drop_in_specifiers(words: list[bytes], shaped: list[int], last_is_name: bool) -> list[int]:
    """Which macro-shaped words of a declaration's word run are macros (see `_macro_words`)."""
    specs = len(words) - 1 if last_is_name else len(words)
    tag = next((k for k in range(specs) if words[k] in _TAG_KEYWORDS), None)
    if tag is not None:  # class head: the first word after the keyword not named like an attribute is the name
        name = next((k for k in range(tag + 1, len(words)) if not _ATTRIBUTE_SUFFIX.fullmatch(words[k])), None)
        if name is None:
            return []
        return [k for k in shaped if k > tag and k != name and (k < name or _ATTRIBUTE_SUFFIX.fullmatch(words[k]))]
    if any(w in _TYPE_KEYWORDS for w in words[:specs]):
        return [k for k in shaped if k < specs]
    names = [k for k in range(specs) if words[k] not in _C_KEYWORDS]
    if not names:
        return []
    plain = [k for k in names if not _ATTRIBUTE_NAME.fullmatch(words[k])]
    keep = plain[-1] if plain else names[-1]
    return [k for k in shaped if k < specs and k != keep]


_LISTS = frozenset({"enumerator_list", "initializer_list", "argument_list", "parameter_list"})
MAX_LONE_WORDS = 1000  # lone words checked per file (a tree query costs the tree's depth: 20,000 nested `#if`s)


def lone_words_in_lists(tree: Any, alone: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """The words blanked alone on their line (`blank_macro_words`) that were elements of an enum,
    initializer, argument or parameter list in `tree`, the parse without them: such a word is more
    likely one that lost its comma than a macro (all of them past MAX_LONE_WORDS)."""
    if len(alone) > MAX_LONE_WORDS:
        return alone
    root = tree.root_node
    found = []
    for offset, word in alone:
        node = root.descendant_for_byte_range(offset, offset + 1)
        for _ in range(3):  # through the `#if` nodes around it
            if node is None or node.type in _LISTS:
                break
            node = node.parent if node.type.startswith("preproc") or node.type == "ERROR" else None
        if node is not None and node.type in _LISTS:
            found.append((offset, word))
    return found


def put_back_list_words(data: bytes, tree: Any, alone: list[tuple[int, bytes]], starts: list[int]
                        ) -> tuple[bytes, list[tuple[int, int, int]], list[tuple[int, bytes]]]:
    """`data` with the words of `alone` that `lone_words_in_lists` finds in `tree` put back, the
    changed lines, and those words (taken out of `alone`)."""
    words = lone_words_in_lists(tree, alone)
    if not words:
        return data, [], []
    new, changed = restore_words(data, words, starts)
    alone[:] = [w for w in alone if w not in words]
    return new, changed, words


def line_starts(data: bytes) -> list[int]:
    """Offsets where the lines of `data` start. Every edit of a retry keeps the newlines where they
    are, so one list serves all of a file's rounds."""
    return [0] + [m.end() for m in _NEWLINE.finditer(data)]


def line_span(starts: list[int], data: bytes, row: int) -> tuple[int, int, int]:
    """(row, start, end) of a 0-based line, its newline left out."""
    return row, starts[row], starts[row + 1] - 1 if row + 1 < len(starts) else len(data)


def restore_words(data: bytes, words: list[tuple[int, bytes]], starts: list[int]) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with blanked `words` put back at their offsets, and the changed lines."""
    out = bytearray(data)
    for offset, word in words:
        out[offset : offset + len(word)] = word
    return bytes(out), [line_span(starts, data, bisect.bisect_right(starts, offset) - 1) for offset, _ in words]


def _directive_start(data: bytes, starts: list[int], line: int) -> int:
    """The first line of the directive that `line` continues (a `\\` ends each line before it), or
    `line` itself when no directive continues onto it."""
    first = line
    while first and line - first < MAX_DIRECTIVE_LINES and data[starts[first - 1] : starts[first]].rstrip(b" \t\r\n").endswith(b"\\"):
        first -= 1
    return first if first < line and _BLANKABLE_DIRECTIVE.match(data, starts[first]) else line


def blank_macro_words(data: bytes, lines: set[int], alone: list[tuple[int, bytes]] | None = None,
                      kept: frozenset[int] | set[int] = frozenset(), starts: list[int] | None = None
                      ) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with probable macros and grammar gaps blanked on the given 0-based lines (a caller passes
    the lines around its parse errors), and the changed lines as (line, start byte, end byte), for an
    incremental re-parse (`starts`: `line_starts(data)`, if the caller has it). A blanked directive
    takes its continuation lines with it. The words
    blanked alone on their line (`__BEGIN_DECLS`) are added to `alone` with their offsets; words
    at offsets in `kept` are left as they are.

    Callers accept the result only when it then parses cleanly: a word that was real code
    (`x = MAX;`) leaves an error behind when blanked, so a wrong guess changes no verdict. Except
    one: an enumerator alone on its line whose comma was lost (`RED` / `GREEN,`) parses once
    blanked, so callers also check `alone` with `lone_words_in_lists` and put those words back.
    """
    if not lines:
        return data, []
    out = bytearray(data)
    changed = []
    starts = line_starts(data) if starts is None else starts
    continued = -1  # last line of a blanked directive (with its `\\` continuation lines)
    for line in sorted(k for k in lines if 0 <= k < len(starts)):
        line = _directive_start(data, starts, line)  # a `/* comment */` in a `#define` body ends it for the grammar
        if line <= continued:
            continue
        a = starts[line]
        b = starts[line + 1] if line + 1 < len(starts) else len(data)
        if _BLANKABLE_DIRECTIVE.match(data, a, b):
            last = line
            while True:  # the directive and each line its `\\` continues onto
                end = b - 1 if data.endswith(b"\n", a, b) else b
                _blank(out, a, end)
                changed.append((last, a, end))
                if not data[a:end].rstrip(b" \t\r").endswith(b"\\") or last + 1 >= len(starts):
                    break
                last += 1
                a, b = b, starts[last + 1] if last + 1 < len(starts) else len(data)
            continued = last
            continue
        if (m := _MACRO_CALL_LINE.match(data, a, b) or _ANONYMOUS_BITFIELD.match(data, a, b)
                or _NULL_DIRECTIVE.match(data, a, b)) is not None or (
                line and (m := _CONTINUED_MACROS.match(data, a, b)) and data[max(0, a - 400) : a].rstrip().endswith(b")")
                and all(_ATTRIBUTE_NAME.fullmatch(w) for w in _WORD.findall(_PARENS_RE.sub(b"", m.group(0))))):
            _blank(out, a, m.end())
        else:
            if (m := _LEADING_MACRO_CALLS.match(data, a, b)) is not None:
                _blank(out, a, m.end())
            for m in _GRAMMAR_GAP.finditer(data, a, b):
                _blank(out, m.start(), m.end())
            for m in _TRAILING_MACRO_CALL.finditer(data, a, b):
                _blank(out, m.start(), m.end())
            spans = [span for span in _macro_words(data, a, b) if span[0] not in kept]
            for start, end in spans:
                _blank(out, start, end)
            if alone is not None and len(spans) == 1 and not out[a:b].strip():
                alone.append((spans[0][0], data[spans[0][0] : spans[0][1]]))
        if out[a:b] != data[a:b]:
            changed.append((line, a, b))
    return bytes(out), changed


# TypeScript the bundled grammar predates: `import("./m").T<...>` type queries and `export type * from`
# (TS 5.0). Blanking the import part keeps a valid type name; `export * from` stays a valid export.
_TS_NEWER = re.compile(rb"""\bimport\(\s*["'][^"'\n]*["']\s*\)\.|(?<=\bexport )type(?= \*)""")


def blank_newer_typescript(data: bytes) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with newer TypeScript forms blanked, and the changed lines (line, start, end)."""
    if b"import(" not in data and b"export type *" not in data:
        return data, []
    return _blank_matches(data, _TS_NEWER.finditer(data))


# Zig 0.12's destructuring, which the bundled grammar predates: `const a: T, const b: T = v;` and
# `a, b = .{ b, a };`. Blanking every target after the first leaves one valid declaration or
# assignment of the same value (the blanked names and types are not checked, the rest of the file is).
_ZIG_NAME = rb"@?[A-Za-z_][\w.]*"
_ZIG_TARGET = rb"(?:(?:const|var)[ \t]+)?" + _ZIG_NAME + rb"(?:[ \t]*:[ \t]*[^,=;\s][^,=;\n]*?)?"
_ZIG_DESTRUCTURE = re.compile(rb"(?m)^[ \t]*" + _ZIG_TARGET + rb"((?:[ \t]*,[ \t]*" + _ZIG_TARGET + rb")+)(?=[ \t]*=[^=])")


def blank_newer_zig(data: bytes) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with destructuring targets after the first blanked, and the changed lines."""
    if b"," not in data:
        return data, []
    return _blank_matches(data, _ZIG_DESTRUCTURE.finditer(data), group=1)


def _blank_matches(data: bytes, matches: Iterator[re.Match[bytes]], group: int = 0
                   ) -> tuple[bytes, list[tuple[int, int, int]]]:
    """`data` with the spans of `matches` (their `group`) blanked, and the changed lines."""
    out = bytearray(data)
    changed: dict[int, tuple[int, int, int]] = {}
    for m in matches:
        x, y = m.span(group)
        out[x:y] = b" " * (y - x)
        line = data.count(b"\n", 0, x)
        a = data.rfind(b"\n", 0, x) + 1
        b = data.find(b"\n", y)
        changed[line] = (line, a, len(data) if b < 0 else b)
    return bytes(out), list(changed.values())


#: the grammar-gap blanking of each language retried without its C-family machinery
NEWER_SYNTAX = {"typescript": blank_newer_typescript, "tsx": blank_newer_typescript, "zig": blank_newer_zig}
