"""The `files` reader on real trees: glob semantics, .gitignore checked against git itself, lang, time, ids, limits."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from codemill.io.files import FilesReader
from codemill.params import build
from codemill.record import make_id

#: Variables a calling git (a hook, a test harness) may set that would point git at another repository.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")


def read(params: dict[str, Any], base: Path) -> list[dict[str, Any]]:
    r = build(FilesReader, params, "inputs[0]")
    r.bind(base)
    return list(r.read())


def paths(recs: list[dict[str, Any]]) -> list[str]:
    return [r["path"] for r in recs if "_reject" not in r]


def make_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    for rel, body in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body.encode() if isinstance(body, str) else body)
    return root


def make_bytes_file(folder: Path, name: bytes, body: bytes) -> None:
    """A file whose name is not valid UTF-8: only a bytes path can create it."""
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    try:
        os.write(fd, body)
    finally:
        os.close(fd)


# -- include / exclude --------------------------------------------------------------------------

GLOB_TREE = {
    "a.py": "a = 1\n", "src/a.py": "a = 2\n", "src/b.py": "b = 1\n", "src/pkg/c.py": "c = 1\n",
    "src/pkg/d.txt": "notes\n", "lib/e.py": "e = 1\n", "build/f.py": "f = 1\n", "node_modules/x/g.js": "g\n",
}
ALL = ["a.py", "build/f.py", "lib/e.py", "node_modules/x/g.js", "src/a.py", "src/b.py", "src/pkg/c.py",
       "src/pkg/d.txt"]


@pytest.mark.parametrize(("include", "exclude", "expected"), [
    (["**/*"], [], ALL),  # the default: everything, in sorted depth-first order
    (["*.py"], [], ["a.py", "build/f.py", "lib/e.py", "src/a.py", "src/b.py", "src/pkg/c.py"]),  # name, any depth
    (["a.py"], [], ["a.py", "src/a.py"]),
    (["/a.py"], [], ["a.py"]),  # a '/' anchors at the root
    (["src/*.py"], [], ["src/a.py", "src/b.py"]),  # '*' stays inside one name
    (["src/**/*.py"], [], ["src/a.py", "src/b.py", "src/pkg/c.py"]),  # '**/' spans zero or more folders
    (["**/*.txt"], [], ["src/pkg/d.txt"]),
    (["src/**"], [], ["src/a.py", "src/b.py", "src/pkg/c.py", "src/pkg/d.txt"]),
    (["**/*"], ["*.txt", "build", "node_modules"], ["a.py", "lib/e.py", "src/a.py", "src/b.py", "src/pkg/c.py"]),
    (["**/*"], ["pkg"], ["a.py", "build/f.py", "lib/e.py", "node_modules/x/g.js", "src/a.py", "src/b.py"]),
    (["**/*"], ["/a.py"], ALL[1:]),
    (["*.py"], ["src/**"], ["a.py", "build/f.py", "lib/e.py"]),
])
def test_include_exclude(tmp_path: Path, include: list[str], exclude: list[str], expected: list[str]) -> None:
    make_tree(tmp_path / "t", GLOB_TREE)
    recs = read({"path": "t", "include": include, "exclude": exclude}, tmp_path)
    assert all("_reject" not in r for r in recs)
    assert paths(recs) == expected


@pytest.mark.parametrize(("exclude", "not_entered"), [
    (["build", "node_modules"], {"build", "node_modules", "node_modules/x"}),
    (["pkg"], {"src/pkg"}),  # no '/': a folder name at any depth
    (["src/pkg"], {"src/pkg"}),  # with '/': from the root
    (["x"], {"node_modules/x"}),
])
def test_excluded_folders_are_not_entered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          exclude: list[str], not_entered: set[str]) -> None:
    root = make_tree(tmp_path / "t", GLOB_TREE)
    visited: list[str] = []
    real_scandir = os.scandir

    def spy(d: Any) -> Iterator[os.DirEntry[str]]:
        visited.append(Path(d).relative_to(root).as_posix())
        return real_scandir(d)

    monkeypatch.setattr(os, "scandir", spy)
    recs = read({"path": "t", "exclude": exclude}, tmp_path)
    assert "." in visited and "src" in visited
    assert not not_entered & set(visited)
    assert not any(p == d or p.startswith(d + "/") for p in paths(recs) for d in not_entered)


# -- .gitignore -----------------------------------------------------------------------------------

def _git(repo: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", "-c", "core.excludesFile=" + os.devnull, *args], cwd=repo, env=env, input=stdin,
                          check=check, capture_output=True).stdout


def test_gitignore_matches_git_check_ignore(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "repo", {
        ".gitignore": "*.log\n!keep.log\nbuild/\n/root_only.txt\n*.tmp\n",
        "sub/.gitignore": "!important.tmp\nlocal.py\ndeeper/*.md\n",
        "a.py": "a\n", "x.log": "x\n", "keep.log": "k\n", "root_only.txt": "r\n", "local.py": "l\n",
        "build/out.py": "o\n", "build/keep.log": "k\n",  # a negation cannot re-include a file in an ignored folder
        "sub/keep.log": "k\n", "sub/y.log": "y\n", "sub/root_only.txt": "r\n", "sub/t.tmp": "t\n",
        "sub/important.tmp": "i\n", "sub/local.py": "l\n", "sub/build/z.py": "z\n",
        "sub/deeper/w.tmp": "w\n", "sub/deeper/local.py": "l\n", "sub/deeper/README.md": "m\n",
        "sub/deeper/keep.py": "k\n", "other/README.md": "m\n",
    })
    make_bytes_file(root, b"bad\xff.log", b"ignored\n")
    make_bytes_file(root, b"bad\xff.py", b"kept\n")
    _git(root, "init", "-q")
    every = sorted(os.fsencode(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    ignored = set(_git(root, "check-ignore", "-z", "--stdin", stdin=b"\0".join(every) + b"\0", check=False)
                  .split(b"\0")) - {b""}
    expected = sorted(os.fsdecode(p) for p in every if p not in ignored)
    assert {b"x.log", b"build/out.py", b"build/keep.log", b"sub/t.tmp", b"sub/local.py", b"bad\xff.log"} <= ignored
    assert {b"keep.log", b"sub/keep.log", b"sub/important.tmp", b"sub/root_only.txt", b"bad\xff.py"}.isdisjoint(ignored)

    recs = read({"path": "repo", "gitignore": True}, tmp_path)
    assert all("_reject" not in r for r in recs)
    got = [r["path"] for r in recs]
    assert sorted(got) == sorted(p.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                                 for p in expected)
    assert ".gitignore" in got and "sub/.gitignore" in got
    without = paths(read({"path": "repo"}, tmp_path))
    assert len(without) == len(every) and set(got) < set(without)


# -- lang, created_at, ids, limits --------------------------------------------------------------

def test_lang_from_extension_and_shebang(tmp_path: Path) -> None:
    make_tree(tmp_path / "t", {
        "a.py": "x = 1\n", "b.rs": "fn main() {}\n", "c.h": "int f(void);\n", "Makefile": "all:\n\ttrue\n",
        "tool": "#!/usr/bin/env python3\nprint(1)\n", "run": "#!/bin/bash\necho hi\n",
        "env_s": "#!/usr/bin/env -S python3 -u\nprint(1)\n", "notes": "just text\n", "data.xyz": "#!/bin/bash\n",
    })
    langs = {r["path"]: r["lang"] for r in read({"path": "t"}, tmp_path)}
    assert langs == {"a.py": "python", "b.rs": "rust", "c.h": "c-header", "Makefile": "makefile",
                     "tool": "python", "run": "shell", "env_s": "python", "notes": None, "data.xyz": "shell"}


def test_created_at_is_mtime_utc(tmp_path: Path) -> None:
    make_tree(tmp_path / "t", {"old.py": "a\n", "new.py": "b\n"})
    os.utime(tmp_path / "t" / "old.py", (1_000_000_000, 1_600_000_000.75))
    recs = {r["path"]: r for r in read({"path": "t"}, tmp_path)}
    assert recs["old.py"]["created_at"] == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    st = (tmp_path / "t" / "new.py").stat()
    assert recs["new.py"]["created_at"] == datetime.fromtimestamp(int(st.st_mtime), UTC)
    assert all(r["created_at"].utcoffset().total_seconds() == 0 for r in recs.values())


def test_ids_stable_and_depend_on_source_name(tmp_path: Path) -> None:
    make_tree(tmp_path / "t", GLOB_TREE)
    first, second = read({"path": "t"}, tmp_path), read({"path": "t"}, tmp_path)
    ids = [r["id"] for r in first]
    assert ids == [r["id"] for r in second] and len(set(ids)) == len(ids) == len(ALL)
    assert ids == [make_id("t", p) for p in ALL]
    other = read({"path": "t", "name": "mirror"}, tmp_path)
    assert [r["source"] for r in other] == ["mirror"] * len(ALL)
    assert not set(ids) & {r["id"] for r in other}
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (tmp_path / "t").rename(moved / "t")
    assert [r["id"] for r in read({"path": "t"}, moved)] == ids  # where the tree lies does not matter


def test_file_too_large_is_rejected_unread(tmp_path: Path) -> None:
    make_tree(tmp_path / "t", {"big.py": "x" * 101, "fits.py": "y" * 100})
    recs = {r["path"]: r for r in read({"path": "t", "max_file_bytes": 100}, tmp_path)}
    big = recs["big.py"]
    assert big["_reject"][0] == "file too large" and "101 bytes > 100" in big["_reject"][1]
    assert big.get("raw") is None and big["id"] == make_id("t", "big.py")
    assert "_reject" not in recs["fits.py"] and recs["fits.py"]["raw"] == b"y" * 100


def test_invalid_utf8_name_is_read_and_storable(tmp_path: Path) -> None:
    d = tmp_path / "t"
    d.mkdir()
    make_bytes_file(d, b"bad\xff.py", b"x = 1\n")
    os.symlink(b"target\xfe", os.fsencode(d) + b"/link\xfe")  # a reject names it too
    recs = read({"path": "t"}, tmp_path)
    rec, link = next(r for r in recs if "_reject" not in r), next(r for r in recs if "_reject" in r)
    assert rec["path"] == "bad\\xff.py" and rec["raw"] == b"x = 1\n" and rec["lang"] == "python"
    assert rec["id"] == make_id("t", "bad\\xff.py")
    assert link["_reject"][0] == "symlink" and link["path"] == "link\\xfe" and "target\\xfe" in link["_reject"][1]
    for r in (rec, link):
        table = pa.Table.from_pylist([{k: r[k] for k in ("id", "path")}],
                                     schema=pa.schema([("id", pa.string()), ("path", pa.string())]))
        assert table.column("path").to_pylist() == [r["path"]]
    pa.Table.from_pylist([{"detail": link["_reject"][1]}])
