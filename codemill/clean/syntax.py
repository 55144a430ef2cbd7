"""`syntax`: does the file parse? Python by the interpreter's compiler, 20 more languages by tree-sitter.

Score, then decide: `syntax_ok`, `syntax_error` and `error_ratio` are written on every record,
then the recipe's policy acts on a failure: `reject` it, `repair` it (keep the longest prefix of
complete definitions, see `repair.py` and `repair_tree.py`), or `keep` it (annotate only).

Column meanings: `syntax_error` and `error_ratio` describe the text as it came in (so a reader
sees why a file was repaired); `syntax_ok` describes the text as it leaves the op (true after a
successful repair); null when the language has no checker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from codemill import parse
from codemill.clean import cconfig, cpre, cretry, extcheck, pycheck, repair, repair_tree, tscheck
from codemill.clean.pycheck import Verdict
from codemill.clean.tscheck import tree_verdict
from codemill.ops import FilterOp
from codemill.params import ParamError, param
from codemill.record import utf8_of
from codemill.registry import OPS

#: languages checked by default: each was measured against a compiler or on real code (docs/clean.md)
DEFAULT_LANGS = [
    "python", "javascript", "typescript", "java", "c", "c-header", "cpp", "cuda", "csharp", "go", "rust",
    "zig", "ruby", "php", "shell", "kotlin", "swift", "scala", "lua",
]
TOO_LARGE = "too large to check"
#: C-family languages: is `__cplusplus` defined (for blanking inactive preprocessor branches)?
C_FAMILY = {"c": False, "objective-c": False, "c-header": True, "cpp": True, "cuda": True}
#: `.h` is C or C++: a header that fails one grammar, and shows C++ words, is tried with the other
HEADER_ALTERNATIVE = {"c": "cpp", "c-header": "c", "cpp": "c"}

CHECK_COLUMNS = (
    pa.field("syntax_ok", pa.bool_()),
    pa.field("syntax_error", pa.string()),
    pa.field("error_ratio", pa.float64()),
)
REPAIR_COLUMNS = (
    pa.field("repaired", pa.bool_()),
    pa.field("repair_removed", pa.string()),
)


@OPS.register("syntax")
@dataclass
class Syntax(FilterOp):
    """Check syntax (Python: compile(); other languages: tree-sitter); on failure reject, repair or keep."""

    reads = ("text", "lang")
    writes = CHECK_COLUMNS

    on_error: Literal["reject", "repair", "keep"] = param(
        "reject", "what to do with a file that does not parse: reject it, keep its longest valid prefix, or keep it")
    langs: list[str] = param(DEFAULT_LANGS, "languages to check; others get syntax_ok = null and pass")
    max_bytes: int = param(20_000_000, "texts above this many UTF-8 bytes are not parsed (reason 'too large to check')")
    timeout_s: float = param(10.0, "wall-clock limit per file: tree-sitter cancels; Python above isolate_chars "
                                   "compiles in a child process that is killed")
    isolate_chars: int = param(1_000_000, "Python texts at least this long compile in a child process")
    external: dict[str, list[str]] = param(
        {"shell": ["bash", "--norc", "--noprofile", "-n"]},
        "languages judged by their own parser in a child process (text on stdin, check-only mode) "
        "when the program is installed; tree-sitter otherwise")
    keep_langs: list[str] = param(
        ["c", "c-header", "cpp", "cuda", "objective-c"],
        "languages whose failures are annotated but never rejected or repaired: tree-sitter parses C-family "
        "code without its preprocessor, and macro-heavy headers look broken to it (docs/clean.md)")
    retries: bool = param(
        True, "files that fail at first get the retries that work around grammar gaps: C-family macro rounds "
              "and fallback, a header's other grammar, newer TypeScript; false: the first parse decides "
              "(faster, more C-family files flagged; with c_config none the fastest, docs/clean.md Throughput)")
    c_config: Literal["gcc-linux", "none"] = param(
        "gcc-linux", "C-family files that fail as they are: retry with the `#if` branches gcc on x86-64 Linux "
                     "skips blanked (macros the file does not define are undefined) and accept if that parses; "
                     "`none`: judge every branch (docs/clean.md)")
    min_kept_fraction: float = param(0.0, "repair: reject instead when the prefix keeps less than this "
                                          "fraction of the lines")
    repair_scope: Literal["statement", "definition"] = param(
        "statement", "repair: cut after the last complete statement at any depth (closing open blocks), "
                     "or keep complete definitions only (docs/clean.md, Repair)")

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ParamError("timeout_s", "must be > 0")
        if not 0.0 <= self.min_kept_fraction <= 1.0:
            raise ParamError("min_kept_fraction", "must be between 0 and 1")
        self.writes = CHECK_COLUMNS + (REPAIR_COLUMNS if self.on_error == "repair" else ())
        self._langs = frozenset(self.langs)
        self._retrier = cretry.Retrier(self.timeout_s, self.retries)

    # -- checks ----------------------------------------------------------------------------------

    def _check_python(self, text: str, encoding: str | None = None) -> Verdict:
        return pycheck.check_python(text, encoding, isolate_chars=self.isolate_chars, timeout_s=self.timeout_s)

    def _check_tree(self, grammar: str, data: bytes) -> tuple[Verdict, float, Any, bool]:
        """tree-sitter verdict, error ratio, the tree they came from, and whether that tree is of
        `data` itself.

        It is not when C-family rules changed the bytes (offsets kept): certainly-inactive `#if`
        branches blanked, conditions neutralised, a final newline added, macros blanked.
        A file with a few errors in a language with known grammar gaps gets incremental retries
        with the gaps blanked around the errors (C macros, newer TypeScript); they count only
        when the file then parses without any error. A C-family file that still fails gets one
        more try with the branches gcc on Linux would skip blanked (`c_config`).
        """
        cplusplus = C_FAMILY.get(grammar)
        pre = data if cplusplus is None else cpre.blank_inactive(data, cplusplus)
        src = pre if cplusplus is None else _c_source(pre)
        retried = None
        alone: list[tuple[int, bytes]] = []  # (offset, word) of words the macro retries blanked alone on their line
        try:
            tree = parse.parse_bytes(grammar, src, self.timeout_s)
            verdict, ratio = tree_verdict(tree, src)
            if not verdict.ok and tscheck.only_tolerated(tree, src, grammar):
                verdict, ratio = pycheck.OK, 0.0  # gcc warns (C), or an anonymous union the grammar misreads (C++)
            last_src, last_tree = src, tree
            if not verdict.ok and self.retries and (cplusplus is not None or grammar in cretry.RETRY_GRAMMARS):
                retried, last_src, last_tree = self._retrier.retry(grammar, src, tree, cplusplus is not None, alone)
                if retried is not None:
                    verdict, ratio = pycheck.OK, 0.0
                    tree = retried
            rule = _language_rule(grammar, pre, tree) if verdict.ok else None
            if (rule is not None or not verdict.ok) and cplusplus is not None and self.c_config == "gcc-linux":
                configured = self._retrier.configured(grammar, pre, last_src, last_tree, cplusplus, alone)
                if configured is not None:
                    return pycheck.OK, 0.0, configured, False
        except parse.ParseTimeout as e:
            return Verdict(False, None, None, str(e), pycheck.TIMEOUT), 0.0, None, False
        own = retried is None and (src is data or src == data)
        if rule is not None:
            return rule, 1.0 / max(1, len(src)), tree, own
        return verdict, ratio, tree, own

    def _external(self, lang: str) -> list[str] | None:
        cmd = self.external.get(lang)
        return cmd if cmd and extcheck.available(cmd[0]) else None

    def _check_other(self, rec: dict[str, Any], data: bytes) -> tuple[Verdict, float]:
        """Verdict and error ratio for a non-Python record; caches the tree when it is of this very text."""
        lang, path = rec["lang"], rec.get("path") or ""
        grammar = parse.grammar_lang(lang, path)
        cmd = self._external(lang)
        header = self.retries and cmd is None and path.endswith(".h") and grammar in HEADER_ALTERNATIVE \
            and _cplusplus_words(data)
        if header and HEADER_ALTERNATIVE[grammar] == "cpp":
            # A header passes when either grammar accepts it, else it gets its own grammar's
            # verdict. A "C" header with C++ words is tried as C++ first: that is the grammar
            # that passes for most of them (205 of 325 in the 10% corpus), and the C parse
            # with its macro retries is then skipped. Same verdicts as C first.
            alt, alt_ratio, alt_tree, _ = self._check_tree("cpp", data)
            if alt.ok or not _c_may_pass(data, alt_tree):
                return alt, alt_ratio
            header = False  # C++ failed already: the C verdict stands
        verdict, ratio, tree, own = self._check_tree(grammar, data)
        if cmd is not None:
            verdict = extcheck.check_external(cmd, data, self.timeout_s)
            ratio = 0.0 if verdict.ok else max(ratio, 1.0 / max(1, len(data)))
        elif not verdict.ok and header and _c_may_pass(data, tree):  # a C++ grammar failed: C may pass
            alt, alt_ratio, _, _ = self._check_tree(HEADER_ALTERNATIVE[grammar], data)
            if alt.ok:
                return alt, alt_ratio
        if tree is not None and own:  # later ops (complexity, normalized_dedup) reuse it
            parse.remember_tree(rec, tree)
        return verdict, ratio

    def score(self, rec: dict[str, Any]) -> dict[str, Any]:
        text, lang = rec["text"], rec.get("lang")
        out: dict[str, Any] = {"syntax_ok": None, "syntax_error": None, "error_ratio": None}
        if self.on_error == "repair":
            out.update(repaired=False, repair_removed=None)
        if lang not in self._langs or (lang != "python" and not parse.has_grammar(lang)):
            return out
        if rec["_nbytes"] > self.max_bytes:
            rec["_syntax"] = Verdict(False, None, None, f"{rec['_nbytes']} bytes > {self.max_bytes}", TOO_LARGE)
            return out
        if lang == "python":
            verdict, ratio = self._check_python(text, rec.get("encoding")), 0.0
            if not verdict.ok:
                ratio = _python_error_ratio(text, verdict)
        else:
            verdict, ratio = self._check_other(rec, utf8_of(rec))
        rec["_syntax"] = verdict
        if verdict.reason in (pycheck.TIMEOUT, TOO_LARGE):
            return out  # unknown, not wrong
        out.update(syntax_ok=verdict.ok, syntax_error=None if verdict.ok else verdict.where(),
                   error_ratio=round(ratio, 6))
        return out

    # -- policy ----------------------------------------------------------------------------------

    def decide(self, rec: dict[str, Any]) -> tuple[str, str] | None:
        verdict: Verdict | None = rec.pop("_syntax", None)
        if verdict is None or verdict.ok or self.on_error == "keep" or rec.get("lang") in self.keep_langs:
            return None
        detail = verdict.where() if verdict.line else verdict.message
        if verdict.reason in (pycheck.TIMEOUT, TOO_LARGE, pycheck.CRASHED):
            return verdict.reason, detail
        if self.on_error == "reject":
            return verdict.reason or pycheck.SYNTAX_ERROR, f"{detail}; error ratio {rec['error_ratio']:.3f}"
        fixed = self._repair(rec, verdict)
        if fixed is None:
            return verdict.reason or pycheck.SYNTAX_ERROR, f"{detail}; no complete definition before the error"
        lines_before = rec["text"].count("\n") + 1
        lines_after = fixed.text.count("\n")
        if lines_after < self.min_kept_fraction * lines_before:
            return "repair kept too little", f"{detail}; kept {lines_after} of {lines_before} lines"
        rec["text"] = fixed.text
        rec.update(syntax_ok=True, repaired=True, repair_removed=fixed.removed)
        if fixed.tree is not None:
            parse.remember_tree(rec, fixed.tree)
        return None

    def _repair(self, rec: dict[str, Any], verdict: Verdict) -> repair.Repaired | None:
        text = rec["text"]
        if rec["lang"] == "python":
            encoding = rec.get("encoding")
            if pycheck.encoding_problem(text, encoding) is not None:
                return None  # a bad encoding declaration is on line 1 or 2: nothing to keep before it
            return repair.repair_python(text, verdict, self._check_python, self.repair_scope)
        grammar = parse.grammar_lang(rec["lang"], rec.get("path"))
        data = utf8_of(rec)
        tree = self._check_tree(grammar, data)[2]
        if tree is None:
            return None
        cmd = self._external(rec["lang"])

        def check(candidate: bytes) -> tuple[Verdict, Any]:
            v, _, t, own = self._check_tree(grammar, candidate)
            if cmd is not None:
                v = extcheck.check_external(cmd, candidate, self.timeout_s)
            return v, (t if own else None)  # shared with later ops only when it is of the repaired text

        return repair_tree.repair_tree(text, data, tree, check, self.repair_scope, grammar)


def _c_source(inactive_blanked: bytes) -> bytes:
    src = cpre.neutral_conditions(inactive_blanked)
    return src + b"\n" if src and not src.endswith(b"\n") else src  # a last `#define` needs its newline


def _language_rule(grammar: str, src: bytes, tree: Any) -> Verdict | None:
    """What the real compiler rejects although the grammar accepts it (`src`: for C, the text with
    only the inactive branches blanked, so that `#if` conditions can be checked)."""
    if grammar == "go":
        return tscheck.go_rule(tree, src)
    if grammar == "ruby":
        return tscheck.ruby_rule(tree, src)
    if grammar == "zig":
        return tscheck.zig_rule(tree, src)
    if grammar in C_FAMILY:
        return cretry.c_rule(src, tree, grammar)
    return None


def _c_may_pass(data: bytes, cpp_tree: Any) -> bool:
    """Is a header that failed as C++ worth a try as C? Not when a template declaration stands in
    code a C compiler reads (`cconfig.c_sees_template`): the header is C++, and C would fail too
    (on the full corpus, 553 of the 1,062 C-labelled headers that fail as C++, all of which failed
    as C after every retry, for 18 CPU-s)."""
    return cpp_tree is None or not cconfig.c_sees_template(data, cpp_tree)


def _cplusplus_words(data: bytes) -> bool:
    return any(w in data for w in (b"::", b"class ", b"namespace ", b"template<", b"template <"))


def _python_error_ratio(text: str, verdict: Verdict) -> float:
    """Share of bytes in the region the error makes unusable: from the error line to the end of the
    statement tree-sitter marks as broken, or the error line itself when the grammar accepts the text
    (compile-time errors such as `return` outside a function)."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        tree = parse.parse_bytes("python", data, 5.0)
    except parse.ParseTimeout:
        tree = None
    if tree is not None and tree.root_node.has_error:
        return tree_verdict(tree, data)[1]
    lines = text.split("\n")
    line = lines[verdict.line - 1] if verdict.line and verdict.line <= len(lines) else ""
    return min(1.0, (len(line.encode("utf-8", "surrogatepass")) + 1) / max(1, len(data)))
