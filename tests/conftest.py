"""Shared fixtures: real code from the running interpreter's standard library."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pyarrow.parquet as pq
import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture
def code_tree(tmp_path: Path) -> Path:
    """A small real tree: two stdlib packages, a duplicated file, CRLF and trailing-whitespace variants."""
    root = tmp_path / "src"
    shutil.copytree(STDLIB / "json", root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(STDLIB / "email", root / "email", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "vendored").mkdir()  # sorts after json/, so the originals come first
    shutil.copy(STDLIB / "json" / "decoder.py", root / "vendored" / "decoder.py")  # exact duplicate
    text = (STDLIB / "json" / "encoder.py").read_bytes()
    (root / "vendored" / "encoder_crlf.py").write_bytes(text.replace(b"\n", b"\r\n"))  # same after normalize
    return root


def stdlib_text_records() -> list[dict]:
    """Every text file of the standard library (UTF-8, no NUL) as a record with its detected lang."""
    from codemill.langs import detect

    recs = []
    for p in sorted(STDLIB.rglob("*")):
        if not p.is_file() or "site-packages" in p.parts or "__pycache__" in p.parts:
            continue
        try:
            text = p.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "\0" not in text:
            recs.append({"id": str(p.relative_to(STDLIB)), "text": text, "path": p.name,
                         "lang": detect(p.name, text[:200].encode())})
    return recs


def read_dir(folder: Path) -> list[dict]:
    files = sorted(folder.glob("part-*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}
