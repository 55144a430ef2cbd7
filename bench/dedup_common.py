"""Shared pieces of the dedup benchmarks: corpora and samples, process-tree timing, tables.

Every measured job runs as its own process tree; wall time is taken from outside, peak memory
is the largest *sum* of RSS over the whole tree (driver + workers) and CPU time the sum over
every process of the tree, both sampled every 50 ms from /proc, so pipelines with several
processes are compared fairly with single-process ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import xxhash

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
SHARED = ROOT.parent / "shared" / "bench"
OUT = ROOT / "bench-results" / "dedup"
PEER_PY = ROOT / "bench-venv" / "bin" / "python"


def corpus(name: str = "full") -> Path:
    """The shared corpus (built with ../shared/bench/make_corpus.py when missing, ~10 minutes)."""
    path = DATA / ("corpus.jsonl" if name == "full" else "corpus_10pct.jsonl")
    if not path.exists():
        subprocess.run([sys.executable, str(SHARED / "make_corpus.py"), "--out", str(DATA)], check=True)
    return path


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as fh:
        for line in fh:
            yield orjson.loads(line)


def prefix(fraction: float) -> Path:
    """The first `fraction` of the full corpus's lines (for the scaling runs), written once."""
    if fraction >= 1.0:
        return corpus("full")
    path = OUT / f"corpus_{round(fraction * 100)}pct_head.jsonl"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        src = corpus("full")
        total = sum(1 for _ in open(src, "rb"))
        keep = int(total * fraction)
        with open(src, "rb") as fh, open(path.with_suffix(".tmp"), "wb") as out:
            for i, line in enumerate(fh):
                if i >= keep:
                    break
                out.write(line)
        path.with_suffix(".tmp").rename(path)
    return path


def path_sample() -> Path:
    """The records of the full corpus whose `path` hashes to 0 mod 10 (about a tenth).

    Sampling by path keeps every version of a file together, so the sample holds the
    near-duplicate families of the full corpus (a uniform sample splits them up).
    """
    path = OUT / "sample_by_path.jsonl"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        with open(corpus("full"), "rb") as fh, open(path.with_suffix(".tmp"), "wb") as out:
            for line in fh:
                if xxhash.xxh3_64_intdigest(orjson.loads(line)["path"].encode()) % 10 == 0:
                    out.write(line)
        path.with_suffix(".tmp").rename(path)
    return path


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return out


def _sample(pids: list[int], cpu: dict[int, float]) -> int:
    """Sum of RSS (bytes) of `pids`; records each one's CPU seconds so far (user + system) in `cpu`."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
    return total


def warm(path: Path) -> None:
    """Read a file once so that the page cache holds it: a job timed first would otherwise pay the
    disk read the later ones do not (seen: the exact-dedup baseline at 7.4 s cold, 3.6-4.8 s warm)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def measure(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 3600) -> dict[str, Any]:
    """Run `cmd`; wall seconds, CPU seconds of the whole process tree (user + system of every
    process seen, sampled from /proc every 50 ms: little affected by other load on the machine,
    and it counts pool workers that a forkserver, not the job, reaps), peak tree RSS (MB),
    return code, stdout, stderr tail."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    peak = 0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _sample(_tree(proc.pid), cpu))
            done.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        done.set()
        th.join()
    return {"wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(sum(cpu.values()), 1),
            "peak_rss_mb": round(peak / 2**20), "rc": proc.returncode, "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace")[-3000:]}


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def save(name: str, obj: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(obj, indent=2, default=str))


def jaccard_sets(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def split_for_tasks(path: Path, parts: int = 2) -> Path:
    """`path` cut into `parts` JSONL files of consecutive lines (datatrove gives whole files to tasks)."""
    folder = OUT / (path.stem + "_split")
    if folder.exists() and len(list(folder.glob("*.jsonl"))) == parts:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    lines = open(path, "rb").readlines()
    per = -(-len(lines) // parts)
    for k in range(parts):
        (folder / f"part{k}.jsonl").write_bytes(b"".join(lines[k * per : (k + 1) * per]))
    return folder
