"""`category`: what a file is for — test, library, script, example, config, build, docs, notebook,
generated, vendored or data — and the rule that said so.

One label per record, from the most specific evidence down:

1. `generated` (lock files, `_pb2.py`, `.min.js`; "DO NOT EDIT", "@generated", "auto-generated"
   in a comment or docstring line near the top; minified text), then `vendored` (a `vendor/`,
   `_vendor/`, `third_party/`, `externals/`, `node_modules/` folder), then `notebook` (`.ipynb`,
   jupytext `# %%` cells): these matter most when curating, so they win;
2. the file's own name: build files (`Makefile`, `setup.py`, `package.json`), config files
   (`tox.ini`, `tsconfig.json`, `*.config.js`), doc files (`README`, `LICENSE`, not for code),
   test files (`test_*.py`, `*_test.go`, `*.spec.ts`);
3. code: the folder (`tests/`, `examples/`, `docs/`), then the content: a test framework
   import together with test definitions, a numeric table (data), an entry point
   (`if __name__ == "__main__"` with command-line parsing or few definitions, `main()`,
   `package main`), a shebang, a shell language; otherwise `library`;
4. anything else: a data folder (`data/`, `testdata/`), the extension (docs `.md`/`.rst`/`.txt`,
   config `.yaml`/`.toml`/`.ini`, data `.csv`/`.jsonl`), then the folder; otherwise `data`.

`category_evidence` names the rule (`name:setup.py`, `path:tests/`, `content:pytest/unittest import
+ def test_`, ...). Counters per language × category land in stats.json for the report's matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from codemill.annotate import catrules as R
from codemill.annotate.langrules import NOT_CODE
from codemill.ops import MapOp
from codemill.params import param
from codemill.registry import OPS

HEAD = 2_000  # characters searched for generated-file markers (within the leading comments)
HEADER_LINES = 60
_LEADERS = ("#", "//", "/*", "*", "--", ";", "%", '"', "'", "<!--", "-->", "@")
SCAN = 32_000  # characters searched for imports and tests (the top of a file)
TAIL = 8_000  # ... plus the end, where `if __name__ == "__main__":` sits
_DIGITS = str.maketrans("", "", "0123456789")
_LETTERS = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass
class PathParts:
    name: str  # lower case
    ext: str
    dirs: tuple[str, ...]  # lower-case folder names

    @classmethod
    def of(cls, path: str) -> PathParts:
        parts = [d for d in (path or "").lower().split("/") if d and d != "."]
        name = parts[-1] if parts else ""
        ext = name.rsplit(".", 1)[-1] if "." in name.lstrip(".") else ""
        return cls(name, ext, tuple(parts[:-1]))

    def dir_in(self, names: frozenset[str]) -> str | None:
        return next((d for d in self.dirs if d in names), None)

    @staticmethod
    def is_test_dir(d: str) -> bool:
        """`tests/`, `test/`, ... and names like `idle_test/`, `test_email/`, `unit_tests/`."""
        return d in R.TEST_DIRS or d.endswith(("_test", "_tests")) or d.startswith(("test_", "tests_"))

    @staticmethod
    def is_example_dir(d: str) -> bool:
        """`examples/`, `demo/`, ... and names like `turtledemo/`, `pandas_tutorial/`."""
        return d in R.EXAMPLE_DIRS or d.endswith(("demo", "demos", "examples", "_tutorial", "_tutorials"))

    def nearest(self, *kinds: tuple[str, Any]) -> tuple[str, str] | None:
        """(label, evidence) of the deepest folder that matches one of `kinds` (a set or a predicate)."""
        for d in reversed(self.dirs):
            for label, test in kinds:
                if (test(d) if callable(test) else d in test):
                    return label, f"path:{d}/"
        return None

    def data_dir(self) -> str | None:
        """`data/`, `testdata/`, `fixtures/`, ... : folders of files that code reads."""
        return next((d for d in self.dirs if d in R.DATA_DIRS or d.endswith(("data", "_fixtures"))), None)


def _first(*rules: tuple[str, str | None]) -> tuple[str, str] | None:
    for label, evidence in rules:
        if evidence:
            return label, evidence
    return None


@OPS.register("category")
@dataclass
class Category(MapOp):
    """Purpose of each file (test, library, script, example, config, build, docs, notebook, generated,
    vendored, data) with the rule that decided it."""

    reads = ("text", "path", "lang")
    writes = (pa.field("category", pa.string()), pa.field("category_evidence", pa.string()))

    max_defs_for_script: int = param(3, "a Python file with a __main__ guard or shebang is a script with at most "
                                        "this many def/class (three times as many if it parses a command line); "
                                        "a library otherwise")
    minified_line: int = param(1000, "a text whose mean line is longer than this many characters is generated "
                                     "(minified), whatever its name")

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        label, evidence = self.classify(rec.get("path") or "", rec.get("text") or "", rec.get("lang") or "")
        rec["category"], rec["category_evidence"] = label, evidence
        self.counters[label] += 1
        self.counters[f"{rec.get('lang') or 'unknown'}|{label}"] += 1
        self.counters[f"evidence:{evidence.split(':', 1)[0]}"] += 1
        return rec

    def classify(self, path: str, text: str, lang: str) -> tuple[str, str]:
        p = PathParts.of(path)
        code = bool(lang) and lang not in NOT_CODE
        found = self._curation(p, text, lang) or _first(*self._by_name(p, code))
        if found:
            return found
        if code:  # where a code file lives says more than its content; the nearest folder decides
            found = (p.nearest(("test", p.is_test_dir), ("example", p.is_example_dir), ("docs", R.DOC_DIRS),
                               ("build", R.BUILD_DIRS))
                     or _first(("example", f"name:{p.name}" if R.EXAMPLE_NAME.match(p.name) else None),
                               ("script", "name:__main__.py" if p.name == "__main__.py" else None),
                               ("library", "name:__init__.py" if p.name == "__init__.py" else None))
                     or self._by_content(p, text, lang))
            return found or ("library", "default:code")
        # a non-code file is what its format says (a CSV in tests/ is data), then where it lives
        strong_doc = p.ext in R.DOC_EXT and p.ext != "txt"
        found = _first(("docs", f"ext:.{p.ext}" if strong_doc else None),
                       ("config", f"ext:.{p.ext}" if p.ext in R.CONFIG_EXT else None),
                       ("data", f"ext:.{p.ext}" if p.ext in R.DATA_EXT else None),
                       ("data", _dir("path", p.data_dir())),
                       ("docs", "ext:.txt" if p.ext == "txt" else None))
        return (found or p.nearest(("docs", R.DOC_DIRS), ("example", p.is_example_dir), ("test", p.is_test_dir))
                or ("data", "default:not code"))

    def _curation(self, p: PathParts, text: str, lang: str) -> tuple[str, str] | None:
        """What curation cares about first: generated files, vendored copies, notebooks."""
        if p.name in R.GENERATED_NAMES or p.name.endswith(R.GENERATED_SUFFIX):
            return "generated", f"name:{p.name}"
        generated = self._generated(text, lang)
        if generated:
            return generated
        vendor = p.dir_in(R.VENDOR_DIRS)
        if vendor:
            return "vendored", f"path:{vendor}/"
        if p.ext in R.NOTEBOOK_EXT:
            return "notebook", f"ext:.{p.ext}"
        if p.ext == "py" and any(text.find(n, 0, SCAN) >= 0 for n in R.NOTEBOOK_NEEDLES) \
                and len(R.NOTEBOOK_MARKER.findall(text[:SCAN])) >= 2:  # every marker holds a needle
            return "notebook", "content:# %% cells"
        return None

    def _generated(self, text: str, lang: str) -> tuple[str, str] | None:
        """A generator's mark in the file's leading comments, or minified code."""
        low = text[:HEAD].lower()
        if any(n in low for n in R.GENERATED_NEEDLES):
            m = R.GENERATED_MARKER.search(header(text[:HEAD]))
            if m:
                return "generated", f"content:{(m.group(1) or m.group(2)).strip()[:40]}"
        if lang in R.MINIFIABLE and len(text) > 2 * self.minified_line:
            n_lines = text.count("\n", 0, SCAN) + 1
            if min(len(text), SCAN) / n_lines > self.minified_line:
                return "generated", "content:minified"
        return None

    def _by_name(self, p: PathParts, code: bool) -> list[tuple[str, str | None]]:
        n = p.name
        base = n.rsplit(".", 1)[0] if "." in n.lstrip(".") else n
        doc_name = not code and (base in R.DOC_NAMES or base.split("-")[0] in R.DOC_NAMES)
        return [
            ("build", f"name:{n}" if n in R.BUILD_NAMES or n.startswith(R.BUILD_PREFIX) or p.ext in R.BUILD_EXT
             else None),
            ("config", f"name:{n}" if n in R.CONFIG_NAMES or n.endswith(R.CONFIG_SUFFIX) else None),
            ("docs", f"name:{n}" if doc_name else None),
            ("test", f"name:{n}" if R.TEST_NAME.match(n) else None),
        ]

    def _by_content(self, p: PathParts, text: str, lang: str) -> tuple[str, str] | None:
        body = text if len(text) <= SCAN + TAIL else text[:SCAN] + "\n" + text[-TAIL:]
        for framework, definitions in R.TEST_MARKERS:
            if framework.search(body, lang) and definitions.search(body, lang):
                return "test", f"content:{framework.name} + {definitions.name}"
        if _numeric_table(body):
            return "data", "content:numeric table"
        main = next((m for m in R.MAIN_MARKERS if m.search(body, lang)), None)
        if main is not None and main.name != "__main__ guard":
            return "script", f"content:{main.name}"
        shebang = text.startswith("#!")
        if lang in ("python", "cython") and (main is not None or shebang):
            return self._python_entry(body, lang, main)
        if shebang:
            return "script", "content:shebang"
        if lang in R.SCRIPT_LANGS:
            return "script", f"lang:{lang}"
        script_dir = p.dir_in(R.SCRIPT_DIRS)
        if script_dir:
            return "script", f"path:{script_dir}/"
        return None


    def _python_entry(self, body: str, lang: str, main: R.Marker | None) -> tuple[str, str]:
        """A Python file with a `__main__` guard or a shebang: a script, or a library that can also
        run (stdlib-style modules carry a shebang, a self-test or a demo under the guard)."""
        n_defs = len(R.PY_DEFS.findall(body))
        if main is None:  # shebang only: a module of definitions is a library
            return ("library", f"content:shebang in a module with {n_defs} definitions") if n_defs \
                else ("script", "content:shebang + no definitions")
        guard = body.rfind("__main__")
        if R.SELF_TEST.search(body, guard, guard + 400):
            return "library", "content:__main__ guard runs self-tests"
        cli = R.CLI_MARKER.search(body, lang)
        if n_defs <= self.max_defs_for_script * (3 if cli else 1):
            return "script", f"content:{main.name}{' + ' + R.CLI_MARKER.name if cli else ''} + {n_defs} definitions"
        return "library", f"content:{main.name} in a module with {n_defs} definitions"


def header(text: str) -> str:
    """The file's leading comment block: lines up to the first one that is code, treating block
    comments and a leading docstring as comment."""
    out: list[str] = []
    closer = None
    for line in text.split("\n")[:HEADER_LINES]:
        s = line.strip()
        if closer is None and s and not s.startswith(_LEADERS):
            break
        out.append(line)
        if closer is not None:
            if closer in s:
                closer = None
        else:
            opener = next((o for o in ('"""', "'''", "/*") if s.startswith(o)), None)
            if opener:
                end = "*/" if opener == "/*" else opener
                closer = None if end in s[len(opener):] else end
    return "\n".join(out)


def _dir(kind: str, name: str | None) -> str | None:
    return f"{kind}:{name}/" if name else None


def _numeric_table(body: str) -> bool:
    """Mostly numbers: at least 2,000 characters, and digits outnumber letters two to one in the first 4,000."""
    if len(body) < 2000:
        return False
    head = body[:4000]
    digits = len(head) - len(head.translate(_DIGITS))
    letters = len(head) - len(head.translate(_LETTERS))
    return digits > 2 * letters
