"""`difficulty` op and the four annotate ops through the engine: grades, thresholds, monotonicity,
stats, report, determinism."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import codemill
from codemill.params import ParamError
from tests.conftest import STDLIB, read_dir

_IMPORT = re.compile(r"^\s*(?:import|from)\s+\w", re.M)


def stdlib_records(n: int = 160) -> list[dict]:
    """Every n-th stdlib module between 300 B and 40 KB, plus the turtle demos (tutorial-style scripts)."""
    files = sorted(f for f in STDLIB.rglob("*.py") if "site-packages" not in f.parts and 300 < f.stat().st_size < 40_000
                   and "turtledemo" not in f.parts)
    files = files[:: max(1, len(files) // n)][:n] + sorted((STDLIB / "turtledemo").glob("*.py"))
    return [{"id": str(f), "text": f.read_text(encoding="utf-8", errors="replace"), "path": str(f.relative_to(STDLIB)),
             "lang": "python"} for f in files]


@pytest.fixture(scope="module")
def applied() -> codemill.api.Applied:
    measured = codemill.apply("complexity", stdlib_records()).kept
    return codemill.apply("difficulty", measured, min_records=20)


@pytest.fixture(scope="module")
def graded(applied: codemill.api.Applied) -> list[dict]:
    return applied.kept


def test_equal_shares_and_thresholds_in_summary(applied: codemill.api.Applied) -> None:
    n = len(applied.kept)
    grades = [r["difficulty"] for r in applied.kept]
    counts = {g: grades.count(g) for g in ("beginner", "intermediate", "advanced")}
    assert all(abs(c - n / 3) <= 2 for c in counts.values()), counts
    py = applied.stats.summary["languages"]["python"]
    assert py["files"] == n and py["thresholds"][0] < py["thresholds"][1]
    assert sum(py["raw_histogram"]["counts"]) == n
    assert all(0 < r["difficulty_score"] < 1 for r in applied.kept)


def test_grades_rise_with_imports(graded: list[dict]) -> None:
    """Imports are not a grader feature: more imports should still mean harder files on average."""
    imports = np.array([len(_IMPORT.findall(r["text"])) for r in graded])
    score = np.array([r["difficulty_score"] for r in graded])
    bins = [(0, 1), (2, 4), (5, 9), (10, 10_000)]
    means = [score[(imports >= lo) & (imports <= hi)].mean() for lo, hi in bins]
    assert means == sorted(means), means


def test_tutorial_demos_below_library_and_tests(graded: list[dict]) -> None:
    """turtledemo's teaching scripts grade below the stdlib's modules and its tests (which grade
    alike: docs/annotate.md has the full-stdlib numbers)."""
    def group(path: str) -> str:
        if path.startswith("turtledemo/"):
            return "demo"
        return "test" if "test" in path.split("/")[0] or "idle_test" in path else "library"

    by: dict[str, list[float]] = {}
    for r in graded:
        by.setdefault(group(r["path"]), []).append(r["difficulty_score"])
    assert np.mean(by["demo"]) + 0.05 < min(np.mean(by["library"]), np.mean(by["test"]))


def test_small_languages_are_pooled_and_markup_is_not_graded() -> None:
    recs = [{"id": f"p{i}", "text": "def f(x):\n" + "    if x:\n        x += 1\n" * i, "lang": "python", "path": "a.py"}
            for i in range(30)]
    recs += [{"id": f"g{i}", "text": "package main\nfunc f(x int) int {\n" + "if x > 0 { x-- }\n" * i + "return x\n}\n",
              "lang": "go", "path": "a.go"} for i in range(5)]
    recs += [{"id": "md", "text": "# Title\n", "lang": "markdown", "path": "README.md"}]
    out = codemill.apply("difficulty", codemill.apply("complexity", recs).kept, min_records=10)
    summary = out.stats.summary
    assert summary["pooled"] == ["go"] and "(pooled)" in summary["languages"]
    assert summary["not_graded"] == 1
    md = next(r for r in out.kept if r["id"] == "md")
    assert md["difficulty"] is None and md["difficulty_score"] is None
    ranked = [r for r in out.kept if r["id"].startswith("p")]
    assert ranked[0]["difficulty"] == "beginner" and ranked[-1]["difficulty"] == "advanced"


def test_params_are_validated() -> None:
    with pytest.raises(ParamError):
        codemill.apply("difficulty", [], cuts=[0.7, 0.3])
    with pytest.raises(ParamError):
        codemill.apply("difficulty", [], weights={"imports": 1.0})


def annotate_recipe(src: Path, out: Path, workers: int) -> dict:
    return {
        "inputs": [{"type": "files", "path": str(src)}],
        "stages": [{"normalize": {}}, {"language": {}}, {"category": {}}, {"complexity": {}},
                   {"difficulty": {"min_records": 5}}],
        "executor": {"type": "local", "workers": workers, "shard_records": 40},
        "output": str(out),
    }


def test_engine_run_columns_stats_report_and_determinism(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(STDLIB / "json", src / "json", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(STDLIB / "test" / "test_json", src / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (src / "Makefile").write_text("all:\n\tpython -m json.tool x.json\n")
    (src / "notes.txt").write_text((STDLIB / "json" / "tool.py").read_text())
    runs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        codemill.run(annotate_recipe(src, out, workers))
        runs.append(out)
    a, b = read_dir(runs[0] / "data"), read_dir(runs[1] / "data")
    assert a == b  # same output whatever the number of workers
    by_path = {r["path"]: r for r in a}
    assert by_path["notes.txt"]["lang"] == "python" and by_path["notes.txt"]["lang_source"] == "content"
    assert by_path["Makefile"]["category"] == "build"
    assert by_path["json/tool.py"]["category"] == "script"
    assert by_path["tests/test_decode.py"]["category"] == "test"
    fns = by_path["json/decoder.py"]["functions"]
    assert fns and {"name", "line", "lines", "cyclomatic"} == set(fns[0])
    assert {r["difficulty"] for r in a if r["lang"] == "python"} == {"beginner", "intermediate", "advanced"}
    stats = json.loads((runs[0] / "stats.json").read_text())
    stages = {s["name"]: s for s in stats["stages"]}
    assert stages["category"]["counters"]["python|test"] > 5
    assert stages["language"]["counters"]["lang:python"] > 10
    assert stages["difficulty"]["summary"]["languages"]["python"]["thresholds"]
    from codemill.report.build import build_report

    html = build_report(runs[0]).read_text()
    assert 'id="annotate"' in html and "Language x category" in html
