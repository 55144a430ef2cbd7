"""Bad input is data, not a crash: every bad file ends in rejects/ with a reason, the rest goes on."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tarfile
from pathlib import Path

import pytest

from codemill import api
from tests.conftest import STDLIB, read_dir


def run_default(src: Path, out: Path, **reader) -> tuple[dict[str, dict], dict[str, dict]]:
    recipe = api.default_recipe()
    recipe["inputs"] = [{"type": "files", "path": str(src), **reader}]
    recipe["output"] = str(out)
    recipe["executor"] = {"workers": 2, "shard_records": 3}
    res = api.run(recipe)
    data = {r["path"]: r for r in read_dir(res.output / "data")}
    rejects = {r["path"]: r for r in read_dir(res.output / "rejects")}
    return data, rejects


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "good.py").write_bytes((STDLIB / "json" / "tool.py").read_bytes())
    (root / "image.png").write_bytes((STDLIB / "test" / "imghdrdata" / "python.png").read_bytes())
    (root / "program.so").write_bytes(next((STDLIB / "lib-dynload").glob("*.so")).read_bytes()[:200_000])
    rng = random.Random(7)
    (root / "noise.py").write_bytes(bytes(rng.randrange(128, 256) for _ in range(4000)))
    (root / "nul.c").write_bytes(b"int main(void) {\n  return 0;\x00\x00\n}\n")
    (root / "empty.py").write_bytes(b"")
    (root / "latin1.py").write_bytes("# Größe, café, naïve: Ärger über Öl\nname = 'Größe'\n".encode("cp1252"))
    with open(root / "oneline.min.js", "wb") as fh:  # 50 MB, one line
        chunk = b"var a=function(b){return b+1};" * 1000
        for _ in range(50_000_000 // len(chunk) + 1):
            fh.write(chunk)
    (root / "loop").symlink_to(".")
    (root / "self").symlink_to("self")
    os.mkfifo(root / "pipe")
    return root


def test_bad_files_are_rejected_with_reasons(bad_tree: Path, tmp_path: Path) -> None:
    data, rejects = run_default(bad_tree, tmp_path / "out")
    reasons = {p: (r["stage"], r["reason"]) for p, r in rejects.items()}
    assert reasons == {
        "image.png": ("normalize", "binary"),
        "program.so": ("normalize", "binary"),
        "noise.py": ("normalize", "undecodable"),
        "nul.c": ("normalize", "binary"),
        "empty.py": ("size_filter", "too few bytes"),
        "oneline.min.js": ("size_filter", "too many bytes"),
        "loop": ("ingest", "symlink"),
        "self": ("ingest", "symlink"),
        "pipe": ("ingest", "not a regular file"),
    }
    assert set(data) == {"good.py", "latin1.py"}
    assert data["latin1.py"]["encoding"] == "cp1252" and "Größe" in data["latin1.py"]["text"]
    assert rejects["image.png"]["raw"].startswith(b"\x89PNG")  # the bytes are kept, nothing is lost
    assert rejects["oneline.min.js"]["n_bytes"] > 50_000_000


def test_symlink_loops_are_detected_when_following(bad_tree: Path, tmp_path: Path) -> None:
    (bad_tree / "oneline.min.js").unlink()
    data, rejects = run_default(bad_tree, tmp_path / "out", follow_symlinks=True)
    assert rejects["loop"]["reason"] == "symlink loop"
    assert rejects["self"]["reason"] == "symlink loop"
    assert "good.py" in data


def test_broken_sources_lose_nothing_and_the_rest_is_read(tmp_path: Path) -> None:
    src = tmp_path / "sources"
    src.mkdir()
    py = sorted((STDLIB / "json").glob("*.py"))
    rows = [json.dumps({"content": p.read_text(), "filename": p.name, "stars": i}) for i, p in enumerate(py)]
    lines = rows[:2] + ['{"content": "x = 1", "filename": "broken.py"'] + rows[2:]  # malformed in the middle
    (src / "a.jsonl").write_text("\n".join(lines) + "\n")
    blob = gzip.compress(("\n".join(rows) + "\n").encode())
    (src / "b.jsonl.gz").write_bytes(blob[: len(blob) * 2 // 3])  # truncated
    with tarfile.open(src / "c.tar.gz", "w:gz") as tar:
        for name, data in (("pkg/ok.py", b"print('ok')\n"), ("../evil.py", b"import os\n"),
                           ("/etc/abs.py", b"x = 2\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    recipe = api.default_recipe()
    recipe["inputs"] = [
        {"type": "jsonl", "path": str(src / "a.jsonl"), "fields": {"text": "content", "path": "filename"}},
        {"type": "jsonl", "path": str(src / "b.jsonl.gz"), "fields": {"text": "content", "path": "filename"}},
        {"type": "archive", "path": str(src / "c.tar.gz")},
    ]
    recipe["stages"] = [{"normalize": {}}, {"size_filter": {"max_bytes": 1_000_000}}]
    recipe["output"] = str(tmp_path / "out")
    res = api.run(recipe)
    data, rejects = read_dir(res.output / "data"), read_dir(res.output / "rejects")
    ingest = [(r["source"].rsplit("/", 1)[-1], r["reason"]) for r in rejects if r["stage"] == "ingest"]
    assert sorted(ingest) == [("a.jsonl", "malformed json"), ("b.jsonl.gz", "truncated compressed file"),
                              ("c.tar.gz", "unsafe member path"), ("c.tar.gz", "unsafe member path")]
    from_a = [r for r in data if r["source"].endswith("a.jsonl")]
    assert len(from_a) == len(py)  # the lines after the bad one were read
    assert all(json.loads(r["meta"])["stars"] >= 0 for r in from_a)  # unknown fields kept in meta
    from_b = [r for r in data if r["source"].endswith("b.jsonl.gz")]
    assert 0 < len(from_b) < len(py)  # what came before the break was kept
    assert [r["path"] for r in data if r["source"].endswith("c.tar.gz")] == ["pkg/ok.py"]
    bad = next(r for r in rejects if r["reason"] == "malformed json")
    assert "line 3" in bad["detail"] and bad["raw"].startswith(b'{"content": "x = 1"')
    assert res.stats["totals"]["records_in"] == len(data) + len(rejects)
