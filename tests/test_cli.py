"""The `codemill` command: demo on the real standard library, ops listing, export and stats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from codemill.params import describe
from codemill.registry import OPS, READERS


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codemill.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_demo_curates_the_standard_library(tmp_path: Path) -> None:
    res = cli("demo", "--output", str(tmp_path / "demo-out"), "--workers", "2")
    assert res.returncode == 0, res.stderr
    for stage in ("ingest", "normalize", "size_filter", "exact_dedup"):
        assert stage in res.stdout
    assert "MB/s" in res.stdout and "binary" in res.stdout  # the table shows reasons and speed
    out = tmp_path / "demo-out"
    stats = json.loads((out / "stats.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert stats["totals"]["records_in"] > 2000
    assert manifest["rows"]["data"] + manifest["rows"]["rejects"] == stats["totals"]["records_in"]
    assert manifest["inputs"][0]["source"] == "python-stdlib"
    langs = pq.read_table(out / "data", columns=["lang"]).column("lang").to_pylist()
    assert langs.count("python") > 1500

    again = cli("stats", str(out))
    assert again.returncode == 0 and "exact_dedup" in again.stdout
    exp = cli("export", str(out), "--format", "jsonl", "--to", str(tmp_path / "x.jsonl.gz"))
    assert exp.returncode == 0 and f"wrote {manifest['rows']['data']} records" in exp.stdout
    rej = cli("export", str(out), "--format", "parquet", "--rejects", "--to", str(tmp_path / "r.parquet"))
    assert rej.returncode == 0
    assert pq.read_metadata(tmp_path / "r.parquet").num_rows == manifest["rows"]["rejects"]


def test_ops_lists_every_op_and_input_with_parameters() -> None:
    res = cli("ops", "--json")
    assert res.returncode == 0
    doc = json.loads(res.stdout)
    assert set(doc["op"]) == set(OPS.names()) and set(doc["input"]) == set(READERS.names())
    for kind, reg in (("op", OPS), ("input", READERS)):
        for name, cls in reg:
            assert doc[kind][name]["doc"], name
            listed = [(p["name"], p["type"], p["default"]) for p in doc[kind][name]["params"]]
            assert listed == [row[:3] for row in describe(cls)]
            assert all(p["doc"] for p in doc[kind][name]["params"]), name
    size = {p["name"]: p for p in doc["op"]["size_filter"]["params"]}
    assert size["max_bytes"] == {"name": "max_bytes", "type": "int", "default": "1000000",
                                 "doc": "more UTF-8 bytes than this is rejected"}
    table = cli("ops")
    assert table.returncode == 0 and "size_filter" in table.stdout and "max_line_length" in table.stdout


def test_user_mistakes_exit_2_without_traceback(tmp_path: Path) -> None:
    res = cli("export", str(tmp_path), "--format", "jsonl")
    assert res.returncode == 2 and "not a finished codemill output" in res.stderr and "Traceback" not in res.stderr
    res = cli("run", str(tmp_path / "missing.yaml"))
    assert res.returncode == 2 and "cannot read recipe" in res.stderr
