"""Syntax verdicts from tree-sitter trees: first error (line, column, what), error ratio.

tree-sitter recovers from errors by wrapping unparsable text in ERROR nodes and inserting
zero-width MISSING nodes; a tree is valid when its root has no error. Messages name grammar
symbols ("unexpected 'identifier' in argument_list", "missing ';'"), never source text, so the
`syntax_error` column cannot leak a secret that a later `redact` removes from `text`.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

from codemill.clean.pycheck import OK, SYNTAX_ERROR, Verdict
from codemill.parse import ErrorSite, error_sites, parser_for

MAX_ERROR_NODES = 1000


def _char_col(data: bytes, node_start: int, byte_col: int) -> int:
    """1-based column in characters of a byte offset (tree-sitter columns are bytes)."""
    return len(data[node_start - byte_col : node_start].decode("utf-8", "replace")) + 1


def _describe(site: ErrorSite) -> str:
    node = site.node
    if node.is_missing or (node.child_count == 0 and not node.is_error):  # a leaf holding a hidden MISSING token
        return f"missing {node.type!r}"
    leaf = node
    while leaf.child_count:
        leaf = leaf.children[0]
    what = "character" if leaf.is_error else repr(leaf.type)
    where = f" in {site.parent.type}" if site.parent is not None and site.depth > 0 else ""
    return f"unexpected {what}{where}"


def tree_verdict(tree: Any, data: bytes) -> tuple[Verdict, float]:
    """(verdict, error_ratio): the first error and the share of bytes inside ERROR nodes.

    A MISSING node counts as one byte, so a file whose only flaw is a missing `;` still has a
    ratio above zero. Only subtrees containing errors are visited.
    """
    root = tree.root_node
    if not root.has_error:
        return OK, 0.0
    first = None
    bad = 0
    for seen, site in enumerate(error_sites(tree)):
        node = site.node
        if first is None:
            first = site
        bad += max(1, node.end_byte - node.start_byte)  # a MISSING node or an empty leaf counts one byte
        if seen >= MAX_ERROR_NODES:  # hopeless files: the ratio is a lower bound, enough to rank them
            break
    if first is None:  # has_error but no ERROR/MISSING node anywhere: a grammar quirk (seen in
        return OK, 0.0  # tree-sitter-c on `#define X 1 /* c */ ` with trailing blanks), not an error
    row, col = first.node.start_point
    verdict = Verdict(False, row + 1, _char_col(data, first.node.start_byte, col), _describe(first), SYNTAX_ERROR)
    return verdict, min(1.0, bad / max(1, len(data)))


def only_tolerated(tree: Any, src: bytes, grammar: str, limit: int = 50) -> bool:
    """Are all of the errors (at most `limit`) of `tree`, the parse of `src`, what the compiler of
    `grammar` accepts?

    gcc's C, with a warning: a missing `;` after the last member of a struct or union ("no semicolon
    at end of struct or union"), a typedef that names nothing (`typedef unsigned ;`, `typedef struct
    {...} ;`: "useless type name in empty declaration") and a declaration that declares nothing
    (`static struct S {...};`, `extern enum {...};`: "useless storage class specifier in empty
    declaration"); g++ rejects all three. g++: an anonymous union with internal linkage
    (`static union {...};`, `const union {...};`), where tree-sitter wants a declarator. For a tree
    of the file as it is: after a macro retry, a typedef's name may be a word the retry blanked."""
    if grammar == "c":
        tolerated = _tolerated_by_gnu_c
    elif grammar in ("cpp", "cuda"):
        tolerated = _anonymous_union
    else:
        return False
    sites = list(itertools.islice(error_sites(tree), limit + 1))
    return 0 < len(sites) <= limit and all(site.node.is_missing and site.parent is not None and tolerated(site, src)
                                           for site in sites)


def _tolerated_by_gnu_c(site: ErrorSite, src: bytes) -> bool:
    node, parent = site.node, site.parent
    if node.type == ";":
        return parent.type == "field_declaration" and parent.next_sibling is not None and parent.next_sibling.type == "}"
    if node.type == "type_identifier":
        return parent.type == "type_definition"
    return (_empty_declaration(site) is not None
            and all(_text(c, src) in (b"static", b"extern") for c in parent.children if c.type == "storage_class_specifier"))


def _anonymous_union(site: ErrorSite, src: bytes) -> bool:
    spec = _empty_declaration(site)
    if spec is None or spec.type != "union_specifier" or spec.child_by_field_name("name") is not None \
            or spec.child_by_field_name("body") is None:
        return False
    words = {_text(c, src) for c in site.parent.children if c.type in ("storage_class_specifier", "type_qualifier")}
    return words <= {b"static", b"const", b"volatile"} and bool(words & {b"static", b"const"})


def _empty_declaration(site: ErrorSite) -> Any | None:
    """The type of the declaration whose only declarator is the MISSING identifier at `site`
    (`static union {...} <missing>;`), or None."""
    node, parent = site.node, site.parent
    if node.type != "identifier" or parent.type != "declaration" or parent.child_by_field_name("declarator") != node:
        return None
    after = site.siblings[site.index + 1 :]
    if len(after) != 1 or after[0].type != ";":
        return None
    spec = parent.child_by_field_name("type")
    if spec is None or any(c.type not in ("storage_class_specifier", "type_qualifier")
                           for c in site.siblings[: site.index] if c != spec):
        return None
    return spec


def _text(node: Any, src: bytes) -> bytes:
    return src[node.start_byte : node.end_byte]


# --- What real parsers reject although the grammar accepts it --------------------------------------

#: what may stand at the top level of a Go file (tree-sitter-go also takes statements there)
GO_TOP_LEVEL = frozenset({
    "package_clause", "import_declaration", "function_declaration", "method_declaration", "type_declaration",
    "const_declaration", "var_declaration", "comment"})


def go_rule(tree: Any, data: bytes) -> Verdict | None:
    """gofmt's parser errors the grammar misses: no package clause, a statement at the top level
    (`"net/url"` without `import`, `F1() {}` without `func`, a file cut after `typ`), an empty
    import path, and a parameter list mixing named and unnamed parameters (`f(a int, *T)`)."""
    children = tree.root_node.named_children  # `;` between declarations is fine
    if not any(c.type == "package_clause" for c in children):
        return Verdict(False, data.count(b"\n") + 1, None, "missing package clause", SYNTAX_ERROR)
    for node in children:
        if node.type not in GO_TOP_LEVEL:
            return _at(node, f"expected declaration, found {node.type}")
        if node.type == "import_declaration":
            for path in _import_paths(node):
                if path.end_byte - path.start_byte <= 2:  # `""`
                    return _at(path, "invalid import path")
        elif node.type in ("function_declaration", "method_declaration"):
            for field in ("parameters", "result"):
                params = node.child_by_field_name(field)
                if params is not None and params.type == "parameter_list" and _mixed(params):
                    return _at(params, "mixed named and unnamed parameters")
    return None


def _import_paths(node: Any) -> list[Any]:
    specs = [c for c in node.named_children if c.type == "import_spec"]
    for c in node.named_children:
        if c.type == "import_spec_list":
            specs += [s for s in c.named_children if s.type == "import_spec"]
    return [p for s in specs if (p := s.child_by_field_name("path")) is not None]


def _mixed(params: Any) -> bool:
    """Go's rule: all parameters named or none. tree-sitter may read the leading names of
    `(trap, a1 uintptr)` as unnamed parameters of type `trap`: a bare name followed later by a
    named parameter is a name, so only an unnamed non-name type (`*T`, `pkg.T`, `[]T`) or a bare
    name at the end (`(a int, b)`) mixes the two."""
    decls = [p for p in params.named_children if p.type in ("parameter_declaration", "variadic_parameter_declaration")]
    if not any(p.child_by_field_name("name") is not None for p in decls):
        return False
    for k, p in enumerate(decls):
        if p.child_by_field_name("name") is None:
            kind = p.child_by_field_name("type")
            if p.type != "parameter_declaration" or kind is None or kind.type != "type_identifier" or k == len(decls) - 1:
                return True
    return False


_RUBY_KEYWORD = re.compile(rb"\b(?:end|else|elsif|then|do|rescue|ensure|when)\b(?![?!:])")
_RUBY_VARIABLE_CALL = re.compile(rb"(?<![\w@$])(?:@@?|\$)[A-Za-z_]\w*[ \t]+(?=[\w\"':@$\[(-])")
_KEYWORD_NAME_PARENTS = frozenset({"method", "singleton_method", "alias", "undef", "keyword_parameter"})
_VARIABLES = frozenset({"instance_variable", "class_variable", "global_variable"})


ZIG_COMMENTS = frozenset({"line_comment", "doc_comment", "container_doc_comment"})


@functools.cache
def _zig_query() -> Any:
    from tree_sitter import Query

    return Query(parser_for("zig").language, "(ContainerDecl) @container (Decl (FnProto) @proto)")


def zig_rule(tree: Any, data: bytes) -> Verdict | None:
    """Zig's errors the grammar misses: a container field not followed by `,` unless it is the last
    ("expected ',' after field", `a: u8` / `b: u8,`) and a function declaration without a name
    ("missing function name", `fn (p: *P) void {...}`). A tree-sitter query finds the candidates
    (0.04 s on the 1.2 MB of Zig in the 10% corpus), so no walk in Python."""
    from tree_sitter import QueryCursor

    found: list[tuple[int, Verdict]] = []
    captures = QueryCursor(_zig_query()).captures(tree.root_node)
    for proto in captures.get("proto", []):
        if proto.child_by_field_name("function") is None:
            found.append((proto.start_byte, _at(proto, "missing function name")))
    for container in captures.get("container", []):
        kids = [k for k in container.children if k.type not in ZIG_COMMENTS]
        for field, after in itertools.pairwise(kids):
            if field.type == "ContainerField" and after.type not in (",", "}"):
                row, col = field.end_point
                found.append((field.end_byte, Verdict(False, row + 1, col + 1, "expected ',' after field", SYNTAX_ERROR)))
    return min(found, key=lambda f: f[0])[1] if found else None


def ruby_rule(tree: Any, data: bytes) -> Verdict | None:
    """`ruby -c` errors the grammar misses: a keyword left without its construct (a stray `end`
    after a deleted `def`/`class`/`do`, which tree-sitter-ruby reads as a method call named `end`),
    and a variable called with arguments (`@parser nil`)."""
    root = tree.root_node
    for m in _RUBY_KEYWORD.finditer(data):
        node = root.named_descendant_for_byte_range(m.start(), m.end())
        if node is None or node.type != "identifier" or node.start_byte != m.start() or node.end_byte != m.end():
            continue  # the keyword itself, or part of a longer name
        parent = node.parent
        if parent is not None and (parent.type in _KEYWORD_NAME_PARENTS or (
                parent.type == "call" and parent.child_by_field_name("receiver") is not None)):
            continue  # `def end`, `range.end`
        return _at(node, f"unexpected keyword {m.group(0).decode()!r}")
    for m in _RUBY_VARIABLE_CALL.finditer(data):
        node = root.named_descendant_for_byte_range(m.start(), m.start() + 1)
        while node is not None and node.type not in _VARIABLES and node.end_byte <= m.end():
            node = node.parent
        if node is not None and node.type in _VARIABLES:
            parent = node.parent
            if parent is not None and parent.type == "call" and parent.child_by_field_name("method") == node:
                return _at(node, f"unexpected argument after {node.type}")
    return None


#: C's type keywords: never the name in a declarator (`typedef unsigned long [18];` lost its name, and
#: tree-sitter reads `long` as one; `size_t` and the other typedef names it also calls primitive are valid)
_C_TYPE_KEYWORDS = frozenset(b"char short int long float double void signed unsigned _Bool _Complex".split())
_SIZE_MODIFIERS = frozenset({"signed", "unsigned", "long", "short"})  # node types, and words
_C_KEYWORDS = _C_TYPE_KEYWORDS | frozenset(
    b"auto const extern inline register restrict static struct typedef union enum volatile return".split())
# Each pattern starts with a literal, which Python's `re` finds by a fast search: an alternation or a
# `\b` first costs 0.1-0.3 s per pattern on the 26 MB of C-family code of the 10% corpus, these 0.02 s.
_KEYWORD_NAME = re.compile(rb"typedef[^;{}]*?(" + b"|".join(sorted(_C_TYPE_KEYWORDS)) + rb")[ \t]*\[")
#: a name between size keywords: a declaration that lost its `;` meets the next one (`unsigned long
#: arm_ip` / `unsigned long arm_sp;`, which tree-sitter reads as one type); `signed` also finds `unsigned`
_NAME_BETWEEN_SIZES = [
    re.compile(first + rb"[ \t]+(?:(?:long|short)[ \t]+)*([A-Za-z_]\w*)[ \t]*\r?\n?[ \t]*(?:"
               + "|".join(sorted(_SIZE_MODIFIERS)).encode() + rb")\b")
    for first in (rb"signed", rb"long", rb"short")]
