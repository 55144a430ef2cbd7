"""One place to parse code: tree-sitter for many languages, cached per record so that ops in the
same map segment never parse the same text twice.

`tree_of(rec)` returns the tree-sitter tree of `rec["text"]` for its `lang` (None for languages
without a grammar) and keeps it on the record under a worker-private key (never written to
disk). An op that changes `text` simply makes the cache stale: it is keyed by the text object.
"""

from __future__ import annotations

import ast
import time
import warnings
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from codemill.record import utf8_of

#: codemill language name -> tree-sitter-language-pack grammar name
GRAMMARS: dict[str, str] = {
    "python": "python", "cython": "python", "javascript": "javascript", "typescript": "typescript",
    "java": "java", "kotlin": "kotlin", "scala": "scala", "c": "c", "c-header": "cpp", "cpp": "cpp",
    "cuda": "cuda", "csharp": "csharp", "go": "go", "rust": "rust", "zig": "zig", "swift": "swift",
    "ruby": "ruby", "php": "php", "lua": "lua", "shell": "bash", "objective-c": "objc",
    "haskell": "haskell", "ocaml": "ocaml", "elixir": "elixir", "erlang": "erlang", "dart": "dart",
    "r": "r", "julia": "julia", "perl": "perl", "sql": "sql", "html": "html", "css": "css",
    "json": "json", "yaml": "yaml", "toml": "toml", "make": "make", "makefile": "make",
    "cmake": "cmake", "dockerfile": "dockerfile", "groovy": "groovy", "fortran": "fortran",
    "verilog": "verilog", "solidity": "solidity", "vue": "vue", "svelte": "svelte",
}

_CACHE_KEY = "_ts_tree"  # (text object, tree)


@cache
def parser_for(lang: str) -> Any | None:
    """A tree-sitter parser for a codemill language name, or None if there is no grammar."""
    name = GRAMMARS.get(lang)
    if name is None:
        return None
    from tree_sitter_language_pack import get_parser

    try:
        return get_parser(name)  # type: ignore[arg-type]
    except (LookupError, ValueError, OSError):
        return None


def has_grammar(lang: str | None) -> bool:
    return lang is not None and parser_for(lang) is not None


def parse(text: str, lang: str) -> Any | None:
    parser = parser_for(lang)
    if parser is None:
        return None
    return parser.parse(text.encode("utf-8", "surrogatepass"))


def tree_of(rec: dict[str, Any]) -> Any | None:
    """The tree-sitter tree of the record's current text, parsed at most once per text."""
    return tree_of_limited(rec, None)


# --- Additions for the clean stage: bounded parsing and error locations. ---------------------------

_CHUNK = 1 << 20  # bytes handed to tree-sitter per read callback (a view, no copy)


class ParseTimeout(Exception):
    """A tree-sitter parse ran past its time limit (pathological input, e.g. a 10 MB one-line literal)."""


#: file extensions whose grammar differs from their language's (TSX is TypeScript plus JSX)
EXT_GRAMMARS: dict[str, str] = {".tsx": "tsx"}
GRAMMARS.update({g: g for g in EXT_GRAMMARS.values()})  # so `parser_for("tsx")` finds the grammar


def grammar_lang(lang: str, path: str | None) -> str:
    """The key for `parser_for`: the language, or a grammar chosen by the file extension."""
    if path:
        dot = path.rfind(".")
        if dot >= 0:
            return EXT_GRAMMARS.get(path[dot:].lower(), lang)
    return lang


def parse_bytes(lang: str, data: bytes, timeout_s: float | None = None, old_tree: Any | None = None) -> Any | None:
    """Parse UTF-8 bytes; with `timeout_s`, give up (ParseTimeout) instead of running for minutes.

    tree-sitter only offers cancellation through the progress callback of the read-callback form,
    which it calls every few hundred parse operations; the cost of the callback is not measurable.
    `lang` is a codemill language or a grammar name from `EXT_GRAMMARS`. `old_tree` (edited with
    `Tree.edit` to match `data`) makes it an incremental re-parse of the changed parts only.
    """
    parser = parser_for(lang)
    if parser is None:
        return None
    old = () if old_tree is None else (old_tree,)
    if timeout_s is None:
        return parser.parse(data, *old)
    view = memoryview(data)
    deadline = time.monotonic() + timeout_s
    try:
        return parser.parse(lambda off, _pt: view[off : off + _CHUNK], *old,
                            progress_callback=lambda _off, _err: time.monotonic() > deadline)
    except ValueError:  # "Parsing failed": the callback cancelled it
        parser.reset()
        raise ParseTimeout(f"tree-sitter parse over {timeout_s:g} s") from None


