"""`fill_missing` and `outliers` (global ops) through the engine and `api.apply`, on stdlib files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemill import api
from tests.conftest import STDLIB, read_dir

MIT = "Permission is hereby granted, free of charge, to any person obtaining a copy of this software"


def stdlib_rows(n: int, repo: str) -> list[dict]:
    return [{"content": p.read_text(), "filename": f"{p.parent.name}/{p.name}", "repo": repo}
            for p in sorted((STDLIB / "json").glob("*.py"))[:n]]


def test_fill_missing_policies_through_the_engine(tmp_path: Path) -> None:
    rows = stdlib_rows(3, "a") + [{"content": MIT, "filename": "LICENSE", "repo": "a"}]
    rows += [{"content": "#!/usr/bin/env python3\nprint('hi')\n", "filename": "tools/run", "repo": "b",
              "license": "Apache-2.0", "created_at": "2021-01-01T00:00:00Z"},
             {"content": "x = 1\n", "filename": "b2.py", "repo": "b", "license": "",
              "created_at": "2021-06-01T00:00:00Z"},
             {"content": "y = 2\n", "filename": "orphan.py", "repo": None}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = {"inputs": [{"type": "jsonl", "path": str(src), "fields": {"text": "content", "path": "filename"}}],
              "stages": [{"normalize": {}}, {"fill_missing": {"columns": {
                  "license": {"policy": "infer", "then": "constant", "then_value": "unknown"},
                  "lang": {"policy": "infer"},
                  "repo": {"policy": "drop"}}}}],
              "executor": {"workers": 2, "shard_records": 2}, "output": str(tmp_path / "out")}
    res = api.run(recipe)
    data = {r["path"]: r for r in read_dir(res.output / "data")}
    rejects = {r["path"]: r for r in read_dir(res.output / "rejects")}
    assert data["json/decoder.py"]["license"] == "MIT" and data["json/decoder.py"]["filled"] == "license:infer"
    assert data["LICENSE"]["license_file_spdx"] == "MIT"
    assert data["tools/run"]["license"] == "Apache-2.0" and data["tools/run"]["lang"] == "python"  # shebang
    assert data["b2.py"]["license"] == "unknown" and data["b2.py"]["filled"] == "license:constant"
    assert rejects["orphan.py"]["reason"] == "missing repo"
    step = next(s for s in res.stats["stages"] if s["name"] == "fill_missing")
    assert step["reasons"] == {"missing repo": 1}
    assert step["counters"]["license:infer"] == 4
    assert step["summary"]["columns"]["license"]["missing"] == 6


def test_forward_fill_within_a_group_in_key_order() -> None:
    recs = [{"id": str(i), "text": "x = 1\n", "path": f"f{i}.py", "repo": repo, "license": lic, "lang": "python",
             "created_at": None, "commit": commit}
            for i, (repo, lic, commit) in enumerate([("r", None, "c3"), ("r", "BSD-3-Clause", "c1"),
                                                     ("r", None, "c2"), ("s", None, "c1")])]
    res = api.apply("fill_missing", recs,
                    columns={"license": {"policy": "forward_fill", "group_by": ["repo"], "order_by": "commit"}})
    lic = {r["id"]: r["license"] for r in res.kept}
    assert lic == {"0": "BSD-3-Clause", "1": "BSD-3-Clause", "2": "BSD-3-Clause", "3": None}


def test_fill_missing_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="fillable"):
        api.make_op("fill_missing", columns={"text": {"policy": "drop"}})
    with pytest.raises(ValueError, match="infer works for"):
        api.make_op("fill_missing", columns={"repo": {"policy": "infer"}})
    with pytest.raises(ValueError, match="policy"):
        api.make_op("fill_missing", columns={"lang": {"policy": "guess"}})


def sized(paths: list[Path]) -> list[dict]:
    recs = []
    for p in paths:
        text = p.read_text()
        recs.append({"id": p.name, "text": text, "lang": "python", "path": p.name, "n_lines": text.count("\n")})
    return recs


def test_outliers_mark_with_fences_and_reject_on_request() -> None:
    recs = sized(sorted(STDLIB.glob("*.py"))[:120])
    recs.append({"id": "huge", "text": "x = 1\n", "lang": "python", "path": "huge.py", "n_lines": 10_000_000})
    recs.append({"id": "other", "text": "x\n", "lang": "c", "path": "o.c", "n_lines": 10_000_000})  # group of 1
    marked = api.apply("outliers", recs, column="n_lines", log=True)
    by_id = {r["id"]: r for r in marked.kept}
    assert len(marked.kept) == len(recs)
    assert by_id["huge"]["outlier_n_lines"] is True and "iqr k=1.5" in by_id["huge"]["outlier_n_lines_fences"]
    assert by_id["other"]["outlier_n_lines"] is None  # too small a group to judge
    assert sum(r["outlier_n_lines"] is True for r in marked.kept) < 10
    assert marked.stats.summary["groups"]["python"]["outliers"] >= 1
    for method in ("zscore", "mad"):
        rejected = api.apply("outliers", recs, column="n_lines", method=method, action="reject", log=True)
        huge = next(r for r in rejected.rejected if r["id"] == "huge")
        assert huge["reason"] == "outlier" and method in huge["detail"] and "n_lines 10000000 outside" in huge["detail"]


def test_outliers_through_the_engine_after_size_filter(code_tree: Path, tmp_path: Path) -> None:
    recipe = {"inputs": [{"type": "files", "path": str(code_tree)}],
              "stages": [{"normalize": {}}, {"size_filter": {}},
                         {"outliers": {"column": "max_line_len", "method": "mad", "min_group": 5}}],
              "executor": {"workers": 2, "shard_records": 5}, "output": str(tmp_path / "out")}
    res = api.run(recipe)
    data = read_dir(res.output / "data")
    assert all(r["outlier_max_line_len_fences"] is not None for r in data if r["lang"] == "python")
    step = next(s for s in res.stats["stages"] if s["name"] == "outliers")
    assert step["summary"]["column"] == "max_line_len" and "python" in step["summary"]["groups"]
