"""`difficulty`: beginner / intermediate / advanced, and a score in [0, 1], per record.

The grader (documented with its measured sanity checks in docs/annotate.md):

* Per record, `prepare` computes `difficulty_raw`, a weighted mean of log-scaled complexity
  features, each divided by its spread on the benchmark corpus so that no feature dominates by
  its units. Weights: control flow (max function cyclomatic, max nesting) and Halstead
  difficulty 1.0 each, because they measure what a reader must hold in mind at once; AST depth
  and code lines 0.5 each, because size and expression depth add effort but mostly repeat the
  others. Missing features (a language without a tree) drop out of the mean. Nothing about
  imports, paths or categories is used, so those stay independent checks of the grade.
* `decide` sees the whole dataset: per language, `difficulty_score` is the record's percentile
  of `difficulty_raw` among its language (ties share the mean rank), and the grade cuts it at
  the `cuts` quantiles, so a grade means the same share of files in every language (the raw
  thresholds those quantiles correspond to are reported per language). Languages
  with fewer than `min_records` graded files share the thresholds of the pooled rest.
  Thresholds, shares and histograms per language go to stats.json (`summary`).

Records without control-flow metrics (markup, data, prose) get no grade (null).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from codemill.ops import Decisions, GlobalOp
from codemill.params import ParamError, param
from codemill.registry import OPS

GRADES = ("beginner", "intermediate", "advanced")
#: feature -> spread (standard deviation of log1p) over the benchmark corpus (bench/annotate_difficulty.py)
SPREAD = {"max_cyclomatic": 0.91, "max_nesting": 0.63, "halstead_difficulty": 1.06, "ast_depth": 0.48,
          "code_lines": 1.68}
DEFAULT_WEIGHTS = {"max_cyclomatic": 1.0, "max_nesting": 1.0, "halstead_difficulty": 1.0, "ast_depth": 0.5,
                   "code_lines": 0.5}
POOLED = "(pooled)"
HIST_BINS = 20


def raw_score(rec: dict[str, Any], weights: dict[str, float]) -> float | None:
    """Weighted mean of log1p(feature) / spread over the features present; None without control flow."""
    if rec.get("max_cyclomatic") is None:
        return None
    total = wsum = 0.0
    for name, w in weights.items():
        v = rec.get(name)
        if v is None or w == 0:
            continue
        total += w * math.log1p(max(0.0, float(v))) / SPREAD.get(name, 1.0)
        wsum += w
    return round(total / wsum, 6) if wsum else None


@OPS.register("difficulty")
@dataclass
class Difficulty(GlobalOp):
    """Grade each file beginner/intermediate/advanced from its complexity metrics, with per-language
    thresholds at the data's own quantiles (written to stats.json)."""

    prepare_reads = tuple(DEFAULT_WEIGHTS)
    prepare_writes = (pa.field("difficulty_raw", pa.float64()),)
    reads = ("lang", "difficulty_raw")
    writes = (pa.field("difficulty", pa.string()), pa.field("difficulty_score", pa.float64()))

    cuts: list[float] = param([1 / 3, 2 / 3], "quantiles of the per-language raw score where grades change "
                                              "(two increasing values in (0, 1))")
    min_records: int = param(50, "languages with fewer graded files use the thresholds of all such files pooled")
    weights: dict[str, float] = param(DEFAULT_WEIGHTS, "feature weights of the raw score (complexity columns)")

    def __post_init__(self) -> None:
        if len(self.cuts) != 2 or not 0 < self.cuts[0] < self.cuts[1] < 1:
            raise ParamError("cuts", f"{self.cuts} must be two increasing values strictly between 0 and 1")
        unknown = set(self.weights) - set(SPREAD)
        if unknown:
            raise ParamError("weights", f"unknown features {sorted(unknown)}; valid: {', '.join(SPREAD)}")
        if self.min_records < 1:
            raise ParamError("min_records", "must be at least 1")

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {"difficulty_raw": raw_score(rec, self.weights)}

    def decide(self, table: pa.Table) -> Decisions:
        n = table.num_rows
        langs = np.array(table.column("lang").fill_null("unknown").to_pylist(), dtype=object)
        raw = table.column("difficulty_raw").to_numpy(zero_copy_only=False).astype(np.float64)
        graded = ~np.isnan(raw)
        names, counts = np.unique(langs[graded], return_counts=True)
        group = langs.copy()
        small = {str(x) for x, c in zip(names, counts, strict=True) if c < self.min_records}
        group[np.isin(langs, list(small))] = POOLED
        score = np.full(n, np.nan)
        grade: list[str | None] = [None] * n
        summary: dict[str, Any] = {"cuts": self.cuts, "weights": self.weights, "pooled": sorted(small),
                                   "not_graded": int((~graded).sum()), "languages": {}}
        for g in sorted({str(x) for x in group[graded]}):
            idx = np.flatnonzero(graded & (group == g))
            vals = raw[idx]
            ordered = np.sort(vals)
            left = np.searchsorted(ordered, vals, side="left")
            right = np.searchsorted(ordered, vals, side="right")
            score[idx] = (left + right) / (2.0 * len(vals))  # mean percentile rank, ties share it
            t1, t2 = (float(x) for x in np.quantile(ordered, self.cuts))
            # grade by percentile, not by raw < threshold: a tie spanning a cut stays one grade
            level = (score[idx] >= self.cuts[0]).astype(int) + (score[idx] >= self.cuts[1])
            for i, lv in zip(idx.tolist(), level.tolist(), strict=True):
                grade[i] = GRADES[lv]
            hist, edges = np.histogram(vals, bins=HIST_BINS)
            summary["languages"][g] = {
                "files": len(idx), "thresholds": [round(t1, 4), round(t2, 4)],
                "grades": {name: int((level == k).sum()) for k, name in enumerate(GRADES)},
                "raw_histogram": {"counts": hist.tolist(), "edges": [round(float(e), 4) for e in edges]},
            }
        scores = [None if math.isnan(s) else round(float(s), 6) for s in score]
        return Decisions([None] * n, [None] * n, {"difficulty": grade, "difficulty_score": scores}, summary)

