"""structural_dedup and normalized_dedup on real code: renamed, reformatted and re-commented copies of
standard-library functions and of numpy's C headers."""

from __future__ import annotations

import io
import random
import tokenize
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import codemill
from codemill.dedup.fingerprint import python_fingerprint
from codemill.dedup.normalized import normalized_hash
from codemill.dedup.structural import fingerprint
from codemill.parse import parse
from tests.conftest import STDLIB
from tests.test_dedup_renamer import MODULES, canonical, rename, stdlib_functions


@pytest.fixture(scope="module")
def functions() -> list[tuple[str, str]]:
    return stdlib_functions(MODULES)


def test_every_scope_aware_renaming_is_caught(functions) -> None:
    """Every function, renamed with two different seeds, keeps its fingerprint."""
    for name, src in functions:
        fp = python_fingerprint(src)[0]
        for seed in (1, 2):
            assert python_fingerprint(rename(src, seed))[0] == fp, name


def test_merges_only_true_clones(functions) -> None:
    """Equal fingerprints <=> equal canonical forms computed independently (symtable renamer)."""
    by_fp: dict[str, set[str]] = defaultdict(set)
    by_canon: dict[str, set[str]] = defaultdict(set)
    for name, src in functions:
        by_fp[python_fingerprint(src)[0]].add(name)
        by_canon[canonical(src)].add(name)
    assert sorted(map(sorted, by_fp.values())) == sorted(map(sorted, by_canon.values()))
    merged = [g for g in by_fp.values() if len(g) > 1]
    assert len(merged) < 25  # e.g. posixpath/ntpath twins; listed in docs/dedup.md


def test_op_drops_renamed_copies_and_names_the_original(functions) -> None:
    rng = random.Random(0)
    picked = rng.sample(functions, 60)
    recs = [{"id": f"orig-{i}", "text": src, "lang": "python"} for i, (_, src) in enumerate(picked)]
    recs += [{"id": f"copy-{i}", "text": rename(src, i), "lang": "python"} for i, (_, src) in enumerate(picked)]
    res = codemill.apply("structural_dedup", recs, min_nodes=1)
    dropped = {r["id"]: r for r in res.rejected}
    assert {f"copy-{i}" for i in range(60)} <= set(dropped) | {r["id"] for r in res.kept}
    for i in range(60):
        pair = {f"orig-{i}", f"copy-{i}"}
        gone = pair & set(dropped)
        assert len(gone) >= 1  # one of each pair goes (the id decides which)
        for d in gone:
            r = dropped[d]
            assert r["reason"] == "structural duplicate" and r["duplicate_of"] in {r2["id"] for r2 in res.kept}
            assert r["cluster_id"] == r["duplicate_of"] and "up to names and literals" in r["detail"]
    sizes = {r["id"]: r["cluster_size"] for r in res.kept}
    assert all(sizes[r["duplicate_of"]] >= 2 for r in res.rejected)


def test_different_functions_and_small_files_stay(functions) -> None:
    src = dict(functions)["textwrap.dedent"]
    changed = src.replace("_whitespace_only_re.sub('', text)", "_whitespace_only_re.sub('-', text)")  # a literal
    other_call = src.replace("re.sub", "re.subn")  # an external function: different code
    recs = [{"id": "a", "text": src, "lang": "python"}, {"id": "b", "text": changed, "lang": "python"},
            {"id": "c", "text": other_call, "lang": "python"},
            {"id": "d", "text": "import os\n", "lang": "python"}, {"id": "e", "text": "import sys\n", "lang": "python"}]
    assert changed != src != other_call
    res = codemill.apply("structural_dedup", recs, min_nodes=20)
    assert len(res.rejected) == 1 and res.rejected[0]["id"] in {"a", "b"}
    assert {r["id"]: r["structural_hash"] for r in res.kept}["d"] is None  # below min_nodes: left alone


def _c_header() -> bytes:
    return (Path(np.get_include()) / "numpy" / "npy_math.h").read_bytes()