_UNSIZED_ARRAY = re.compile(rb"\[[ \t]*\][ \t]*;")
_ANONYMOUS_CLASS = [re.compile(rb"struct\s*\{"), re.compile(rb"class\s*\{"), re.compile(rb"union\s*\{")]
_CLASS_SPECIFIERS = frozenset({"struct_specifier", "class_specifier", "union_specifier"})
_NAMESPACE_SCOPES = frozenset({"translation_unit", "declaration_list", "template_declaration"})
MAX_CANDIDATES = 1000  # per pattern and file: each costs a tree lookup of the depth (20,000 nested `#if`s)


def c_declaration_rule(tree: Any, src: bytes, grammar: str) -> Verdict | None:
    """What gcc/g++ reject in declarations although the grammar accepts them: a type keyword as the
    declared name (`typedef unsigned long [18];`), two declarations run together by a lost `;`
    (`unsigned long a` / `unsigned long b;`, read as `unsigned long <type a> unsigned long b`); in C
    and Objective-C a flexible array member that is not the last member or sits in a union; in C++
    a struct or class without a name that declares nothing outside a class (`struct { };`: C only warns),
    and an anonymous union there that is not static (`union { int a; };`; `static union {...};` is
    valid, `only_tolerated` accepts it).

    Byte patterns of `src` (the text with only inactive branches blanked) find the candidates, the
    tree confirms each at its offset, so no walk over the tree is made; an array whose size a macro
    retry blanked in `tree` is not empty in `src`, so it never counts as flexible."""
    root = tree.root_node
    for m in _candidates([_KEYWORD_NAME], src):
        node = root.named_descendant_for_byte_range(m.start(1), m.end(1))
        if node is not None and node.type == "primitive_type" and src[node.start_byte : node.end_byte] in _C_TYPE_KEYWORDS:
            parent = node.parent
            if parent is not None and parent.type == "array_declarator" and parent.child_by_field_name("declarator") == node:
                return _at(node, "expected identifier before '['")
    for m in _candidates(_NAME_BETWEEN_SIZES, src):
        if m.group(1) in _C_KEYWORDS:
            continue
        node = root.named_descendant_for_byte_range(m.start(1), m.end(1))
        if node is None or node.type != "type_identifier" or node.start_byte != m.start(1):
            continue
        parent = node.parent
        if parent is None or parent.type != "sized_type_specifier":
            continue
        first = parent.children[0]
        after = next((c for c in parent.children if c.start_byte >= node.end_byte), None)
        # a size keyword on both sides: `MACRO unsigned f(...)` (an attribute macro) has none before
        if first.end_byte <= node.start_byte and after is not None \
                and first.type in _SIZE_MODIFIERS and after.type in _SIZE_MODIFIERS:
            return _at(after, f"expected ';' before {after.type!r}")
    if grammar in ("c", "objective-c"):
        for m in _candidates([_UNSIZED_ARRAY], src):
            if (bad := _flexible_member_error(root, m.start())) is not None:
                return bad
        return None
    for m in _candidates(_ANONYMOUS_CLASS, src):
        head = root.descendant_for_byte_range(m.start(), m.start() + 1)
        spec = head.parent if head is not None and head.type in ("struct", "class", "union") else None
        if spec is not None and spec.type in _CLASS_SPECIFIERS and spec.start_byte == m.start() \
                and spec.child_by_field_name("name") is None and spec.parent is not None \
                and spec.parent.type in _NAMESPACE_SCOPES:
            kind = spec.type.split("_")[0]
            return _at(spec, "anonymous union at namespace scope must be static" if kind == "union"
                       else f"anonymous {kind} declares nothing")
    return None


