"""Labelled text for the content classifier, from data every machine has offline.

* The shared benchmark corpus (`bench-data/corpus.jsonl`): labels come from file extensions,
  which are reliable except for `.h` (C, C++ and Objective-C share it). A header's label is
  derived from its project instead, never from its content: the compiled sources next to it
  (only `.c` -> C, only `.cc/.cpp` -> C++), or a few known header trees (zig's libc and clang
  headers -> C, libc++ / tsan / Arrow -> C++). Headers with no such evidence are left out.
* This machine's files (`/usr/share`, `/usr/lib`, `/usr/include`, `/etc`): Perl, Tcl, PHP, SQL,
  CMake, Makefiles, Vim script, shell scripts, markup and config formats, and C / C++ headers
  from `/usr/include` (libstdc++ and LLVM headers are C++, the rest C).

The held-out split is by directory (project + folder), so near-identical files of one folder
never sit on both sides, and a test text that also occurs in training is dropped.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

#: corpus languages with too few files to learn (kept to extensions and rules)
TOO_FEW = {"kotlin", "swift", "go", "csharp", "objective-c"}
TEST_SHARE = 10  # percent of groups held out
_SOURCE_KIND = {"c": "c", "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "hpp": "cpp"}


@dataclass
class Row:
    label: str
    group: str  # split unit: project + folder
    text: str
    origin: str  # "corpus", "corpus-header" or "machine"
    path: str


def stable_hash(s: str) -> int:
    return int.from_bytes(hashlib.sha1(s.encode("utf-8", "surrogatepass")).digest()[:8], "big")


def is_test(group: str) -> bool:
    return stable_hash(group) % 100 < TEST_SHARE


def _ext(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _known_header_tree(repo: str, path: str) -> str | None:
    """Header folders whose language is known from the project (no sources sit next to them)."""
    if repo.startswith("ziglang"):
        if "/objc/" in path:
            return "?"  # macOS Objective-C runtime headers: reported apart (bench/annotate_lang.py)
        if "/lib/libcxx" in path or "/lib/tsan/" in path:
            return "cpp"
        if "/lib/libc/" in path:
            return "c"
        if "/lib/include/" in path and not any(k in path for k in ("cuda", "hip", "openmp", "llvm_libc")):
            return "c"  # clang's resource headers: C (intrinsics, stdarg, ...)
    if repo.startswith("duckdb") and ("third_party/" in path or "extension/jemalloc/" in path):
        return "?"  # C libraries that duckdb renames to .cpp: C text compiled as C++, no single truth
    if repo.startswith("pyarrow") and "/vendored/" not in path and "/arrow/c/" not in path:
        if any(k in path for k in ("include/arrow/", "include/parquet/", "src/arrow/")):
            return "cpp"
    return None


def header_truth(repo: str, path: str, sources: dict[tuple[str, str], Counter]) -> str | None:
    """C or C++ for a corpus `.h` from its project, or None when the project does not say."""
    known = _known_header_tree(repo, path)
    if known:
        return None if known == "?" else known
    d = posixpath.dirname(path)
    while True:
        c = sources.get((repo, d))
        if c:
            if c["cpp"] and not c["c"]:
                return "cpp"
            if c["c"] and not c["cpp"]:
                return "c"
            return None
        if not d:
            return None
        d = posixpath.dirname(d)


def corpus_rows(path: Path) -> Iterator[Row]:
    """Every corpus file with a trustworthy label (two passes: sources first, then headers)."""
    sources: dict[tuple[str, str], Counter] = {}
    with open(path, "rb") as f:
        for line in f:
            r = orjson.loads(line)
            kind = _SOURCE_KIND.get(_ext(r["path"]))
            if kind:
                sources.setdefault((r["repo"], posixpath.dirname(r["path"])), Counter())[kind] += 1
    with open(path, "rb") as f:
        for line in f:
            r = orjson.loads(line)
            label, origin = r["lang"], "corpus"
            if label in TOO_FEW:
                continue
            if _ext(r["path"]) == "h":
                label, origin = header_truth(r["repo"], r["path"], sources), "corpus-header"
                if label is None:
                    continue
            project = r["repo"].split("==")[0]
            yield Row(label, f"{project}|{posixpath.dirname(r['path'])}", r["text"], origin, r["path"])


# --- this machine's files -------------------------------------------------------------------

_BY_EXT = {
    "pm": "perl", "pl": "perl", "tcl": "tcl", "php": "php", "sql": "sql", "cmake": "cmake", "mk": "makefile",
    "vim": "vim", "md": "markdown", "rst": "restructuredtext", "yaml": "yaml", "yml": "yaml", "toml": "toml",
    "json": "json", "xml": "xml", "html": "html", "css": "css", "ini": "ini", "cfg": "ini", "txt": "text",
    "patch": "diff", "diff": "diff", "sh": "shell", "h": "c",
}
_SHELLS = (b"#!/bin/sh", b"#!/bin/bash", b"#!/usr/bin/env bash", b"#!/usr/bin/env sh", b"#!/bin/dash")
ROOTS = ("/usr/share", "/usr/lib", "/usr/include", "/usr/bin", "/usr/sbin", "/etc")
MAX_BYTES = 200_000


def machine_label(path: str, head: bytes) -> str | None:
    """The language of one local file from its name (shell scripts from their shebang)."""
    name = path.rsplit("/", 1)[-1]
    if name == "CMakeLists.txt":
        return "cmake"
    if name in ("Makefile", "GNUmakefile", "makefile") or name.startswith("Makefile."):
        return "makefile"
    ext = _ext(path)
    if path.startswith("/usr/include/"):
        if ext == "h" or (not ext and "/c++/" in path):
            cpp = "/c++/" in path or path.startswith("/usr/include/llvm-1")
            return "cpp" if cpp else "c"
        return None
    if ext == "h":
        return None  # headers elsewhere have no trustworthy label
    if not ext and head.startswith(_SHELLS):
        return "shell"
    return _BY_EXT.get(ext)


def machine_rows(roots: tuple[str, ...] = ROOTS, cap: int = 3000, per_dir: int = 40) -> Iterator[Row]:
    """Up to `cap` files per language and `per_dir` per folder under `roots`, chosen by a hash of
    the path (deterministic for a given machine; the folder cap keeps one big table-like folder
    from standing for a whole language); skipped: links, binaries, non-UTF-8, empty, large."""
    chosen: dict[str, list[str]] = {}
    dirs: Counter = Counter()
    for p in sorted(_candidates(roots), key=stable_hash):
        head = _read(p, 64) if not _ext(p) else b""
        label = machine_label(p, head or b"")
        folder = os.path.dirname(p)
        if label is not None and len(chosen.setdefault(label, [])) < cap and dirs[folder] < per_dir:
            chosen[label].append(p)
            dirs[folder] += 1
    for label in sorted(chosen):
        for p in chosen[label]:
            raw = _read(p, MAX_BYTES + 1)
            if raw is None or len(raw) > MAX_BYTES or not raw.strip() or b"\0" in raw[:8192]:
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            yield Row(label, f"machine|{os.path.dirname(p)}", text, "machine", p)


def _candidates(roots: tuple[str, ...]) -> Iterator[str]:
    """Regular files under `roots`, outside Python packages (those are the corpus's job)."""
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "dist-packages"))
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                if os.path.isfile(p) and not os.path.islink(p):
                    yield p


def _read(path: str, n: int) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return None


def all_rows(corpus: Path, roots: tuple[str, ...] = ROOTS, min_rows: int = 30) -> list[Row]:
    """Corpus and machine rows, without languages that have fewer than `min_rows` files."""
    rows = list(corpus_rows(corpus)) + list(machine_rows(roots))
    counts = Counter(r.label for r in rows)
    return [r for r in rows if counts[r.label] >= min_rows]


def split(rows: list[Row]) -> tuple[list[int], list[int]]:
    """(train, test) indices: held-out folders, minus test texts that also occur in training."""
    train = [i for i, r in enumerate(rows) if not is_test(r.group)]
    seen = {hashlib.sha1(rows[i].text.encode("utf-8", "surrogatepass")).digest() for i in train}
    test = [i for i, r in enumerate(rows) if is_test(r.group)
            and hashlib.sha1(r.text.encode("utf-8", "surrogatepass")).digest() not in seen]
    return train, test
