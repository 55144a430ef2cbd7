"""`fill_missing`: a policy per metadata column for records where it is null or empty.

Policies: `drop` (reject the record, reason `missing <column>`), `constant` (a fixed value),
`forward_fill` (the last known value before it within a group, ordered by a key: e.g. per repo
by time), `infer` (`lang` from file name, shebang and editor modelines; `license` from a
LICENSE/COPYING file of the same repository). `then` names a second policy (`drop` or `constant`)
for records the first one could not fill. It is a global op because forward fill and license
inference need other records; `prepare` computes the per-record evidence in the map segment.

Every filled record says what was filled in `filled` ("license:infer,lang:constant"); counts per
column and policy go to the stage's counters and to the step summary in stats.json.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from codemill import langs
from codemill.clean import licenses
from codemill.ops import Decisions, GlobalOp
from codemill.params import ParamError, build, param, required
from codemill.record import CORE_FIELDS
from codemill.registry import OPS

FILLABLE = {f.name: f for f in CORE_FIELDS if f.name in ("lang", "license", "repo", "created_at", "commit", "path",
                                                          "source")}
INFERABLE = ("lang", "license")
_MODELINE = ("-*- mode:", "vim: set ft=", "vim: ft=", "vi: ft=")


@dataclass
class ColumnPolicy:
    """How one column is filled."""

    policy: Literal["drop", "constant", "forward_fill", "infer"] = required("drop | constant | forward_fill | infer")
    value: Any = param(None, "constant: the value (created_at: ISO 8601 text)")
    group_by: list[str] = param(["repo"], "forward_fill: columns whose equal values form a group")
    order_by: str = param("created_at", "forward_fill: order within a group (nulls last, then input order)")
    then: Literal["drop", "constant"] | None = param(None, "for records the policy left empty: drop or constant")
    then_value: Any = param(None, "constant for `then: constant`")


@OPS.register("fill_missing")
@dataclass
class FillMissing(GlobalOp):
    """Fill or drop records with missing metadata: per column drop, constant, forward fill in a group, or infer."""

    prepare_reads = ("text", "path")
    prepare_writes = (pa.field("inferred_lang", pa.string()), pa.field("license_file_spdx", pa.string()))

    columns: dict[str, dict[str, Any]] = param({}, "column -> {policy, value, group_by, order_by, then, then_value}")
    missing_values: list[str] = param(["", "unknown", "NOASSERTION"], "strings that count as missing, besides null")

    def __post_init__(self) -> None:
        self._policies: dict[str, ColumnPolicy] = {}
        for col, spec in self.columns.items():
            if col not in FILLABLE:
                raise ParamError(f"columns.{col}", f"cannot fill {col!r}; fillable: {', '.join(sorted(FILLABLE))}")
            pol = build(ColumnPolicy, spec, f"columns.{col}")
            if pol.policy == "infer" and col not in INFERABLE:
                raise ParamError(f"columns.{col}.policy", f"infer works for {', '.join(INFERABLE)} only")
            if pol.policy == "constant" and pol.value is None:
                raise ParamError(f"columns.{col}.value", "constant needs a value")
            self._policies[col] = pol
        needed = {"repo", "path"}
        for col, pol in self._policies.items():
            needed.add(col)
            if pol.policy == "forward_fill":
                needed.update([*pol.group_by, pol.order_by])
        self.reads = tuple(sorted(needed)) + ("inferred_lang", "license_file_spdx")
        self.writes = tuple(FILLABLE[c] for c in self._policies) + (pa.field("filled", pa.string()),)
        self._missing = frozenset(self.missing_values)

    def prepare(self, rec: dict[str, Any]) -> dict[str, Any]:
        path, text = rec.get("path") or "", rec.get("text") or ""
        return {"inferred_lang": infer_lang(path, text),
                "license_file_spdx": licenses.spdx_of(text) if licenses.is_license_file(path) else None}

    def _is_missing(self, v: Any) -> bool:
        return v is None or (isinstance(v, str) and v.strip() in self._missing)

    def decide(self, table: pa.Table) -> Decisions:
        n = table.num_rows
        cols = {c: table.column(c).to_pylist() for c in table.column_names}
        reason: list[str | None] = [None] * n
        detail: list[str | None] = [None] * n
        filled: list[list[str]] = [[] for _ in range(n)]
        out: dict[str, list[Any]] = {}
        summary: dict[str, dict[str, int]] = {}
        for col, pol in self._policies.items():
            values = list(cols[col])
            todo = [i for i in range(n) if self._is_missing(values[i])]
            counts = summary.setdefault(col, {"missing": len(todo)})
            for step, const in ((pol.policy, pol.value), (pol.then, pol.then_value)):
                if step is None or not todo:
                    continue
                if step == "drop":
                    for i in todo:
                        if reason[i] is None:
                            reason[i], detail[i] = f"missing {col}", f"{col} is {values[i]!r}"
                    counts["drop"] = counts.get("drop", 0) + len(todo)
                    todo = []
                    continue
                new = self._fill(step, col, const, pol, cols, todo)
                for i, v in new.items():
                    values[i] = v
                    filled[i].append(f"{col}:{step}")
                counts[step] = counts.get(step, 0) + len(new)
                self.counters[f"{col}:{step}"] += len(new)
                todo = [i for i in todo if i not in new]
            counts["still_missing"] = len(todo)
            out[col] = values
        out["filled"] = [",".join(f) or None for f in filled]
        return Decisions(reason, detail, out, summary={"columns": summary})

    def _fill(self, step: str, col: str, const: Any, pol: ColumnPolicy, cols: dict[str, list[Any]],
              todo: list[int]) -> dict[int, Any]:
        """Row -> new value for the rows in `todo` this step can fill."""
        if step == "constant":
            value = _typed(col, const)
            return dict.fromkeys(todo, value)
        if step == "forward_fill":
            return self._forward_fill(col, pol, cols, set(todo))
        if col == "lang":
            return {i: cols["inferred_lang"][i] for i in todo if cols["inferred_lang"][i]}
        return _licenses_by_repo(cols, todo)

    def _forward_fill(self, col: str, pol: ColumnPolicy, cols: dict[str, list[Any]], todo: set[int]) -> dict[int, Any]:
        groups: dict[tuple, list[int]] = {}
        for i in range(len(cols[col])):
            groups.setdefault(tuple(cols[g][i] for g in pol.group_by), []).append(i)
        keys = cols[pol.order_by]
        out: dict[int, Any] = {}
        for rows in groups.values():
            rows.sort(key=lambda i: (keys[i] is None, keys[i] if keys[i] is not None else 0, i))
            last = None
            for i in rows:
                if i in todo:
                    if last is not None:
                        out[i] = last
                elif not self._is_missing(cols[col][i]):
                    last = cols[col][i]
        return out


def infer_lang(path: str, text: str) -> str | None:
    """Language from the file name, then the shebang, then an Emacs/Vim modeline in the first lines."""
    lang = langs.detect(path, text[:256].encode("utf-8", "surrogatepass"))
    if lang is not None:
        return lang
    head = text[:1000].lower()
    for marker in _MODELINE:
        pos = head.find(marker)
        if pos >= 0:
            word = head[pos + len(marker):].strip().split(None, 1)
            name = word[0].strip(";:-* ") if word else ""
            return langs.from_name(f"x.{name}") or (name or None)
    return None


def _licenses_by_repo(cols: dict[str, list[Any]], todo: list[int]) -> dict[int, Any]:
    """Each repository's license from its shallowest license file (ties: path order)."""
    best: dict[Any, tuple[int, str, str]] = {}
    for i, spdx in enumerate(cols["license_file_spdx"]):
        repo, path = cols["repo"][i], cols["path"][i] or ""
        if spdx and repo is not None:
            cand = (path.count("/"), path, spdx)
            if repo not in best or cand < best[repo]:
                best[repo] = cand
    return {i: best[cols["repo"][i]][2] for i in todo if cols["repo"][i] in best}


def _typed(col: str, value: Any) -> Any:
    if col == "created_at" and isinstance(value, str):
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return value