def _rename_identifiers(raw: bytes, lang: str) -> bytes:
    """A consistent renaming of every identifier in the file (bijective, file-wide)."""
    tree = parse(raw.decode(), lang)
    spans = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type.endswith("identifier"):
            spans.append((node.start_byte, node.end_byte))
        stack.extend(node.children)
    names: dict[bytes, bytes] = {}
    out, last = [], 0
    for s, e in sorted(spans):
        name = raw[s:e]
        out += [raw[last:s], names.setdefault(name, b"id_%d_x" % len(names))]
        last = e
    return b"".join(out) + raw[last:]


def test_tree_sitter_fingerprint_on_a_c_header() -> None:
    raw = _c_header()
    renamed = _rename_identifiers(raw, "c")
    assert renamed != raw
    a = fingerprint({"text": raw.decode(), "lang": "c"})
    b = fingerprint({"text": renamed.decode(), "lang": "c"})
    c = fingerprint({"text": raw.decode().replace("?(a):(b)", "?(b):(a)", 1), "lang": "c"})  # in a macro body
    assert a[2] == "tree-sitter" and a[1] > 1000
    assert a[0] == b[0] != c[0]


def _reformat_python(src: str) -> str:
    """Whitespace and comment changes only: 4-space indents become 2, comments and trailing
    spaces go, blank lines double, CRLF line ends; lines inside multi-line strings are untouched."""
    in_string: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            in_string.update(range(tok.start[0] + 1, tok.end[0] + 1))
    out = []
    for no, line in enumerate(src.split("\n"), 1):
        if no in in_string:
            out.append(line)
            continue
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if body.startswith("#"):
            continue
        out.append(" " * (indent // 2) + body.rstrip())
        if not body:
            out.append("")
    return "\r\n".join(out)


@pytest.mark.parametrize("module", ["textwrap", "json/decoder", "heapq", "shlex", "fnmatch"])
def test_normalized_dedup_catches_reformatted_stdlib_modules(module: str) -> None:
    src = (STDLIB / f"{module}.py").read_text()
    again = _reformat_python(src)
    assert again != src
    h = normalized_hash({"text": src, "lang": "python"})
    assert h[1] == "tree-sitter" and normalized_hash({"text": again, "lang": "python"})[0] == h[0]
    moved = src.replace("\n    return", "\nreturn", 1)  # a statement leaves its block: different code
    assert normalized_hash({"text": moved, "lang": "python"})[0] != h[0]


def test_normalized_keeps_string_literals_and_drops_c_comments() -> None:
    raw = _c_header().decode()
    tree = parse(raw, "c")
    comments, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            comments.append((node.start_byte, node.end_byte))
        stack.extend(node.children)
    data = raw.encode()
    stripped = bytearray(data)
    for s, e in sorted(comments, reverse=True):
        stripped[s:e] = b" "
    h = normalized_hash({"text": raw, "lang": "c"})[0]
    assert comments and normalized_hash({"text": stripped.decode(), "lang": "c"})[0] == h
    py = 'x = "a  b"\nprint(x)\n'
    assert normalized_hash({"text": py, "lang": "python"})[0] != normalized_hash(
        {"text": py.replace("a  b", "a b"), "lang": "python"})[0]


def test_normalized_dedup_op_through_the_engine(tmp_path: Path) -> None:
    root = tmp_path / "src"
    root.mkdir()
    for mod in ("textwrap", "heapq", "shlex"):
        src = (STDLIB / f"{mod}.py").read_text()
        (root / f"{mod}.py").write_text(src)
        (root / f"{mod}_reformatted.py").write_bytes(_reformat_python(src).encode())
    res = codemill.run({"inputs": [{"type": "files", "path": str(root)}], "stages": [{"normalized_dedup": {}}],
                        "output": str(tmp_path / "out")})
    assert res.stats["stages"][-1]["reasons"] == {"normalized duplicate": 3}
