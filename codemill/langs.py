"""Language from file name and shebang: the cheap first guess every source reader makes.

Names follow GitHub linguist / The Stack (lower case). A content classifier refines this later
(`language` op); here only what the name or the first line says for certain.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_EXT: dict[str, str] = {}
for _lang, _exts in {
    "python": "py pyw pyi",
    "cython": "pyx pxd pxi",
    "javascript": "js mjs cjs jsx",
    "typescript": "ts mts cts tsx",
    "java": "java",
    "kotlin": "kt kts",
    "scala": "scala sc",
    "groovy": "groovy gradle",
    "c": "c",
    "c-header": "h",
    "cpp": "cc cpp cxx c++ hh hpp hxx h++ ipp inl tcc",
    "cuda": "cu cuh",
    "objective-c": "m",
    "objective-cpp": "mm",
    "csharp": "cs",
    "fsharp": "fs fsi fsx",
    "go": "go",
    "rust": "rs",
    "zig": "zig",
    "swift": "swift",
    "ruby": "rb rake gemspec",
    "php": "php phtml",
    "perl": "pl pm t",
    "lua": "lua",
    "r": "r",
    "julia": "jl",
    "haskell": "hs lhs",
    "ocaml": "ml mli",
    "elixir": "ex exs",
    "erlang": "erl hrl",
    "clojure": "clj cljs cljc edn",
    "dart": "dart",
    "shell": "sh bash zsh ksh",
    "fish": "fish",
    "powershell": "ps1 psm1 psd1",
    "batchfile": "bat cmd",
    "sql": "sql",
    "html": "html htm xhtml",
    "css": "css",
    "scss": "scss sass",
    "less": "less",
    "vue": "vue",
    "svelte": "svelte",
    "json": "json jsonl geojson ipynb",
    "yaml": "yaml yml",
    "toml": "toml",
    "xml": "xml xsd xsl xslt svg plist",
    "ini": "ini cfg conf",
    "markdown": "md markdown",
    "restructuredtext": "rst",
    "tex": "tex sty cls",
    "text": "txt",
    "diff": "diff patch",
    "makefile": "mk mak",
    "cmake": "cmake",
    "dockerfile": "dockerfile",
    "protobuf": "proto",
    "thrift": "thrift",
    "graphql": "graphql gql",
    "assembly": "s asm",
    "fortran": "f f90 f95 f03 for",
    "matlab": "mat",
    "vim": "vim",
    "nix": "nix",
    "terraform": "tf hcl",
    "solidity": "sol",
    "verilog": "v sv svh",
    "vhdl": "vhd vhdl",
}.items():
    for _e in _exts.split():
        _EXT[_e] = _lang

_FILENAMES: dict[str, str] = {
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "cmakelists.txt": "cmake",
    "rakefile": "ruby",
    "gemfile": "ruby",
    "vagrantfile": "ruby",
    "jenkinsfile": "groovy",
    "build.gradle": "groovy",
    ".bashrc": "shell",
    ".bash_profile": "shell",
    ".zshrc": "shell",
    ".profile": "shell",
    "pkgbuild": "shell",
    "meson.build": "meson",
    "build": "starlark",
    "build.bazel": "starlark",
    "workspace": "starlark",
}

_SHEBANG: dict[str, str] = {
    "python": "python", "python2": "python", "python3": "python", "pypy": "python", "pypy3": "python",
    "sh": "shell", "bash": "shell", "dash": "shell", "zsh": "shell", "ksh": "shell", "ash": "shell",
    "node": "javascript", "nodejs": "javascript", "deno": "typescript", "bun": "javascript",
    "ts-node": "typescript", "ruby": "ruby", "perl": "perl", "perl5": "perl", "php": "php",
    "lua": "lua", "luajit": "lua", "Rscript": "r", "julia": "julia", "fish": "fish",
    "pwsh": "powershell", "tclsh": "tcl", "wish": "tcl", "awk": "awk", "gawk": "awk",
    "make": "makefile", "elixir": "elixir", "escript": "erlang", "scala": "scala", "groovy": "groovy",
    "swift": "swift", "kotlin": "kotlin",
}
_SHEBANG_RE = re.compile(rb"^#![ \t]*(\S+)(?:[ \t]+(\S+))?")
_VERSIONED = re.compile(r"^(python|perl|ruby|lua|php|node)[\d.]*$")


def from_name(path: str) -> str | None:
    p = PurePosixPath(path)
    name = p.name.lower()
    if name in _FILENAMES:
        return _FILENAMES[name]
    if name.endswith(".d.ts"):
        return "typescript"
    if name.startswith("makefile.") or name.endswith(".mk"):
        return "makefile"
    if name.startswith("dockerfile."):
        return "dockerfile"
    suffix = p.suffix.lower().lstrip(".")
    return _EXT.get(suffix) if suffix else None


def from_shebang(head: bytes) -> str | None:
    """`#!/usr/bin/env python3 -u` -> python. `head` is the first bytes of the file."""
    m = _SHEBANG_RE.match(head)
    if not m:
        return None
    prog = m.group(1).decode("latin-1").rsplit("/", 1)[-1]
    if prog == "env" and m.group(2):
        prog = m.group(2).decode("latin-1")
        if prog == "-S":  # env -S "python3 -u"
            rest = head[m.end():].split(None, 1)
            prog = rest[0].decode("latin-1") if rest else prog
    if prog in _SHEBANG:
        return _SHEBANG[prog]
    v = _VERSIONED.match(prog)
    return _SHEBANG.get(v.group(1)) if v else None


def detect(path: str, head: bytes | None) -> str | None:
    """Extension/filename first; a shebang decides for files without a known name."""
    lang = from_name(path)
    if lang is None and head:
        lang = from_shebang(head)
    return lang
