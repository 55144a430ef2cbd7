"""`complexity`: size, control flow and vocabulary metrics per record and per function.

Why not lizard or radon on the hot path: measured on the benchmark subset they run at 1.9 and
3.8 MB/s and skip many languages, while the syntax stage already holds a tree-sitter tree of
every file. So the metrics come from that tree (one cursor walk that measures the depth and
matches inner nodes' kinds to roles, plus a lookup of leaf comments, see `treewalk` and `cxspec`) and
from one numpy pass over the bytes; radon and lizard serve as test oracles only
(tests/test_annotate_complexity.py).

Definitions (docs/annotate.md has examples):
* `code_lines`: lines with code outside comments and docstrings; `comment_lines`: lines with comment text.
* `cyclomatic`: 1 + decision points of the whole file (see `cxspec`); `max_cyclomatic`: of the most
  complex function, top-level code counting as one more unit; `functions`: per function
  name, first line, length in lines and cyclomatic complexity (nested functions separately).
* `max_nesting`: deepest nesting of control blocks (if/loop/switch/try/with).
* `ast_nodes` / `ast_depth`: nodes (named and anonymous) and levels of the tree-sitter tree.
* Halstead over lexical tokens of the code without comments: operators = punctuation bytes and
  keywords, operands = other words and literals; volume N log2 n, difficulty (n1/2)(N2/n2).
Languages without a role spec (or a tree) get the lexical metrics only (`complexity_from` = "lexical"), and
markup or data formats no control-flow metrics (null).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

from codemill import parse
from codemill.annotate import cxspec
from codemill.annotate.features import keys_of, word_keys
from codemill.annotate.langrules import NOT_CODE
from codemill.annotate.treewalk import leaf_comments, walk
from codemill.ops import MapOp
from codemill.params import ParamError, param
from codemill.record import utf8_of
from codemill.registry import OPS

FUNCTION_TYPE = pa.struct([("name", pa.string()), ("line", pa.int32()), ("lines", pa.int32()),
                           ("cyclomatic", pa.int32())])
METRIC_FIELDS = (
    pa.field("code_lines", pa.int64()), pa.field("comment_lines", pa.int64()), pa.field("code_tokens", pa.int64()),
    pa.field("cyclomatic", pa.int64()), pa.field("max_cyclomatic", pa.int64()), pa.field("max_nesting", pa.int64()),
    pa.field("n_functions", pa.int64()), pa.field("n_classes", pa.int64()), pa.field("ast_nodes", pa.int64()),
    pa.field("ast_depth", pa.int64()), pa.field("halstead_volume", pa.float64()),
    pa.field("halstead_difficulty", pa.float64()),
)
#: keywords of the common languages, one set: a word that is a keyword somewhere is an operator here
KEYWORDS = (
    "if else elif elsif unless for foreach while until do loop switch case default match when break continue "
    "return yield goto try catch except finally throw throws raise with as assert and or not in is "
    "def fn func function lambda class struct union enum interface trait impl module namespace package "
    "import from export require use using include extern static const let var val mut pub public private "
    "protected internal final abstract virtual override inline async await new delete typeof instanceof "
    "sizeof void int char float double long short unsigned signed bool boolean auto register volatile "
    "template typename this self super null nil None true false True False then fi esac done end begin "
    "local global nonlocal pass del print echo type where defer go chan select comptime"
).split()
DECISION_WORDS = ["if", "elif", "elsif", "unless", "for", "foreach", "while", "until", "case", "catch", "except",
                  "when", "and", "or"]
#: line-comment markers for the lexical fallback
LINE_COMMENT = {
    "#": ("python", "cython", "shell", "perl", "ruby", "r", "yaml", "toml", "makefile", "cmake", "tcl", "powershell",
          "dockerfile", "ini", "elixir", "julia", "nim", "starlark", "meson", "fish", "awk"),
    "//": ("c", "cpp", "cuda", "c-header", "objective-c", "objective-cpp", "java", "javascript", "typescript",
           "csharp", "go", "rust", "zig", "swift", "kotlin", "scala", "groovy", "dart", "php", "solidity",
           "protobuf", "fsharp", "verilog"),
    "--": ("sql", "lua", "haskell", "vhdl", "ada"),
    ";": ("assembly", "clojure", "lisp", "scheme"),
    "%": ("matlab", "tex", "prolog", "erlang"),
    '"': ("vim",),
}
_PREFIX = {lang: p for p, langs in LINE_COMMENT.items() for lang in langs}


class KeySet:
    """Membership of (unmixed) word keys in a small word set: a 64K-entry filter on 16 hashed bits
    (one multiply and one gather per key) and an exact check only for the few keys that pass it."""

    def __init__(self, words: list[str]) -> None:
        self.keys = keys_of([w.encode() for w in words])
        self.filter = np.zeros(1 << 16, bool)
        self.filter[self._slot(self.keys)] = True

    @staticmethod
    def _slot(keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(48)).astype(np.int64)

    def member(self, keys: np.ndarray) -> np.ndarray:
        out = self.filter[self._slot(keys)]
        maybe = np.flatnonzero(out)
        if len(maybe):
            pos = np.searchsorted(self.keys, keys[maybe])
            pos[pos == len(self.keys)] = 0
            out[maybe] = self.keys[pos] == keys[maybe]
        return out


@cache
def _keywords() -> KeySet:
    return KeySet(KEYWORDS)


@cache
def _decision_words() -> KeySet:
    return KeySet(DECISION_WORDS)


@dataclass
class TreeFacts:
    """What the tree says: comment and docstring spans, the file's metrics, one row per function."""

    comments: list[tuple[int, int]]
    metrics: dict[str, Any]
    functions: list[dict[str, Any]]


