"""`category` op: the hand-checked fixture (225 real files, labels read by a person) and real files
from this interpreter's standard library."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import codemill
from codemill.annotate.catrules import CATEGORIES
from tests.conftest import STDLIB

FIXTURE = Path(__file__).parent / "data" / "annotate" / "categories.jsonl"


def categorize(recs: list[dict]) -> list[dict]:
    out = codemill.apply("category", [{"id": str(i), **r} for i, r in enumerate(recs)])
    assert not out.rejected
    return out.kept


def test_hand_checked_fixture_precision() -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200 and {r["label"] for r in rows} <= set(CATEGORIES)
    got = categorize([{"text": r["text"], "path": r["path"], "lang": r["lang"]} for r in rows])
    hits, predicted, truth = Counter(), Counter(), Counter()
    for r, g in zip(rows, got, strict=True):
        predicted[g["category"]] += 1
        truth[r["label"]] += 1
        hits[g["category"]] += g["category"] == r["label"]
        assert g["category_evidence"]
    accuracy = sum(hits.values()) / len(rows)
    precision = {c: hits[c] / predicted[c] for c in predicted}
    assert accuracy >= 0.9, (accuracy, precision)
    for c, n in truth.items():
        if n >= 10:
            assert precision.get(c, 0) >= 0.75, (c, precision)


def test_stdlib_tests_vendored_copies_and_entry_points() -> None:
    recs = [
        {"path": "test/test_json/test_decode.py", "text": (STDLIB / "test/test_json/test_decode.py").read_text()},
        {"path": "lib/tests/helpers.py", "text": "import json\n\ndef load(p):\n    return json.load(open(p))\n"},
        {"path": "src/checks.py", "text": "import pytest\n\n\ndef test_ok():\n    assert 1 + 1 == 2\n"},
        {"path": "pip/_vendor/json/decoder.py", "text": (STDLIB / "json/decoder.py").read_text()},
        {"path": "json/tool.py", "text": (STDLIB / "json/tool.py").read_text()},
        {"path": "base64.py", "text": (STDLIB / "base64.py").read_text()},
        {"path": "textwrap.py", "text": (STDLIB / "textwrap.py").read_text()},
        {"path": "turtledemo/peace.py", "text": (STDLIB / "turtledemo/peace.py").read_text()},
        {"path": "keyword.py", "text": (STDLIB / "keyword.py").read_text()},
    ]
    got = {r["path"]: (r["category"], r["category_evidence"]) for r in categorize([{**r, "lang": "python"}
                                                                                  for r in recs])}
    assert got["test/test_json/test_decode.py"][0] == "test"
    assert got["lib/tests/helpers.py"] == ("test", "path:tests/")
    assert got["src/checks.py"] == ("test", "content:pytest/unittest import + def test_")
    assert got["pip/_vendor/json/decoder.py"] == ("vendored", "path:_vendor/")
    assert got["json/tool.py"][0] == "script"
    assert got["base64.py"][0] == "library"  # a module with a small CLI is still a library
    assert got["textwrap.py"][0] == "library"
    assert got["turtledemo/peace.py"] == ("example", "path:turtledemo/")
    assert got["keyword.py"][0] == "generated"


@pytest.mark.parametrize(("path", "text", "lang", "want"), [
    ("setup.py", "from setuptools import setup\nsetup(name='x')\n", "python", "build"),
    ("pkg/Makefile", "all:\n\tcc -o x x.c\n", "makefile", "build"),
    ("CMakeLists.txt", "project(x)\n", "cmake", "build"),
    ("tox.ini", "[tox]\nenvlist = py311\n", "ini", "config"),
    ("webpack.config.js", "module.exports = {mode: 'production'};\n", "javascript", "config"),
    ("conf/app.yaml", "debug: true\n", "yaml", "config"),
    ("docs/README.md", "# Title\n", "markdown", "docs"),
    ("LICENSE", "MIT License\n", None, "docs"),
    ("data/iris.csv", "a,b\n1,2\n", None, "data"),
    ("tests/data/msg.txt", "From: a@b\n\nhello\n", "text", "data"),
    ("nb/analysis.ipynb", '{"cells": [], "nbformat": 4}', "json", "notebook"),
    ("analysis.py", "# %%\nimport numpy as np\n# %%\nx = np.ones(3)\n", "python", "notebook"),
    ("package-lock.json", "{}", "json", "generated"),
    ("api_pb2.py", "x = 1\n", "python", "generated"),
    ("dist/app.min.js", "var a=1;" * 400, "javascript", "generated"),
    ("node_modules/left-pad/index.js", "module.exports = 1;\n", "javascript", "vendored"),
    ("examples/hello.c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); }\n", "c", "example"),
    ("src/tool.c", "#include <stdio.h>\nint main(int argc, char **argv) { return 0; }\n", "c", "script"),
    ("src/list.c", "int len(int *a) { return a[0]; }\n", "c", "library"),
    ("cmd/x/main.go", "package main\n\nfunc main() {}\n", "go", "script"),
    ("scripts/deploy.sh", "set -e\nrsync -a . host:/srv\n", "shell", "script"),
    ("src/util_test.go", "package util\n", "go", "test"),
    ("tables.py", "T = [\n" + "    0x1234, 0x5678, 0x9abc, 1234, 5678,\n" * 120 + "]\n", "python", "data"),
])
def test_conventions(path: str, text: str, lang: str | None, want: str) -> None:
    got = categorize([{"path": path, "text": text, "lang": lang}])[0]
    assert got["category"] == want, got["category_evidence"]


def test_generated_mark_must_lead_the_file() -> None:
    lead = "# Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n"
    later = "import textwrap\n\nTEMPLATE = '''\n# file GENERATED by tool, do NOT edit\n'''\n"
    got = categorize([{"path": "x.go", "text": lead, "lang": "go"}, {"path": "y.py", "text": later, "lang": "python"}])
    assert [g["category"] for g in got] == ["generated", "library"]


def test_counters_for_the_matrix() -> None:
    out = codemill.apply("category", [{"id": "1", "path": "tests/test_a.py", "text": "x = 1\n", "lang": "python"},
                                      {"id": "2", "path": "a.py", "text": "x = 1\n", "lang": "python"}])
    assert out.stats.counters["python|test"] == 1 and out.stats.counters["python|library"] == 1
