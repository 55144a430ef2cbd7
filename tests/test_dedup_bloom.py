"""bloom_dedup: a second run, loading the filter from disk, rejects what the first run saw; re-running a
batch is idempotent; the filter is sized from the expected count and rate."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import xxhash

import codemill
from codemill.dedup.bloom import BloomFilter
from codemill.params import ParamError
from tests.conftest import STDLIB, folder_bytes, read_dir


def _tree(root: Path, modules: list[str]) -> Path:
    root.mkdir(parents=True)
    for m in modules:
        shutil.copy(STDLIB / f"{m}.py", root / f"{m}.py")
    return root


def _run(src: Path, out: Path, filt: Path, workers: int = 1, **params) -> codemill.RunResult:
    return codemill.run({"inputs": [{"type": "files", "path": str(src)}],
                         "stages": [{"bloom_dedup": {"path": str(filt), "expected_count": 10_000, **params}}],
                         "executor": {"workers": workers, "shard_records": 3}, "output": str(out)})


def test_second_run_rejects_what_the_first_saw(tmp_path: Path) -> None:
    filt = tmp_path / "state" / "seen.bloom"
    first = _tree(tmp_path / "release1", ["textwrap", "heapq", "bisect", "shlex", "glob"])
    shutil.copy(STDLIB / "heapq.py", first / "heapq_copy.py")  # a copy inside the batch
    res1 = _run(first, tmp_path / "out1", filt)
    assert res1.stats["stages"][-1]["reasons"] == {"exact duplicate": 1}
    dup = read_dir(tmp_path / "out1" / "rejects")[0]
    assert dup["path"] == "heapq_copy.py" and dup["duplicate_of"] and "in this run" in dup["detail"]
    assert filt.exists() and BloomFilter.load(filt).count == 5

    second = _tree(tmp_path / "release2", ["heapq", "glob", "fnmatch", "colorsys"])
    res2 = _run(second, tmp_path / "out2", filt, workers=2)
    rejects = read_dir(tmp_path / "out2" / "rejects")
    assert sorted(r["path"] for r in rejects) == ["glob.py", "heapq.py"]
    assert all(r["reason"] == "seen in earlier run" and "false-positive rate" in r["detail"] for r in rejects)
    assert sorted(r["path"] for r in read_dir(tmp_path / "out2" / "data")) == ["colorsys.py", "fnmatch.py"]
    assert res2.stats["totals"]["kept"] == 2 and BloomFilter.load(filt).count == 7


def test_rerunning_a_batch_gives_the_same_output(tmp_path: Path) -> None:
    filt = tmp_path / "seen.bloom"
    src = _tree(tmp_path / "src", ["textwrap", "heapq", "bisect"])
    _run(src, tmp_path / "a", filt)
    again = _run(src, tmp_path / "b", filt)  # a retry of the same release, not a new one
    assert again.stats["totals"]["rejected"] == 0
    assert folder_bytes(tmp_path / "a" / "data") == folder_bytes(tmp_path / "b" / "data")
    other = _tree(tmp_path / "other", ["glob"])
    _run(other, tmp_path / "c", filt)
    third = _run(src, tmp_path / "d", filt)  # an old release after a new one: all seen
    assert third.stats["totals"]["rejected"] == 3


def test_normalized_key_ignores_layout(tmp_path: Path) -> None:
    filt = tmp_path / "seen.bloom"
    src = _tree(tmp_path / "v1", ["textwrap"])
    _run(src, tmp_path / "o1", filt, key="normalized")
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "textwrap.py").write_bytes((STDLIB / "textwrap.py").read_bytes().replace(b"\n", b"\r\n"))
    res = _run(v2, tmp_path / "o2", filt, key="normalized")
    assert res.stats["stages"][-1]["reasons"] == {"seen in earlier run": 1}


def test_filter_sizing_and_false_positive_rate() -> None:
    f = BloomFilter.sized(100_000, 1e-4)
    assert f.m == pytest.approx(-100_000 * math.log(1e-4) / math.log(2) ** 2, rel=0.01) and f.k == 13
    keys = np.frombuffer(b"".join(xxhash.xxh3_128_digest(str(i).encode()) for i in range(200_000)),
                         "<u8").reshape(-1, 2)
    f.add(keys[:100_000])
    assert f.contains(keys[:100_000]).all()  # no false negatives
    fp = f.contains(keys[100_000:]).mean()
    assert fp < 5e-4 and f.fp_rate() == pytest.approx(1e-4, rel=0.3)


def test_bad_parameters_and_files(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match="fp_rate"):
        codemill.api.make_op("bloom_dedup", path=str(tmp_path / "x"), fp_rate=2.0)
    junk = tmp_path / "junk.bloom"
    junk.write_bytes(b"not a filter")
    with pytest.raises(ValueError, match="not a codemill Bloom filter"):
        BloomFilter.load(junk)