def strip_comments(raw: bytes, spans: list[tuple[int, int]]) -> tuple[bytes, int]:
    """(code bytes with every comment replaced by its newlines, number of lines holding comment text).

    Line structure is kept, byte offsets are not (nothing after this needs them).
    """
    if not spans:
        return raw, 0
    spans = sorted(spans)
    nl = np.flatnonzero(np.frombuffer(raw, np.uint8) == 10)
    s, e = np.array(spans, np.int64).T
    first, last = np.searchsorted(nl, s), np.searchsorted(nl, np.maximum(e - 1, s))
    marks = np.bincount(first, minlength=len(nl) + 2) - np.bincount(last + 1, minlength=len(nl) + 2)
    comment_lines = int(np.count_nonzero(np.cumsum(marks)[: len(nl) + 1]))
    pieces, pos = [], 0
    for a, b in spans:
        if b <= pos:
            continue
        a = max(a, pos)
        pieces.append(raw[pos:a])
        pieces.append(b"\n" * raw.count(b"\n", a, b))
        pos = b
    pieces.append(raw[pos:])
    return b"".join(pieces), comment_lines


def count_code_lines(code: bytes) -> int:
    """Lines with anything but blanks (comments already removed): the lines left non-empty once
    the blanks `bytes.strip` removes are deleted (all in C, no loop over lines)."""
    lines = code.translate(None, b" \t\r\x0b\x0c").split(b"\n")
    return len(lines) - lines.count(b"")


