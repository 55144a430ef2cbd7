"""A broken recipe is one clear error naming the file, the line and the field, with the valid choices."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemill.recipe import RecipeError, load_recipe

GOOD = """\
inputs:
  - {type: files, path: ./src, include: ["**/*.py"], exclude: ["**/test_*"]}
stages:
  - normalize: {}
  - size_filter: {max_bytes: 1000000, min_lines: 1}
  - exact_dedup: {}
executor: {type: local, workers: 2}
output: out/
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    p = tmp_path / "recipe.yaml"
    p.write_text(text)
    return p


def error_of(tmp_path: Path, text: str) -> RecipeError:
    with pytest.raises(RecipeError) as e:
        load_recipe(write(tmp_path, text))
    return e.value


def test_good_recipe_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    r = load_recipe(write(tmp_path, GOOD))
    assert r.output == tmp_path / "out"
    assert r.inputs[0].root() == tmp_path / "src"
    assert [s.label for s in r.stages] == ["normalize", "size_filter", "exact_dedup"]
    assert r.executor.workers == 2


@pytest.mark.parametrize("old,new,line,field,needle", [
    ("  - normalize: {}", "  - normalise: {}", 4, "stages[0]",
     "unknown op 'normalise'; valid ops: "),
    ("{max_bytes: 1000000, min_lines: 1}", "{max_bytes: lots, min_lines: 1}", 5, "stages[1].size_filter.max_bytes",
     "expected int, got str 'lots'"),
    ("{max_bytes: 1000000, min_lines: 1}", "{max_bytez: 10}", 5, "stages[1].size_filter.max_bytez",
     "unknown parameter 'max_bytez'; valid parameters: max_bytes, max_line_length, max_lines, min_bytes, min_lines"),
    ("path: ./src", "path: ./nowhere", 2, "inputs[0].path", "no such file or folder: './nowhere'"),
    ("type: files", "type: filez", 2, "inputs[0].type", "valid input types:"),
    ("type: local, workers: 2", "type: spark, workers: 2", 7, "executor.type", "choose one of 'local'"),
    ("exact_dedup: {}", "exact_dedup: {keep: best}", 6, "stages[2].exact_dedup.keep",
     "choose one of 'first', 'newest', 'oldest'"),
    ("output: out/", "outptu: out/", 8, "outptu", "valid keys: inputs, stages, executor, output, seed"),
    ("{max_bytes: 1000000, min_lines: 1}", "{min_bytes: 10, max_bytes: 5}", 5, "stages[1].size_filter.min_bytes",
     "above max_bytes"),
])
def test_errors_name_file_line_field_and_choices(tmp_path: Path, old: str, new: str, line: int, field: str,
                                                 needle: str) -> None:
    assert old in GOOD
    e = error_of(tmp_path, GOOD.replace(old, new))
    assert (e.line, e.field) == (line, field), str(e)
    assert needle in e.message
    if "unknown op" in needle:
        assert all(op in e.message for op in ("decode", "exact_dedup", "normalize", "size_filter"))
    assert str(e).startswith(f"{tmp_path / 'recipe.yaml'}:{line}: {field}: ")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    e = error_of(tmp_path, GOOD.replace("  - exact_dedup: {}", "  - exact_dedup: {"))
    assert e.line is not None and e.line >= 6 and "not valid YAML" in e.message


def test_reading_an_unwritten_column_fails_before_any_data(tmp_path: Path) -> None:
    from codemill.dedup.exact import ExactDedup
    from codemill.registry import OPS

    class NeedsHash(ExactDedup):
        prepare_writes = ()

    OPS._items["needs_hash"] = NeedsHash
    try:
        e = error_of(tmp_path, GOOD.replace("exact_dedup: {}", "needs_hash: {}"))
    finally:
        del OPS._items["needs_hash"]
    assert e.field == "stages[2].needs_hash" and "reads column 'content_hash' that no earlier stage writes" in e.message


def test_cli_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    recipe = write(tmp_path, GOOD.replace("max_bytes: 1000000", "max_bytes: -x"))
    res = subprocess.run([sys.executable, "-m", "codemill.cli", "run", str(recipe)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "recipe.yaml:5: stages[1].size_filter.max_bytes: expected int, got str '-x'" in " ".join(res.stderr.split())
    ok = subprocess.run([sys.executable, "-m", "codemill.cli", "validate", str(write(tmp_path, GOOD))],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "ok (1 inputs, 3 stages)" in ok.stdout


def test_builtin_table_names_every_registered_op_and_reader() -> None:
    from codemill import builtins
    from codemill.registry import OPS, READERS

    builtins.load_all()
    assert {name: cls.__module__ for name, cls in OPS} == builtins.OPS
    assert {name: cls.__module__ for name, cls in READERS} == builtins.READERS
