"""Sources read by the workers (JSON Lines in byte ranges, Parquet in row groups): the same records
as reading in the driver, repeated keys across shards, mixed plain and compressed files, determinism."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from codemill import api
from codemill.io.jsonl import JsonlReader
from codemill.io.parquet import ParquetReader
from codemill.io.splits import Split
from codemill.record import make_id
from tests.conftest import STDLIB, folder_bytes, read_dir


def _rows(n: int = 90) -> list[dict]:
    files = sorted(p for p in (STDLIB / "json").glob("*.py")) + sorted((STDLIB / "email").glob("*.py"))
    return [{"id": f"doc{i}", "text": files[i % len(files)].read_text(), "path": files[i % len(files)].name,
             "stars": i} for i in range(n)]


def _write(path: Path, rows: list) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" if not isinstance(r, bytes) else r for r in rows))
    return path


def _run(src: Path, out: Path, workers: int, stages: list | None = None, **executor) -> Path:
    return api.run({"inputs": [{"type": "jsonl", "path": str(src), "name": "src"}],
                    "stages": stages if stages is not None else [{"exact_dedup": {}}],
                    "executor": {"workers": workers, "shard_records": 7, **executor},
                    "output": str(out)}).output


def test_ranges_hold_the_same_records_as_reading_in_the_driver(tmp_path: Path) -> None:
    rows = _rows()
    rows.insert(20, b"\n")  # a blank line counts as a line (ids name line numbers)
    rows.insert(40, b'{"id": "bad", "text": \n')  # a malformed line is a reject, reading goes on
    src = _write(tmp_path / "a.jsonl", rows)
    reader = JsonlReader(path=str(src), name="src")
    reader.bind(tmp_path)
    units = list(reader.read_units(7, 1 << 30))
    assert all(isinstance(u, Split) for u in units) and len(units) == -(-len(rows) // 7)
    from_ranges = [r for u in units for r in u.read()]
    assert [(r["id"], r["text"], r["meta"]) for r in from_ranges] == \
        [(r["id"], r["text"], r["meta"]) for r in reader.read()]

    out = _run(src, tmp_path / "out", workers=2, stages=[])
    data, rejects = read_dir(out / "data"), read_dir(out / "rejects")
    assert [r["id"] for r in data] == [make_id("src", f"doc{i}") for i in range(90)]
    assert [r["reason"] for r in rejects] == ["malformed json"]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["totals"]["records_in"] == 91 and stats["totals"]["shards"] == len(units)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["records"] == 91


def test_byte_bound_cuts_ranges_too(tmp_path: Path) -> None:
    src = _write(tmp_path / "a.jsonl", _rows(30))
    out = _run(src, tmp_path / "out", workers=1, stages=[], shard_records=1000, shard_mb=1)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["totals"]["shards"] == -(-src.stat().st_size // (1 << 20)) and len(read_dir(out / "data")) == 30


def test_repeated_keys_across_ranges_get_fresh_ids_and_are_rejected(tmp_path: Path) -> None:
    rows = _rows(60)
    for i in (25, 50):  # in later shards than the first "doc3"
        rows[i] = {**rows[i], "id": "doc3"}
    src = _write(tmp_path / "a.jsonl", rows)
    outs = [_run(src, tmp_path / f"out{w}", workers=w) for w in (1, 2)]
    for kind in ("data", "rejects"):
        assert folder_bytes(outs[0] / kind) == folder_bytes(outs[1] / kind)
    rejects = [r for r in read_dir(outs[0] / "rejects") if r["stage"] == "ingest"]
    base = make_id("src", "doc3")
    assert [(r["id"], r["reason"]) for r in rejects] == [(f"{base}#2", "duplicate source key"),
                                                          (f"{base}#3", "duplicate source key")]
    assert all(base in r["detail"] for r in rejects)
    stats = json.loads((outs[0] / "stats.json").read_text())
    assert stats["stages"][0]["reasons"] == {"duplicate source key": 2}
    assert stats["stages"][0]["records_in"] == 60 and stats["totals"]["kept"] + stats["totals"]["rejected"] == 60


def test_a_source_with_compressed_files_is_read_in_the_driver(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    rows = _rows(40)
    _write(d / "a.jsonl", rows[:20])
    (d / "b.jsonl").write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in rows[20:])))  # misnamed
    (d / "c.jsonl.gz").write_bytes(gzip.compress(orjson.dumps({**rows[0], "text": "x = 1\n"}) + b"\n"))
    reader = JsonlReader(path=str(d), name="src")
    reader.bind(tmp_path)
    assert not any(isinstance(u, Split) for u in reader.read_units(7, 1 << 30))
    out = _run(d, tmp_path / "out", workers=2, stages=[])
    data, rejects = read_dir(out / "data"), read_dir(out / "rejects")
    assert [r["id"] for r in data] == [make_id("src", f"doc{i}") for i in range(40)]
    assert [(r["id"], r["reason"], r["text"]) for r in rejects] == [  # the first doc0 keeps its id
        (make_id("src", "doc0") + "#2", "duplicate source key", "x = 1\n")]


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
def test_a_bom_on_the_first_line_and_no_final_newline(tmp_path: Path, bom: bytes) -> None:
    src = tmp_path / "a.jsonl"
    src.write_bytes(bom + b"\n".join(orjson.dumps(r) for r in _rows(15)))
    data = read_dir(_run(src, tmp_path / "out", workers=1, stages=[]) / "data")
    assert [r["id"] for r in data] == [make_id("src", f"doc{i}") for i in range(15)]


def test_parquet_row_groups_are_read_by_the_workers(tmp_path: Path) -> None:
    rows = _rows(50)
    rows[40] = {**rows[40], "id": "doc1"}  # a repeated key in a later row group
    table = pa.Table.from_pylist(rows)
    d = tmp_path / "pq"
    d.mkdir()
    pq.write_table(table.slice(0, 30), d / "a.parquet", row_group_size=4)
    pq.write_table(table.slice(30), d / "b.parquet", row_group_size=4)
    reader = ParquetReader(path=str(d), name="src")
    reader.bind(tmp_path)
    units = list(reader.read_units(7, 1 << 30))
    assert all(isinstance(u, Split) for u in units)
    assert [u.lines for u in units] == [8, 8, 8, 6, 8, 8, 4]  # whole row groups of 4, runs of >= 7 rows
    assert [(r["id"], r["text"], r["meta"]) for u in units for r in u.read()] == \
        [(r["id"], r["text"], r["meta"]) for r in reader.read()]

    outs = [api.run({"inputs": [{"type": "parquet", "path": str(d), "name": "src"}], "stages": [],
                     "executor": {"workers": w, "shard_records": 7}, "output": str(tmp_path / f"out{w}")}).output
            for w in (1, 2)]
    assert folder_bytes(outs[0] / "data") == folder_bytes(outs[1] / "data")
    data, rejects = read_dir(outs[0] / "data"), read_dir(outs[0] / "rejects")
    assert len(data) == 49 and [r["reason"] for r in rejects] == ["duplicate source key"]
    assert rejects[0]["id"] == make_id("src", "doc1") + "#2"
    assert json.loads((outs[0] / "stats.json").read_text())["totals"]["shards"] == len(units)


def test_parquet_with_a_huge_row_group_is_streamed_by_the_driver(tmp_path: Path) -> None:
    pq.write_table(pa.Table.from_pylist(_rows(40)), tmp_path / "a.parquet")  # one row group of 40 rows
    reader = ParquetReader(path=str(tmp_path / "a.parquet"), name="src")
    reader.bind(tmp_path)
    assert not any(isinstance(u, Split) for u in reader.read_units(7, 1 << 30))


def test_a_small_source_is_cut_into_enough_ranges_for_every_worker(tmp_path: Path) -> None:
    """Below 16 x shard_mb a plain source is cut into 16 ranges (of at least 1 MB): a 5 MB file
    is not one 32 MB shard that a single worker holds while the other waits."""
    from codemill.io.splits import MIN_SPLIT_BYTES, split_bytes

    assert split_bytes(810 << 20, 32 << 20) == 32 << 20
    assert split_bytes(80 << 20, 32 << 20) == 5 << 20
    assert split_bytes(3 << 20, 32 << 20) == MIN_SPLIT_BYTES
    text = (STDLIB / "argparse.py").read_text()  # ~100 KB
    src = _write(tmp_path / "a.jsonl", [{"id": f"d{i}", "text": text} for i in range(30)])
    reader = JsonlReader(path=str(src), name="src")
    reader.bind(tmp_path)
    units = list(reader.read_units(2000, 32 << 20))
    line = len(src.read_bytes()) // 30
    assert len(units) >= 2 and all(MIN_SPLIT_BYTES <= u.end - u.start < MIN_SPLIT_BYTES + line for u in units[:-1])
    assert [r["id"] for u in units for r in u.read()] == [r["id"] for r in reader.read()]