def prefix_comments(raw: bytes, prefix: bytes) -> list[tuple[int, int]]:
    """Lexical fallback: spans of the lines whose first non-blank bytes are the line-comment `prefix`."""
    spans, pos = [], 0
    for line in raw.split(b"\n"):
        if line.lstrip().startswith(prefix):
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def halstead(code: bytes, decisions: bool = False) -> dict[str, Any]:
    """Token count, volume and difficulty of the code bytes (comments removed); with `decisions`,
    also the count of branching keywords and `&&`/`||` (the cyclomatic estimate without a tree)."""
    keys, n_punct, distinct_punct = word_keys(code)
    keys.sort()  # one sort serves both distinct counts: a word is a keyword or not whatever its position
    kw = _keywords().member(keys)
    first = np.empty(len(keys), bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    n_kw, distinct_kw = int(np.count_nonzero(kw)), int(np.count_nonzero(first & kw))
    big_n1, big_n2 = n_punct + n_kw, len(keys) - n_kw
    n1 = distinct_punct + distinct_kw
    n2 = int(np.count_nonzero(first)) - distinct_kw
    volume = (big_n1 + big_n2) * float(np.log2(n1 + n2)) if n1 + n2 > 1 else 0.0
    difficulty = (n1 / 2.0) * (big_n2 / n2) if n2 else 0.0
    out: dict[str, Any] = {"code_tokens": big_n1 + big_n2, "halstead_volume": round(volume, 3),
                           "halstead_difficulty": round(difficulty, 3)}
    if decisions:
        out["decisions"] = int(_decision_words().member(keys).sum()) + code.count(b"&&") + code.count(b"||")
    return out



def max_nesting(spans: list[tuple[int, int]]) -> int:
    """Deepest containment among (start, end) spans of nesting blocks."""
    best, stack = 0, []
    for s, neg_end in sorted([(s, -e) for s, e in spans]):  # outer before inner at the same start
        while stack and stack[-1] <= s:
            stack.pop()
        stack.append(-neg_end)
        if len(stack) > best:
            best = len(stack)
    return best


def tree_facts(tree: Any, roles: cxspec.Roles, raw: bytes) -> TreeFacts:
    found, depth = walk(tree, roles)
    # reversed post-order puts an outer function before an inner one with the same span, as document order does
    funcs = sorted(reversed(found["function"]), key=lambda n: (n.start_byte, -n.end_byte))
    branches = sorted(n.start_byte for n in found["branch"])
    rows, top_decisions = attribute(funcs, branches, raw)
    metrics = {
        "cyclomatic": 1 + len(branches),
        "max_cyclomatic": max([r["cyclomatic"] for r in rows] + [1 + top_decisions]),
        "max_nesting": max_nesting([(n.start_byte, n.end_byte) for n in found["nest"]]),
        "n_functions": len(funcs), "n_classes": len(found["class"]),
        "ast_nodes": tree.root_node.descendant_count, "ast_depth": depth,
    }
    comments = found["comment"] + leaf_comments(tree.root_node, raw, roles)
    if roles.docstrings:
        comments = comments + cxspec.docstrings(tree.root_node, funcs + found["class"])
    return TreeFacts([(n.start_byte, n.end_byte) for n in comments], metrics, rows)


def attribute(funcs: list[Any], branches: list[int], raw: bytes) -> tuple[list[dict[str, Any]], int]:
    """Per-function rows (decisions go to the innermost function holding them) and the top-level count."""
    parent: list[int] = []
    stack: list[int] = []
    for i, f in enumerate(funcs):
        while stack and funcs[stack[-1]].end_byte <= f.start_byte:
            stack.pop()
        parent.append(stack[-1] if stack else -1)
        stack.append(i)
    starts = [f.start_byte for f in funcs]
    counts = [0] * len(funcs)
    top = 0
    for pos in branches:
        i = bisect_right(starts, pos) - 1
        while i >= 0 and funcs[i].end_byte <= pos:
            i = parent[i]
        if i < 0:
            top += 1
        else:
            counts[i] += 1
    rows = [{"name": function_name(f, raw), "line": f.start_point[0] + 1,
             "lines": f.end_point[0] - f.start_point[0] + 1, "cyclomatic": 1 + c} for f, c in zip(funcs, counts, strict=True)]
    return rows, top


def function_name(node: Any, raw: bytes) -> str | None:
    """The declared name: a `name` field, C's declarator chain, zig's FnProto, or the variable an
    anonymous function is assigned to; None when there is none."""
    cur = node
    for _ in range(8):
        if cur.type == "Decl":  # zig: (Decl (FnProto function: (IDENTIFIER)) (Block))
            cur = cur.named_children[0] if cur.named_children else cur
        nxt = (cur.child_by_field_name("name") or cur.child_by_field_name("declarator")
               or cur.child_by_field_name("function"))
        if nxt is None:
            break
        cur = nxt
    if cur is node:  # anonymous: `const f = () => ...`, `{key: function () {}}`, `x.f = function () {}`
        p = node.parent
        if p is None:
            return None
        cur = p.child_by_field_name("name") or p.child_by_field_name("left") or p.child_by_field_name("key")
        if cur is None:
            return None
    if cur.type in ("function_declarator", "parameter_list"):
        return None
    return raw[cur.start_byte:cur.end_byte].decode("utf-8", "replace")[:200]


@OPS.register("complexity")
@dataclass
class Complexity(MapOp):
    """Size, cyclomatic, nesting, AST and Halstead metrics per record; cyclomatic and length per function."""

    reads = ("text", "lang")
    writes = (*METRIC_FIELDS, pa.field("functions", pa.list_(FUNCTION_TYPE)), pa.field("complexity_from", pa.string()))

    timeout_s: float = param(10.0, "tree-sitter parse limit per file (when no earlier stage parsed it); "
                                   "past it the file gets the lexical metrics")
    max_functions: int = param(5000, "per-function rows kept per record at most (the first ones)")

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ParamError("timeout_s", "must be > 0")

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        rec.update(self.measure(rec))
        self.counters[f"from:{rec['complexity_from']}"] += 1
        return rec

    def measure(self, rec: dict[str, Any]) -> dict[str, Any]:
        lang = rec.get("lang") or ""
        raw = utf8_of(rec)
        facts = self._tree_facts(rec, lang, raw)
        if facts is not None:
            spans, method = facts.comments, "tree-sitter"
        else:
            prefix = _PREFIX.get(lang)
            spans, method = (prefix_comments(raw, prefix.encode()) if prefix else []), "lexical"
        code, comment_lines = strip_comments(raw, spans)
        is_code = bool(lang) and lang not in NOT_CODE
        h = halstead(code, decisions=facts is None and is_code)
        out: dict[str, Any] = {f.name: None for f in METRIC_FIELDS}
        decisions = h.pop("decisions", None)
        out.update(h, code_lines=count_code_lines(code), comment_lines=comment_lines, complexity_from=method,
                   functions=None)
        if facts is not None:
            out.update(facts.metrics, functions=facts.functions[: self.max_functions])
        elif decisions is not None:
            out["cyclomatic"] = out["max_cyclomatic"] = 1 + decisions
        return out

    def _tree_facts(self, rec: dict[str, Any], lang: str, raw: bytes) -> TreeFacts | None:
        if not lang or lang in NOT_CODE:
            return None
        key = parse.grammar_lang(lang, rec.get("path"))
        roles = cxspec.roles_for(parse.GRAMMARS.get(key, key))
        if roles is None:
            return None
        try:
            tree = parse.tree_of_limited(rec, self.timeout_s)
        except parse.ParseTimeout:
            self.counters["parse timeout"] += 1
            return None
        return tree_facts(tree, roles, raw) if tree is not None else None
