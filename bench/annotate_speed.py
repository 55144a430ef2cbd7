"""Speed of the four annotate ops against one tree-sitter parse per file, on the shared corpus.

    python bench/annotate_speed.py [--corpus 10pct|full] [--limit N]

One process, records in corpus order, each op over the whole batch as the engine runs it:

* parse: `parse.tree_of_limited` on every record whose language has a grammar (what the syntax
  stage does for most languages; the tree stays cached on the record);
* then language, category, complexity (reusing that tree) and difficulty (prepare + decide);
* and again on a fresh copy, where complexity has to parse itself (a recipe without syntax, or
  Python, which the syntax stage checks with compile() and never parses with tree-sitter);
* and again after the real `syntax` op (`on_error: keep`, untimed), as a recipe runs them: its
  tree is reused where it is a parse of the text itself (not Python, not a C-family file whose
  `#if`s or macros it blanked).
An op with a batch hook (`process_batch`) runs once per language group of the batch (corpus order
kept within a group), so the per-language table stays exact. Times are CPU seconds of this
process (`--clock wall` for wall time); the whole sequence runs `--repeat` times and the best
time of each step is kept, so other load on the machine does not favour one side.

The claim to check: the four ops together cost no more than the one parse.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from typing import Any

import pyarrow as pa
from annotate_common import TOP10, corpus, records, save, table

from codemill import parse
from codemill.annotate import cxspec
from codemill.annotate.category import Category
from codemill.annotate.complexity import Complexity
from codemill.annotate.difficulty import Difficulty
from codemill.annotate.features import utf8
from codemill.annotate.language import Language
from codemill.clean.syntax import Syntax

OPS = ("language", "category", "complexity", "difficulty")
STEPS = ("parse", *OPS, "fresh", "after_syntax")


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def one_pass(base: list[dict[str, Any]], ops: dict[str, Any], clock: Any = time.process_time,
             checked: list[dict[str, Any]] | None = None) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Like the engine, each step over the whole batch: parse every record, run each op on every
    record (tree reused), then the ops again on fresh copies (complexity parses itself)."""
    total = dict.fromkeys(STEPS, 0.0)
    by_lang: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(STEPS, 0.0))

    def step(name: str, recs: list[dict[str, Any]], fn: Any = None, key: str | None = None) -> None:
        """Time `fn` on every record; without `fn`, the op's `process` (or its batch hook)."""
        op = ops.get(name)
        if fn is None and getattr(op, "batched", False):
            groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for rec in recs:
                groups[rec["_corpus_lang"]].append(rec)
            for lang, group in groups.items():
                t = clock()
                op.process_batch(group)
                dt = clock() - t
                total[key or name] += dt
                by_lang[lang][key or name] += dt
            return
        fn = fn or op.process
        for rec in recs:
            t = clock()
            fn(rec)
            dt = clock() - t
            total[key or name] += dt
            by_lang[rec["_corpus_lang"]][key or name] += dt

    recs = [dict(r, _corpus_lang=r["lang"]) for r in base]
    step("parse", recs, lambda r: parse.tree_of_limited(r, 10.0)
         if parse.has_grammar(parse.grammar_lang(r["lang"], r["path"])) else None)
    fresh = [dict(r, _corpus_lang=r["lang"]) for r in base]
    batches = [(recs, None), (fresh, "fresh")]
    if checked is not None:
        batches.append(([dict(r, _corpus_lang=r["lang"]) for r in checked], "after_syntax"))
    for batch, key in batches:
        for name in ("language", "category", "complexity"):
            step(name, batch, None, key)
        step("difficulty", batch, lambda r: r.update(ops["difficulty"].prepare(r)), key)
        t = clock()
        ops["difficulty"].decide(pa.table({"id": [r["id"] for r in batch], "lang": [r["lang"] for r in batch],
                                           "difficulty_raw": [r["difficulty_raw"] for r in batch]}))
        total[key or "difficulty"] += clock() - t
    return total, by_lang


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="10pct", choices=["full", "10pct"])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-verify", action="store_true", help="language op with verify=false")
    ap.add_argument("--clock", default="cpu", choices=sorted(CLOCKS), help="CPU time of this process, or wall time")
    a = ap.parse_args()
    base = list(records(corpus(a.corpus), a.limit))
    nbytes = defaultdict(int)
    for r in base:
        nbytes[r["lang"]] += len(utf8(r["text"]))
    ops = {"language": Language(verify=not a.no_verify), "category": Category(), "complexity": Complexity(),
           "difficulty": Difficulty()}
    ops["language"].setup()
    one_pass(base[:200], ops, CLOCKS[a.clock])  # load the model and compile every grammar's roles outside the timings
    for grammar in cxspec.SPECS:
        cxspec.roles_for(grammar)

    syntax = Syntax(on_error="keep")
    checked = [dict(r) for r in base]
    for r in checked:  # the recipe's syntax stage: caches its tree where it is of the text itself
        r["_nbytes"] = len(utf8(r["text"]))
        syntax.score(r)
    runs = [one_pass(base, ops, CLOCKS[a.clock], checked) for _ in range(a.repeat)]
    best = {k: min(run[0][k] for run in runs) for k in STEPS}  # least disturbed repeat, per step
    by_lang = min(runs, key=lambda run: run[0]["parse"] + sum(run[0][k] for k in OPS))[1]
    mb = sum(nbytes.values()) / 1e6
    four = sum(best[k] for k in OPS)
    rows = [[name, best[name], mb / best[name]] for name in OPS]
    rows += [["four ops (tree reused)", four, mb / four], ["one tree-sitter parse", best["parse"], mb / best["parse"]],
             ["four ops, complexity parsing itself", best["fresh"], mb / best["fresh"]],
             ["four ops after the syntax stage (its trees reused where they are of the text)", best["after_syntax"],
              mb / best["after_syntax"]]]
    print(f"## {len(base):,} files, {mb:.1f} MB ({a.corpus}), one process, {a.clock} time, best of {a.repeat}\n")
    print(table(["step", "seconds", "MB/s"], rows))
    ratio, ratio_fresh = four / best["parse"], best["fresh"] / best["parse"]
    ratio_syntax = best["after_syntax"] / best["parse"]
    print(f"\nfour ops / one parse: **{ratio:.2f}** with the parse reused; {ratio_fresh:.2f} when complexity "
          f"parses itself (its own parse included); {ratio_syntax:.2f} after the syntax stage\n")
    lang_rows = []
    for lang in TOP10:
        if lang in nbytes:
            ops_s, parse_s = sum(by_lang[lang][k] for k in OPS), by_lang[lang]["parse"]
            real = by_lang[lang]["after_syntax"]
            lang_rows.append([lang, nbytes[lang] / 1e6, parse_s, ops_s, ops_s / parse_s if parse_s > 0.001 else "-",
                              real, real / parse_s if parse_s > 0.001 else "-"])
    print(table(["language", "MB", "parse s", "four ops s (tree reused)", "ops / parse", "after syntax s",
                 "after syntax / parse"], lang_rows))
    result = {"files": len(base), "mb": mb, "clock": a.clock, "verify": not a.no_verify, "seconds": best, "ratio_reused": ratio, "ratio_fresh": ratio_fresh,
              "ratio_after_syntax": ratio_syntax,
              "per_language": {r[0]: {"mb": r[1], "parse_s": r[2], "ops_s": r[3], "after_syntax_s": r[5]}
                               for r in lang_rows}}
    print(f"\nresults in {save('annotate_speed', result)}")


if __name__ == "__main__":
    main()
