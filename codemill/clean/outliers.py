"""`outliers`: robust outlier fences per language group on any numeric column; mark or reject.

Methods: `iqr` (Tukey fences Q1 - k*IQR, Q3 + k*IQR), `zscore` (mean +- z*std) and `mad` (median
+- t * 1.4826 * MAD, the modified z-score). With `log: true` the fences are computed on log1p of
the values, which suits lengths and counts (heavy right tails). Small groups (`min_group`) are
not judged. The fences used are written on every record (`outlier_<col>_fences`), into a
reject's detail, and into the step summary in stats.json, so a reader sees why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa

from codemill.ops import Decisions, GlobalOp
from codemill.params import ParamError, param, required
from codemill.registry import OPS

_MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data


@OPS.register("outliers")
@dataclass
class Outliers(GlobalOp):
    """Flag (or reject) values outside robust fences of a numeric column, per group (default: language)."""

    prepare_reads = ()
    prepare_writes = ()

    column: str = required("numeric column to judge, written by an earlier stage (e.g. n_lines, avg_line_length)")
    method: Literal["iqr", "zscore", "mad"] = param("iqr", "fence method")
    k: float = param(1.5, "iqr: fences at Q1 - k*IQR and Q3 + k*IQR")
    z: float = param(3.0, "zscore: fences at mean -+ z * std")
    mad_z: float = param(3.5, "mad: fences at median -+ mad_z * 1.4826 * MAD")
    group_by: str | None = param("lang", "column whose values form groups with their own fences; null: one group")
    log: bool = param(False, "compute fences on log1p(value) (for lengths and counts)")
    side: Literal["both", "high", "low"] = param("both", "which fence(s) make an outlier")
    min_group: int = param(20, "groups with fewer values are not judged")
    action: Literal["mark", "reject"] = param("mark", "mark: add the columns only; reject: drop outliers")

    def __post_init__(self) -> None:
        if self.min_group < 3:
            raise ParamError("min_group", "must be >= 3")
        self.reads = (self.column,) + ((self.group_by,) if self.group_by else ())
        self.writes = (pa.field(f"outlier_{self.column}", pa.bool_()),
                       pa.field(f"outlier_{self.column}_fences", pa.string()))

    def fences(self, values: np.ndarray) -> tuple[float, float]:
        """(low, high) on the original scale."""
        x = np.log1p(np.maximum(values, 0)) if self.log else values
        if self.method == "iqr":
            q1, q3 = np.percentile(x, [25, 75])
            lo, hi = q1 - self.k * (q3 - q1), q3 + self.k * (q3 - q1)
        elif self.method == "zscore":
            mu, sd = float(np.mean(x)), float(np.std(x))
            lo, hi = mu - self.z * sd, mu + self.z * sd
        else:
            med = float(np.median(x))
            mad = float(np.median(np.abs(x - med))) * _MAD_SCALE
            lo, hi = med - self.mad_z * mad, med + self.mad_z * mad
        if self.log:
            lo, hi = math.expm1(lo) if lo > 0 else -math.inf if lo < 0 else 0.0, math.expm1(hi)
        return float(lo), float(hi)

    def decide(self, table: pa.Table) -> Decisions:
        n = table.num_rows
        values = table.column(self.column).to_pylist()
        groups = table.column(self.group_by).to_pylist() if self.group_by else [None] * n
        members: dict[object, list[int]] = {}
        for i, (g, v) in enumerate(zip(groups, values, strict=True)):
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                members.setdefault(g, []).append(i)
        flag: list[bool | None] = [None] * n
        text: list[str | None] = [None] * n
        reason: list[str | None] = [None] * n
        detail: list[str | None] = [None] * n
        summary: dict[str, dict] = {}
        how = {"iqr": f"iqr k={self.k:g}", "zscore": f"zscore z={self.z:g}", "mad": f"mad z={self.mad_z:g}"}[self.method]
        how += ", log1p" if self.log else ""
        for g, rows in members.items():
            if len(rows) < self.min_group:
                summary[str(g)] = {"n": len(rows), "judged": False}
                continue
            lo, hi = self.fences(np.array([float(values[i]) for i in rows]))
            fence = f"[{lo:.6g}, {hi:.6g}] ({how}, {self.group_by or 'all'}={g}, n={len(rows)})"
            hits = 0
            for i in rows:
                v = float(values[i])
                out = (v > hi and self.side != "low") or (v < lo and self.side != "high")
                flag[i], text[i] = out, fence
                if out:
                    hits += 1
                    if self.action == "reject":
                        reason[i], detail[i] = "outlier", f"{self.column} {values[i]} outside {fence}"
            summary[str(g)] = {"n": len(rows), "low": lo, "high": hi, "outliers": hits}
            self.counters[f"outliers {g}"] += hits
        columns = {f"outlier_{self.column}": flag, f"outlier_{self.column}_fences": text}
        return Decisions(reason, detail, columns,
                         summary={"column": self.column, "method": how, "groups": summary})
