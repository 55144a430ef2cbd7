"""The engine end to end on real code: accounting, determinism, layout, export, Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import codemill
from codemill import api
from codemill.io.export import export
from codemill.record import make_id
from tests.conftest import folder_bytes, read_dir


def recipe_for(root: Path, out: Path, workers: int = 1, **executor) -> dict:
    return {
        "inputs": [{"type": "files", "path": str(root)}],
        "stages": [{"normalize": {}}, {"size_filter": {"max_bytes": 20_000}}, {"exact_dedup": {}}],
        "executor": {"workers": workers, "shard_records": 7, **executor},
        "output": str(out),
    }


def test_every_input_ends_in_data_or_rejects(code_tree: Path, tmp_path: Path) -> None:
    res = api.run(recipe_for(code_tree, tmp_path / "out"))
    out = res.output
    data, rejects = read_dir(out / "data"), read_dir(out / "rejects")
    n_files = sum(1 for p in code_tree.rglob("*") if p.is_file())
    assert len(data) + len(rejects) == n_files
    ids = [r["id"] for r in data + rejects]
    assert len(set(ids)) == len(ids)
    stats = json.loads((out / "stats.json").read_text())
    names = [s["name"] for s in stats["stages"]]
    assert names == ["ingest", "normalize", "size_filter", "exact_dedup"]
    for s in stats["stages"]:
        assert s["records_in"] == s["kept"] + s["rejected"]
        assert sum(s["reasons"].values()) == s["rejected"]
    for a, b in zip(stats["stages"], stats["stages"][1:], strict=False):
        assert b["records_in"] == a["kept"]
    # the CRLF copy and the plain copy of a file collapse into one after normalize
    dups = [r for r in rejects if r["reason"] == "exact duplicate"]
    assert {r["path"] for r in dups} == {"vendored/decoder.py", "vendored/encoder_crlf.py"}
    by_id = {r["id"]: r for r in data}
    assert {by_id[r["duplicate_of"]]["path"] for r in dups} == {"json/decoder.py", "json/encoder.py"}
    assert all(r["stage"] and r["reason"] and r["detail"] is not None for r in rejects)
    too_big = [r for r in rejects if r["reason"] == "too many bytes"]
    assert too_big and all(r["n_bytes"] > 20_000 for r in too_big)  # scores are kept on rejects


def test_output_is_byte_identical_with_one_or_two_workers(code_tree: Path, tmp_path: Path) -> None:
    res = api.run(recipe_for(code_tree, tmp_path / "one", workers=1))
    one = res.output
    two = api.run(recipe_for(code_tree, tmp_path / "two", workers=2)).output
    assert res.stats["totals"]["shards"] > 5
    for kind in ("data", "rejects"):
        a, b = folder_bytes(one / kind), folder_bytes(two / kind)
        assert a == b and a
    m1 = json.loads((one / "manifest.json").read_text())
    m2 = json.loads((two / "manifest.json").read_text())
    assert m1["content_fingerprint"] == m2["content_fingerprint"]
    assert m1["recipe_hash"] == m2["recipe_hash"]


def test_manifest_and_layout(code_tree: Path, tmp_path: Path) -> None:
    out = api.run(recipe_for(code_tree, tmp_path / "out")).output
    m = json.loads((out / "manifest.json").read_text())
    assert m["rows"]["data"] == len(read_dir(out / "data"))
    assert m["recipe"]["stages"][1] == {"size_filter": {"min_bytes": 1, "max_bytes": 20000, "min_lines": 1,
                                                        "max_lines": 100000, "max_line_length": None}}
    assert m["versions"]["pyarrow"] and m["codemill_version"] == codemill.__version__
    assert m["inputs"][0]["records"] == sum(1 for p in code_tree.rglob("*") if p.is_file())
    names = {c["name"] for c in m["schema"]["data"]}
    assert {"id", "text", "lang", "path", "content_hash", "n_lines"} <= names
    assert not (out / "_work").exists()
    schemas = {str(pq.read_schema(f)) for f in (out / "data").glob("*.parquet")}
    assert len(schemas) == 1  # every shard has the same schema


def test_loads_with_hf_datasets_and_exports(code_tree: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = api.run(recipe_for(code_tree, tmp_path / "out")).output
    assert len(list((out / "data").glob("part-*.parquet"))) > 2
    ds = datasets.load_dataset("parquet", data_dir=str(out / "data"), split="train",
                               cache_dir=str(tmp_path / "hf"))
    data = read_dir(out / "data")
    assert ds.num_rows == len(data) and set(ds["id"]) == {r["id"] for r in data}
    n = export(out, tmp_path / "all.jsonl.zst", "jsonl")
    assert n == len(data)
    again = api.run({"inputs": [{"type": "jsonl", "path": str(tmp_path / "all.jsonl.zst")}],
                     "stages": [], "output": str(tmp_path / "again")}).output
    assert sorted(r["text"] for r in read_dir(again / "data")) == sorted(r["text"] for r in data)
    export(out, tmp_path / "all.parquet", "parquet")
    assert pq.read_metadata(tmp_path / "all.parquet").num_rows == len(data)


def test_global_op_first_and_last(code_tree: Path, tmp_path: Path) -> None:
    recipe = {"inputs": [{"type": "files", "path": str(code_tree)}], "stages": [{"exact_dedup": {}}],
              "output": str(tmp_path / "out")}
    stats = api.run(recipe).stats
    assert [s["name"] for s in stats["stages"]] == ["ingest", "decode", "exact_dedup"]
    # without normalize the CRLF copy is different text; only the byte copy is a duplicate
    assert stats["stages"][2]["reasons"] == {"exact duplicate": 1}


def test_existing_output_needs_overwrite(code_tree: Path, tmp_path: Path) -> None:
    recipe = recipe_for(code_tree, tmp_path / "out")
    api.run(recipe)
    with pytest.raises(codemill.RunError, match="--overwrite"):
        api.run(recipe)
    api.run(recipe, overwrite=True)
    with pytest.raises(codemill.RunError, match="nothing to resume"):
        api.run(recipe, resume=True)


def test_apply_ops_in_a_notebook() -> None:
    recs = [{"id": str(i), "text": t} for i, t in enumerate(["a = 1\r\n", "a = 1\n", "", "x" * 50 + "\n"])]
    norm = codemill.apply("normalize", recs)
    assert [r["text"] for r in norm.kept] == ["a = 1\n", "a = 1\n", "", "x" * 50 + "\n"]
    sized = codemill.apply("size_filter", norm.kept, max_line_length=20)
    assert [r["reason"] for r in sized.rejected] == ["too few bytes", "line too long"]
    dedup = codemill.apply("exact_dedup", sized.kept)
    assert len(dedup.kept) == 1 and dedup.rejected[0]["duplicate_of"] == "0"
    assert dedup.stats.records_in == 2 and dedup.stats.rejected == 1


@pytest.mark.parametrize("keep", ["first", "newest", "oldest"])
def test_exact_dedup_keep_policy(tmp_path: Path, keep: str) -> None:
    """Three copies of a real module with different dates (one undated), plus a unique module:
    the survivor is the first, newest or oldest copy; an undated copy survives only by input order."""
    stdlib = Path(json.__file__).parent
    dup, other = (stdlib / "decoder.py").read_text(), (stdlib / "encoder.py").read_text()
    rows = [{"id": "a", "text": dup, "created_at": "2021-05-01T00:00:00Z"},
            {"id": "b", "text": other, "created_at": "2020-01-01T00:00:00Z"},
            {"id": "c", "text": dup},
            {"id": "d", "text": dup, "created_at": "2023-02-03T00:00:00Z"},
            {"id": "e", "text": dup, "created_at": "2019-07-08T00:00:00Z"}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = api.run({"inputs": [{"type": "jsonl", "path": str(src), "name": "s"}],
                   "stages": [{"exact_dedup": {"keep": keep}}], "output": str(tmp_path / "out")})
    data, rejects = read_dir(res.output / "data"), read_dir(res.output / "rejects")
    src_id = {make_id("s", r["id"]): r["id"] for r in rows}  # output ids hash the source and its key
    kept = sorted(src_id[r["id"]] for r in data)
    survivor = {"first": "a", "newest": "d", "oldest": "e"}[keep]
    assert kept == sorted(["b", survivor])
    copies = {src_id[r["id"]]: r["exact_copies"] for r in data}
    assert copies == {"b": 1, survivor: 4}
    assert sorted(src_id[r["id"]] for r in rejects) == sorted({"a", "c", "d", "e"} - {survivor})
    assert {src_id[r["duplicate_of"]] for r in rejects} == {survivor}
    assert all(r["reason"] == "exact duplicate" for r in rejects)
