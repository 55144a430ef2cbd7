"""One place to parse code: tree-sitter for many languages, cached per record so that ops in the
same map segment never parse the same text twice.

`tree_of(rec)` returns the tree-sitter tree of `rec["text"]` for its `lang` (None for languages
without a grammar) and keeps it on the record under a worker-private key (never written to
disk). An op that changes `text` simply makes the cache stale: it is keyed by the text object.
"""

from __future__ import annotations

from functools import cache
from typing import Any

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
    text, lang = rec.get("text"), rec.get("lang")
    if text is None or lang is None:
        return None
    cached = rec.get(_CACHE_KEY)
    if cached is not None and cached[0] is text:
        return cached[1]
    tree = parse(text, lang)
    rec[_CACHE_KEY] = (text, tree)
    return tree