def _candidates(patterns: list[re.Pattern[bytes]], src: bytes) -> Iterator[re.Match[bytes]]:
    """The matches of each pattern in `src`, at most MAX_CANDIDATES of each."""
    for pattern in patterns:
        yield from itertools.islice(pattern.finditer(src), MAX_CANDIDATES)


def _flexible_member_error(root: Any, bracket: int) -> Verdict | None:
    """gcc's error for the unsized array member whose `[` is at `bracket`, if it is one and misplaced."""
    node = root.descendant_for_byte_range(bracket, bracket + 1)
    while node is not None and node.type != "array_declarator":
        node = node.parent if node.type in ("[", "]") else None
    field = node.parent if node is not None else None
    if field is None or field.type != "field_declaration" or field.child_by_field_name("declarator") != node \
            or node.child_by_field_name("size") is not None:
        return None
    body = field.parent
    if body is None or body.type != "field_declaration_list":
        return None
    if body.parent is not None and body.parent.type == "union_specifier":
        return _at(node, "flexible array member in union")
    later = field.next_named_sibling
    while later is not None and later.type == "comment":
        later = later.next_named_sibling
    if later is not None and later.type == "field_declaration":
        return _at(node, "flexible array member not at end of struct")
    return None


def _at(node: Any, message: str) -> Verdict:
    row, col = node.start_point
    return Verdict(False, row + 1, col + 1, message, SYNTAX_ERROR)
