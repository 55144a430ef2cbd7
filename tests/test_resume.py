"""Resumable: a run killed with SIGKILL mid-run and resumed gives the same bytes as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import STDLIB, folder_bytes

FILES = '{{type: files, path: {src}, exclude: ["__pycache__", "site-packages", "config-*", "lib-dynload"]}}'
JSONL = "{{type: jsonl, path: {src}}}"  # read by the workers in byte ranges
RECIPE = """
inputs:
  - {input}
stages:
  - normalize: {{}}
  - size_filter: {{max_bytes: 500000}}
  - exact_dedup: {{}}
  - size_filter: {{min_lines: 3}}
executor: {{workers: 2, shard_records: 10}}
output: {out}
"""


def _cmd(recipe: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "codemill.cli", "run", str(recipe), "--quiet", *extra]


def _stdlib_jsonl(path: Path) -> Path:
    """The standard library's .py files as JSON Lines, with one key repeated across shards."""
    files = sorted(p for p in STDLIB.glob("*.py"))[:150]
    rows = [{"id": p.name, "text": p.read_text("utf-8", "replace"), "path": p.name} for p in files]
    rows[120]["id"] = rows[3]["id"]
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows))
    return path


@pytest.fixture(scope="module", params=["files", "jsonl"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    d = tmp_path_factory.mktemp("ref")
    inp = FILES.format(src=STDLIB) if request.param == "files" else \
        JSONL.format(src=_stdlib_jsonl(d / "stdlib.jsonl"))
    recipe = d / "recipe.yaml"
    recipe.write_text(RECIPE.format(input=inp, out=d / "out"))
    subprocess.run(_cmd(recipe), check=True)
    return inp, d / "out"


@pytest.mark.parametrize("segment,after", [(0, 10), (1, 5)])
def test_kill_9_then_resume_matches_uninterrupted_run(source: tuple[str, Path], tmp_path: Path, segment: int,
                                                      after: int) -> None:
    inp, reference = source
    recipe = tmp_path / "recipe.yaml"
    out = tmp_path / "out"
    recipe.write_text(RECIPE.format(input=inp, out=out))
    proc = subprocess.Popen(_cmd(recipe), start_new_session=True)
    done_dir = out / "_work" / f"seg{segment}"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if done_dir.exists() and len(list(done_dir.glob("done-*.json"))) >= after:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list((out / "_work" / "seg0").glob("done-*.json")))
    assert not (out / "manifest.json").exists()

    again = subprocess.run(_cmd(recipe), capture_output=True, text=True)
    assert again.returncode == 2 and "--resume" in again.stderr  # refuses to clobber the unfinished run
    subprocess.run(_cmd(recipe, "--resume"), check=True)

    for kind in ("data", "rejects"):
        assert folder_bytes(out / kind) == folder_bytes(reference / kind)
    stats = json.loads((out / "stats.json").read_text())
    ref_stats = json.loads((reference / "stats.json").read_text())
    assert stats["totals"]["resumed_shards"] >= finished > 0
    counts = ("name", "records_in", "kept", "rejected", "reasons", "bytes_in", "bytes_out", "errors", "counters")
    assert [{k: s[k] for k in counts} for s in stats["stages"]] == [{k: s[k] for k in counts}
                                                                    for s in ref_stats["stages"]]
    if "jsonl" in inp:
        assert stats["stages"][0]["reasons"] == {"duplicate source key": 1}
