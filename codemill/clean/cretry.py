"""Retries for files whose first parse fails where the grammar, not the file, is at fault: C-family
macros and preprocessor conditionals (and TypeScript and Zig newer than the grammar).

`Retrier.retry`: rounds of macro blanking around the errors (`grammar_gaps`), then once the
fallback (`c_fallback`) and the rounds again. `Retrier.configured`: the branches gcc on x86-64
Linux skips blanked (`cconfig`, the `c_config: gcc-linux` setting of `syntax`). Every edit keeps
the byte offsets, so each try is an incremental re-parse, and a try counts only when the file
then parses without any error.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from codemill import parse
from codemill.clean import c_fallback, cconfig, cpre, grammar_gaps, pycheck, tscheck
from codemill.clean.pycheck import Verdict
from codemill.parse import ErrorSite

RETRY_GRAMMARS = frozenset(grammar_gaps.NEWER_SYNTAX)  # besides the C family: syntax newer than the grammar
MAX_RETRY_ERRORS = 300  # files with more error nodes get no retry (C macros, newer TypeScript): saves a parse
MAX_RETRY_ROUNDS = 3  # C-family: rounds of macro blanking around the errors the last round left
MAX_FLATTENINGS = 1  # C-family: times the riskier guesses are made around the errors left, each followed by the rounds
#: C-family files larger than this get no fallback: on the 10% corpus none of the 15 over 200 KB that reached it
#: (Windows SDK headers) passed with it, and they took a quarter of its time
MAX_FALLBACK_BYTES = 200_000
#: C-family files with more error nodes left after the macro rounds get no `c_config` retry: on the 10%
#: corpus none with over 27 passed with it, and they cost a quarter of the retry's time
MAX_CONFIG_ERRORS = 100


def c_rule(src: bytes, tree: Any, grammar: str) -> Verdict | None:
    """The C preprocessor's own errors that the grammar accepts (`cpre.bad_directive`), then the
    declarations it accepts that gcc/g++ reject (`tscheck.c_declaration_rule`)."""
    if (bad := cpre.bad_directive(src, cpre.comment_test(tree, src))) is not None:
        return Verdict(False, bad[0] + 1, None, bad[1], pycheck.SYNTAX_ERROR)
    return tscheck.c_declaration_rule(tree, src, grammar)


@dataclass
class Retrier:
    """The retries of one `syntax` op (`timeout_s`: its per-parse limit; `macro_rounds`: whether
    `configured` may retry macros around the errors its parse leaves)."""

    timeout_s: float
    macro_rounds: bool = True

    def retry(self, grammar: str, src: bytes, tree: Any, c_family: bool, alone: list[tuple[int, bytes]]
              ) -> tuple[Any | None, bytes, Any]:
        """(the tree of `src` with grammar gaps blanked if that parses without errors, else None;
        the last text tried; its tree).

        C-family files get up to MAX_RETRY_ROUNDS rounds, each blanking probable macros around the
        errors the previous round left (one macro often hides the next); each round is an
        incremental re-parse of the changed lines only. Errors left after that get what is riskier
        to guess, and the rounds again, up to MAX_FLATTENINGS times (files up to MAX_FALLBACK_BYTES):
        the directive lines of every `#if` group without `#else` blanked (`cpre.plain_conditionals`:
        all code kept), type or operator arguments of calls around the errors replaced by `0`
        (`va_arg(ap, char *)`), glibc's `__REDIRECT` declarators reduced to their name. A clean
        parse counts only after the words blanked alone on their line that sit in a list are put back.
        """
        if not c_family:
            new, changed = grammar_gaps.NEWER_SYNTAX[grammar](src)
            if not changed or len(list(itertools.islice(parse.error_sites(tree), MAX_RETRY_ERRORS + 1))) > MAX_RETRY_ERRORS:
                return None, src, tree
            tree = self._reparse(grammar, new, tree, changed)
            return (None if tree.root_node.has_error else tree), new, tree
        kept: set[int] = set()  # lone words put back (`lone_words_in_lists`): not blanked again
        starts = grammar_gaps.line_starts(src)  # the same for every try: edits keep the newlines
        for flattenings in itertools.count():
            src, tree, errors = self._macro_rounds(grammar, src, tree, alone, kept, starts)
            if errors is None:
                return None, src, tree
            if not errors:
                src, tree = self._put_back_lone_list_words(grammar, src, tree, alone, kept, starts)
                errors = list(itertools.islice(parse.error_sites(tree), MAX_RETRY_ERRORS + 1))
                if not errors:
                    return tree, src, tree
            if flattenings == MAX_FLATTENINGS or len(src) > MAX_FALLBACK_BYTES:
                return None, src, tree
            groups = cpre.plain_conditionals(src, cpre.comment_test(tree, src))
            new, changed = c_fallback.flatten_conditionals(src, groups)
            new, more = c_fallback.macro_arguments(new, grammar_gaps.macro_rows(errors), starts)
            changed += more
            # the words blanked alone on their line inside a list go back: an enumerator before a
            # flattened `#if` (`LAST` / `#if X` / `, MORE`)
            new, more, _ = grammar_gaps.put_back_list_words(new, tree, alone, starts)
            changed += more
            if not changed:
                return None, src, tree
            src, tree = new, self._reparse(grammar, new, tree, changed)

    def _put_back_lone_list_words(self, grammar: str, src: bytes, tree: Any, alone: list[tuple[int, bytes]],
                                  kept: set[int], starts: list[int] | None) -> tuple[bytes, Any]:
        """`src` and `tree` (its clean parse) with the words blanked alone on their line that sit in
        a list put back and re-parsed (`grammar_gaps.lone_words_in_lists`); their offsets go to `kept`."""
        new, changed, words = grammar_gaps.put_back_list_words(
            src, tree, alone, grammar_gaps.line_starts(src) if starts is None else starts)
        if not words:
            return src, tree
        kept.update(offset for offset, _ in words)
        return new, self._reparse(grammar, new, tree, changed)

    def _macro_rounds(self, grammar: str, src: bytes, tree: Any, alone: list[tuple[int, bytes]],
                      kept: set[int], starts: list[int]) -> tuple[bytes, Any, list[ErrorSite] | None]:
        """The last text and tree of up to MAX_RETRY_ROUNDS rounds of macro blanking, and the errors
        left in that tree ([] when it parses cleanly; None when there are too many to go on; at most
        as many as the round before had when the last round made it worse: its guesses often fix a
        macro that only `c_config` or the fallback's flattening makes parse). The
        words blanked alone on their line are added to `alone`; those at offsets in `kept` stay."""
        before = MAX_RETRY_ERRORS
        seen: set[int] = set()  # lines already searched for macros: a later round skips them
        for round_ in itertools.count():
            errors = list(itertools.islice(parse.error_sites(tree), before + 1))
            if len(errors) > before:
                if round_ == 0:
                    return src, tree, None  # hopeless
                return src, tree, errors[:before]  # the last round made it worse: the fallback goes on from it
            rows = grammar_gaps.macro_rows(errors) - seen
            if not errors or round_ == MAX_RETRY_ROUNDS or (len(errors) == before and not rows):
                return src, tree, errors  # clean, out of rounds, or the same errors on lines already searched
            seen |= rows
            new, changed = grammar_gaps.blank_macro_words(src, rows, alone, kept, starts)
            if not changed:
                return src, tree, errors
            before = len(errors)
            src, tree = new, self._reparse(grammar, new, tree, changed)

    def _reparse(self, grammar: str, new: bytes, tree: Any, changed: list[tuple[int, int, int]]) -> Any:
        """Parse `new`, `tree`'s text with same-length edits on the `changed` (line, start, end)
        spans: tree-sitter re-parses only around them."""
        edited = tree.copy()
        for line, a, b in changed:
            edited.edit(a, b, b, (line, 0), (line, b - a), (line, b - a))
        return parse.parse_bytes(grammar, new, self.timeout_s, old_tree=edited)

    def configured(self, grammar: str, pre: bytes, src: bytes, tree: Any, cplusplus: bool,
                    alone: list[tuple[int, bytes]]) -> Any | None:
        """The tree of `src` with the branches gcc on Linux skips blanked (`cconfig`), when that
        parses without errors (after macro retries around what is left) and passes the directive
        rules; else None. An incremental re-parse of `tree`, the tree of `src`."""
        errors = list(itertools.islice(parse.error_nodes(tree), MAX_CONFIG_ERRORS + 1))
        if len(errors) > MAX_CONFIG_ERRORS:
            return None
        regions = [(a, b) for a, b in cconfig.skipped_regions(pre, cplusplus, cpre.comment_test(tree, pre)) if pre[a:b].strip()]
        if not regions:
            return None  # nothing to skip that is not blank already (a macro retry may have blanked a bad
            # `#define` in `src`: the directive rules read `pre`)
        if errors and not _overlaps(errors, regions):
            return None  # no error touches a skipped branch: blanking them would not fix it (measured: none did)
        new = cpre.blank_regions(src, regions)
        edited = tree.copy()
        row, pos = 0, 0  # lines counted once over the file, region by region (they are sorted)
        for a, b in regions:
            row += src.count(b"\n", pos, a)
            col = a - (src.rfind(b"\n", 0, a) + 1)
            end_row = row + src.count(b"\n", a, b)
            end_col = b - (src.rfind(b"\n", 0, b) + 1)
            edited.edit(a, b, b, (row, col), (end_row, end_col), (end_row, end_col))
            row, pos = end_row, b
        tree = parse.parse_bytes(grammar, new, self.timeout_s, old_tree=edited)
        if tree.root_node.has_error:
            if not self.macro_rounds:
                return None
            tree = self.retry(grammar, new, tree, True, alone)[0]
            if tree is None:
                return None
        else:
            new, tree = self._put_back_lone_list_words(grammar, new, tree, alone, set(), None)
            if tree.root_node.has_error:
                return None
        return None if c_rule(cpre.blank_regions(pre, regions), tree, grammar) is not None else tree


def _overlaps(nodes: Iterable[Any], regions: list[tuple[int, int]]) -> bool:
    """Does any node's byte span meet one of the sorted, disjoint `regions`?"""
    starts = [a for a, _ in regions]
    for node in nodes:
        i = bisect.bisect_right(starts, node.end_byte) - 1  # the last region starting before the node ends
        if i >= 0 and regions[i][1] > node.start_byte:
            return True
    return False
