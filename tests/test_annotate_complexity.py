"""`complexity` op: hand-computed small examples, radon and lizard as oracles on real code."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

import codemill
from codemill.annotate.complexity import METRIC_FIELDS
from tests.conftest import STDLIB

PY = '''"""Module doc."""
import os


def f(a, b):
    """Doc."""
    # comment
    if a and b:
        return 1
    elif a:
        for x in range(3):
            while x:
                x -= 1
    return [y for y in a if y]


class C:
    def m(self):
        try:
            pass
        except ValueError:
            pass
        except KeyError:
            pass
        return 1 if self else 2
'''

C = '''/* header
 * comment */
#include <stdio.h>

static int *g(int x) { return x > 0 && x < 3 ? &x : 0; }

int main(int argc, char **argv) {
  // loop
  for (int i = 0; i < argc; i++) {
    switch (i) { case 1: break; case 2: break; default: break; }
  }
  struct S { int a; };
  return 0;
}
'''

JS = '''const f = (a) => a ? 1 : 2;
function g(x) { if (x ?? y) { return 1 } }
class K { m() { try {} catch (e) {} } }
'''


def measure(text: str, lang: str, path: str = "") -> dict:
    out = codemill.apply("complexity", [{"id": "1", "text": text, "lang": lang, "path": path}])
    assert not out.rejected, out.rejected
    return out.kept[0]


def test_python_by_hand() -> None:
    r = measure(PY, "python", "a.py")
    # f: if, `and`, elif, for, while, comprehension for, comprehension if -> 1 + 7; m: 2 except + ternary -> 1 + 3
    assert [(x["name"], x["line"], x["lines"], x["cyclomatic"]) for x in r["functions"]] == [
        ("f", 5, 10, 8), ("m", 18, 8, 4)]
    assert (r["cyclomatic"], r["max_cyclomatic"], r["max_nesting"]) == (11, 8, 3)
    assert (r["n_functions"], r["n_classes"]) == (2, 1)
    # 25 lines: 4 blank, 3 with a docstring or comment
    assert (r["code_lines"], r["comment_lines"]) == (18, 3)
    assert r["complexity_from"] == "tree-sitter" and r["ast_nodes"] > 100 and r["ast_depth"] >= 10


def test_c_by_hand() -> None:
    r = measure(C, "c", "a.c")
    # g: && and ?: -> 3; main: for and two valued cases (default adds nothing) -> 4
    assert [(x["name"], x["cyclomatic"]) for x in r["functions"]] == [("g", 3), ("main", 4)]
    assert (r["cyclomatic"], r["max_nesting"], r["n_classes"]) == (6, 2, 1)
    assert (r["code_lines"], r["comment_lines"]) == (9, 3)


def test_javascript_by_hand() -> None:
    r = measure(JS, "javascript", "a.js")
    assert [(x["name"], x["cyclomatic"]) for x in r["functions"]] == [("f", 2), ("g", 3), ("m", 2)]
    assert (r["n_functions"], r["n_classes"], r["cyclomatic"]) == (3, 1, 5)


def test_halstead_by_hand() -> None:
    r = measure("x = y + 1\n", "python")
    # operators `=`, `+`; operands x, y, 1: N = 5, n = 5, volume 5 log2 5; difficulty (2/2) * (3/3)
    assert r["code_tokens"] == 5
    assert r["halstead_volume"] == pytest.approx(5 * 2.321928, rel=1e-4)
    assert r["halstead_difficulty"] == pytest.approx(1.0)


def test_lexical_fallback_and_markup() -> None:
    ps = measure("# comment\nif ($x) { Write-Host 'a' }\nforeach ($i in $l) { $i }\n", "powershell", "a.ps1")
    assert (ps["complexity_from"], ps["comment_lines"], ps["code_lines"], ps["cyclomatic"]) == ("lexical", 1, 2, 3)
    assert ps["functions"] is None and ps["ast_depth"] is None
    md = measure("# Title\n\nSome *text*.\n", "markdown", "README.md")
    assert md["cyclomatic"] is None and md["max_cyclomatic"] is None and md["code_tokens"] > 0


def test_bad_input_is_data() -> None:
    deep = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"
    r = measure(deep, "python")
    assert r["ast_depth"] > 1000
    broken = measure("def f(:\n  if\n", "python")
    assert broken["complexity_from"] == "tree-sitter"
    assert measure("", "python")["code_lines"] == 0


def test_radon_agrees_on_stdlib_functions() -> None:
    radon = pytest.importorskip("radon.complexity")
    total = same = 0
    for name in ("json/decoder.py", "json/encoder.py", "textwrap.py", "heapq.py", "shlex.py", "fnmatch.py"):
        text = (STDLIB / name).read_text()
        mine = {(fn["name"], fn["line"]): fn["cyclomatic"] for fn in measure(text, "python")["functions"]}
        for block in radon.cc_visit(text):
            for fn in getattr(block, "methods", None) or [block]:
                total += 1
                same += mine.get((fn.name, fn.lineno)) == fn.complexity
    assert total > 50 and same >= 0.97 * total, (same, total)


C_PROGRAM = '''#include <stdlib.h>
#include <string.h>

struct node { int key; struct node *left, *right; };

static struct node *insert(struct node *t, int key) {
    if (t == NULL) {
        t = calloc(1, sizeof *t);
        if (!t) return NULL;
        t->key = key;
    } else if (key < t->key) {
        t->left = insert(t->left, key);
    } else if (key > t->key) {
        t->right = insert(t->right, key);
    }
    return t;
}

static int height(const struct node *t) {
    int l, r;
    if (!t) return 0;
    l = height(t->left);
    r = height(t->right);
    return 1 + (l > r ? l : r);
}

int count_words(const char *s) {
    int n = 0, in = 0;
    for (; *s; s++) {
        switch (*s) {
        case ' ': case '\\t': case '\\n':
            in = 0;
            break;
        default:
            if (!in && (*s != '#' || n == 0)) n++;
            in = 1;
        }
    }
    while (n > 1000 && n % 2 == 0) n /= 2;
    return n;
}
'''


def test_lizard_agrees_on_c_functions() -> None:
    lizard = pytest.importorskip("lizard")
    sources = [("tree.c", C_PROGRAM)]
    for path in sorted(glob.glob("/root/.pyenv/versions/*/lib/python*/distutils/tests/xxmodule.c"))[:1]:
        sources.append((path, Path(path).read_text()))
    total = same = 0
    for path, text in sources:
        mine = {fn["name"]: fn["cyclomatic"] for fn in measure(text, "c", path)["functions"]}
        for fn in lizard.analyze_file.analyze_source_code(path, text).function_list:
            total += 1
            same += mine.get(fn.name) == fn.cyclomatic_complexity
    assert total >= 3 and same >= 0.9 * total, (same, total)
    mine = {fn["name"]: fn["cyclomatic"] for fn in measure(C_PROGRAM, "c")["functions"]}
    assert mine == {"insert": 5, "height": 3, "count_words": 10}


def test_declared_columns() -> None:
    from codemill.annotate.complexity import Complexity

    names = [f.name for f in Complexity.writes]
    assert names[: len(METRIC_FIELDS)] == [f.name for f in METRIC_FIELDS]
    assert {"functions", "complexity_from"} <= set(names)


def test_every_spec_entry_names_a_real_node_kind() -> None:
    """A typo in a spec would silently lose a metric: each entry must exist in its grammar
    (or be a known gap of the C grammar, which has no C++ kinds)."""
    from tree_sitter_language_pack import get_language

    from codemill.annotate import cxspec

    cpp_only = {"class_specifier?body", "for_range_loop", "catch_clause", "try_statement"}
    for grammar, spec in cxspec.SPECS.items():
        lang = get_language(grammar)
        kinds = {(lang.node_kind_for_id(i), lang.node_kind_is_named(i)) for i in range(lang.node_kind_count)}
        for entries in (spec.functions, spec.classes, spec.branches, spec.nesting, spec.comments):
            for entry in entries:
                kind, named, _, _ = cxspec._parse_entry(entry)
                ok = (kind, named) in kinds or (grammar == "c" and entry in cpp_only) or \
                    (grammar == "javascript" and kind == "abstract_class_declaration")
                assert ok, (grammar, entry)


def _every_node(tree, roles) -> tuple[dict[str, list[tuple[int, int, int]]], int]:
    """Reference for `walk`: reads the kind of every node (leaves too) in document order."""
    from codemill.annotate import cxspec

    found: dict[str, list[tuple[int, int, int]]] = {r: [] for r in cxspec.ROLES}
    tokens: dict[int, dict[int, tuple[str, ...]]] = {}  # token kind -> parent kind -> roles
    for p, toks in roles.tokens.items():
        for t, rs in toks.items():
            tokens.setdefault(t, {})[p] = rs
    stack, depth = [(tree.root_node, 1)], 0
    while stack:
        node, d = stack.pop()
        depth = max(depth, d)
        k, key = node.kind_id, (node.start_byte, node.end_byte, node.kind_id)
        roles_of = list(roles.plain.get(k, ()))
        for rule in roles.rules.get(k, ()):
            parent = node.parent
            if (rule.parents is None or (parent is not None and parent.kind_id in rule.parents)) \
                    and (rule.check is None or rule.check(node)):
                roles_of += rule.roles
        if k in tokens and not node.is_named and node.parent is not None:
            roles_of += tokens[k].get(node.parent.kind_id, ())
        for r in roles_of:
            found[r].append(key)
        stack.extend((c, d + 1) for c in reversed(node.children))
    return {r: sorted(v) for r, v in found.items()}, depth


@pytest.mark.parametrize(("grammar", "pattern", "n"), [
    ("python", str(STDLIB / "**" / "*.py"), 150),
    ("c", "/usr/include/**/*.h", 60),
    ("cpp", "/usr/include/c++/**/*.h", 40),
    ("go", "/usr/share/go-*/src/**/*.go", 40),
    ("ruby", "/usr/lib/ruby/**/*.rb", 40),
])
def test_walk_and_leaf_comments_equal_a_walk_over_every_node(grammar: str, pattern: str, n: int) -> None:
    """The fast walk reads only inner nodes' kinds; operator tokens and leaf comments are found
    apart. Together they must give the same role nodes and depth as reading every node."""
    from codemill import parse
    from codemill.annotate import cxspec
    from codemill.annotate.treewalk import leaf_comments, walk

    files = sorted(glob.glob(pattern, recursive=True))
    if len(files) < 10:
        pytest.skip(f"no files at {pattern}")
    roles = cxspec.roles_for(grammar)
    for f in files[:: max(1, len(files) // n)][:n]:
        raw = Path(f).read_bytes()
        tree = parse.parse_bytes(grammar, raw)
        found, depth = walk(tree, roles)
        found["comment"] += leaf_comments(tree.root_node, raw, roles)
        got = {r: sorted((x.start_byte, x.end_byte, x.kind_id) for x in v) for r, v in found.items()}
        assert (got, depth) == _every_node(tree, roles), f


def test_syntax_stage_tree_is_shared_only_when_it_is_of_the_text_itself() -> None:
    """C-family: the syntax stage parses a copy with certainly-inactive `#if` branches blanked or
    macros blanked; only a tree of the unchanged text may reach complexity. Either way the metrics
    equal those computed without the syntax stage (real headers, /usr/include)."""
    from codemill import parse
    from codemill.api import make_op

    files = sorted(glob.glob("/usr/include/*.h"))[:80] + sorted(glob.glob("/usr/include/c++/*/bits/*.h"))[:40]
    if len(files) < 60:
        pytest.skip("too few system headers in /usr/include")
    syntax, cx = make_op("syntax", on_error="keep"), make_op("complexity")
    shared = unshared = 0
    for path in files:
        text = Path(path).read_text(errors="replace")
        rec = {"id": path, "text": text, "lang": "cpp" if "/c++/" in path else "c", "path": path,
               "_nbytes": len(text.encode("utf-8", "surrogatepass"))}
        syntax.score(rec)
        cached = rec.get(parse._CACHE_KEY)
        if cached is not None:
            shared += 1
            fresh = parse.parse_bytes(parse.grammar_lang(rec["lang"], path), text.encode("utf-8", "surrogatepass"))
            assert str(cached[1].root_node) == str(fresh.root_node), path
        else:
            unshared += 1
        alone = {k: v for k, v in rec.items() if k != parse._CACHE_KEY}
        assert cx.measure(rec) == cx.measure(alone), path
    assert shared >= 10 and unshared >= 10, (shared, unshared)