def tree_of_limited(rec: dict[str, Any], timeout_s: float | None) -> Any | None:
    """`tree_of` with a time limit. A parse that runs out of time caches "no tree" for this text, so
    later ops calling `tree_of` get None instead of parsing the pathological text again."""
    text, lang = rec.get("text"), rec.get("lang")
    if text is None or lang is None:
        return None
    cached = rec.get(_CACHE_KEY)
    if cached is not None and cached[0] is text:
        return cached[1]
    try:
        tree = parse_bytes(grammar_lang(lang, rec.get("path")), utf8_of(rec), timeout_s)
    except ParseTimeout:
        rec[_CACHE_KEY] = (text, None)
        raise
    rec[_CACHE_KEY] = (text, tree)
    return tree


def remember_tree(rec: dict[str, Any], tree: Any | None) -> None:
    """Cache a tree an op already parsed for the record's current text (e.g. with another grammar
    chosen by extension, or the tree of a repaired text), so `tree_of` does not parse again."""
    rec[_CACHE_KEY] = (rec.get("text"), tree)


def error_nodes(tree: Any) -> Iterator[Any]:
    """Outermost ERROR and MISSING nodes in document order. Iterative and pruned: only subtrees that
    contain an error are entered, so a clean 5,000-deep tree costs nothing and never recurses."""
    return (site.node for site in error_sites(tree))


class ErrorSite(NamedTuple):
    """An error node with its neighbourhood, as the walk found it: `Node.parent` and
    `Node.prev_sibling` search down from the root, which costs the depth squared (12 s for one
    call at 20,000 nested `#if`s), so callers read them from here."""

    node: Any
    parent: Any | None  # None: the node is the root
    siblings: list[Any]  # the parent's children ([] for the root)
    index: int  # the node's position among them
    depth: int  # 0 for the root's children


def error_sites(tree: Any) -> Iterator[ErrorSite]:
    """`error_nodes`, with each node's parent, siblings and depth."""
    root = tree.root_node
    if root.is_error or root.is_missing:
        yield ErrorSite(root, None, [], 0, -1)
        return
    stack: list[tuple[Any, Any, list[Any], int, int]] = []
    if root.has_error:
        kids = root.children
        stack.extend((kids[i], root, kids, i, 0) for i in _with_errors(kids))
    while stack:
        node, parent, siblings, index, depth = stack.pop()
        if node.is_error or node.is_missing or node.child_count == 0:  # a leaf with an error: a MISSING token
            # the grammar hides (tree-sitter-zig's `IDENTIFIER` of `const = x;` holds its missing token)
            yield ErrorSite(node, parent, siblings, index, depth)
        else:
            kids = node.children
            stack.extend((kids[i], node, kids, i, depth + 1) for i in _with_errors(kids))


def _with_errors(kids: list[Any]) -> list[int]:
    """Indices of the children that are or hold an error, last first (for a stack); only those are
    entered, so an initializer of a million numbers with one error costs one pass over them."""
    return [i for i in range(len(kids) - 1, -1, -1) if kids[i].has_error or kids[i].is_missing]


_AST_KEY = "_py_ast"  # (text object, ast.Module)


def ast_of(rec: dict[str, Any]) -> ast.Module | None:
    """Python `ast` of the record's current text (None if it does not parse), parsed at most once.

    Deep nesting gives None (RecursionError/MemoryError caught), never a crash.
    """
    text = rec.get("text")
    if text is None:
        return None
    cached = rec.get(_AST_KEY)
    if cached is not None and cached[0] is text:
        return cached[1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    rec[_AST_KEY] = (text, tree)
    return tree
