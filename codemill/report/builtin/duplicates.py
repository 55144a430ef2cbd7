"""Duplicate clusters of every dedup stage: sizes, the largest clusters, example pairs side by side.

Generic over dedup ops: a stage is a dedup stage when its rejects carry `duplicate_of` (exact,
near and structural dedup all do); a cluster is the kept record plus the records that name it.
An output whose dedup only annotates (`cluster_id` on kept records, nothing rejected) still
gets its cluster sizes from `cluster_id`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from codemill.report import charts
from codemill.report.data import ReportData
from codemill.report.mask import mask_text
from codemill.report.sections import Page, Raw, esc, section

TOP_CLUSTERS = 10
PAIRS = 3
PAIR_LINES = 20


@section("duplicates", "Duplicates", order=50)
def duplicates(data: ReportData, page: Page) -> str | None:
    out = []
    rej = data.rejects.table(["stage", "duplicate_of"])
    if rej.num_columns == 2 and rej.num_rows:
        labels = pc.unique(rej.filter(pc.is_valid(rej.column("duplicate_of"))).column("stage")).to_pylist()
        order = [s.label for s in data.stages]
        for label in sorted(labels, key=lambda x: order.index(x) if x in order else len(order)):
            out.append(_stage(data, page, label, rej))
    if not out and data.data.has("cluster_id"):
        out.append(_annotated(data, page))
    return "".join(out) or None


def _stage(data: ReportData, page: Page, label: str, rej: pa.Table) -> str:
    mask = pc.and_(pc.equal(rej.column("stage"), label), pc.is_valid(rej.column("duplicate_of")))
    rows = np.nonzero(mask.to_numpy(zero_copy_only=False))[0]
    dup_of = rej.column("duplicate_of").take(pa.array(rows))
    counts = pc.value_counts(dup_of)
    reps, members = counts.field("values").to_pylist(), counts.field("counts").to_numpy()
    sizes = members + 1
    head = page.h3(f"{label}: {len(rows):,} duplicates removed from {len(reps):,} clusters")
    size_chart = page.chart(_size_figure(sizes, f"{label}: cluster sizes"), height=280)
    top = np.argsort(-sizes, kind="stable")[:TOP_CLUSTERS]
    top_ids = [reps[i] for i in top]
    info = data.data.find(set(top_ids), ["path", "lang", "n_bytes"])
    missing = set(top_ids) - set(info)
    info |= data.rejects.find(missing, ["path", "lang", "n_bytes"])  # kept here, dropped by a later stage
    info_safe = {r["id"]: r for r in data.present(list(info.values()))}
    member_rows = _members(dup_of, rows, top_ids)
    paths = data.rejects.table(["path"]).column("path") if data.rejects.has("path") else None
    table_rows = []
    for i in top:
        rid = reps[i]
        rep = info_safe.get(rid, {})
        sample = [paths[int(r)].as_py() for r in member_rows[rid][:3]] if paths is not None else []
        others = ", ".join(esc(mask_text(p, generic=False)) for p in sample if p)
        table_rows.append((int(sizes[i]), Raw(f"<code>{esc(rep.get('path') or rid)}</code>"), rep.get("lang"),
                           rep.get("n_bytes"), Raw(f'<span class="small">{others}</span>')))
    table = page.table(["size", "kept record", "lang", "bytes", "some duplicates"], table_rows, numeric=[0, 3])
    pairs = _pairs(data, top_ids[:PAIRS], member_rows)
    return head + page.grid(size_chart) + page.h3("Largest clusters") + table + pairs


def _members(dup_of: pa.ChunkedArray, rows: np.ndarray, ids: list[str]) -> dict[str, list[int]]:
    """Rows (indices into rejects.table) of the duplicates of each cluster in `ids`."""
    hit = pc.is_in(dup_of, value_set=pa.array(ids)).to_numpy(zero_copy_only=False)
    out: dict[str, list[int]] = {i: [] for i in ids}
    for r, d in zip(rows[hit], dup_of.filter(pa.array(hit)).to_pylist(), strict=True):
        out[d].append(int(r))
    return out


def _size_figure(sizes: np.ndarray, title: str) -> dict[str, Any]:
    values, n = np.unique(sizes, return_counts=True)
    fig = charts.bars([int(v) for v in values], [int(c) for c in n], title, xlabel="records in the cluster",
                      ylabel="clusters", hover=[f"{c:,} clusters of {v:,}" for v, c in zip(values, n, strict=True)],
                      yaxis=charts.log_axis(n.tolist(), "clusters") if n.max() > 50 * n.min() else "clusters")
    if len(values) <= 30:  # one bar per size, evenly spaced, whatever the gaps between sizes
        fig["layout"]["xaxis"] = {"title": {"text": "records in the cluster"}, "type": "category"}
    else:
        fig["layout"]["xaxis"] = charts.log_axis(values.tolist(), "records in the cluster")
    return fig


def _pairs(data: ReportData, ids: list[str], members: dict[str, list[int]]) -> str:
    """The kept record and one of its duplicates, side by side, for the largest clusters."""
    rep_rows = [r for r in ids if members.get(r)]
    if not rep_rows:
        return ""
    full = data.data.find(set(rep_rows), ["path", "lang", "text"])
    full |= data.rejects.find(set(rep_rows) - set(full), ["path", "lang", "text"])
    kept = {r["id"]: r for r in data.present([full[i] for i in rep_rows if i in full], lines=PAIR_LINES)}
    dups = data.examples([members[i][0] for i in rep_rows], ("duplicate_of",), lines=PAIR_LINES)
    out = ['<h3>Example pairs</h3>']
    for k, (rid, dup) in enumerate(zip(rep_rows, dups, strict=True)):
        a = kept.get(rid, {"path": rid})
        same = a.get("snippet") is not None and a.get("snippet") == dup.get("snippet")
        note = "identical first lines" if same else "differing lines highlighted"
        open_ = " open" if k == 0 else ""
        out.append(f'<details class="pair-box"{open_}><summary>cluster of {len(members[rid]) + 1:,}: '
                   f'<code>{esc(a.get("path") or rid)}</code> <span class="muted">({note})</span></summary>'
                   f'<div class="pair">{_side("kept", a, dup)}{_side("duplicate", dup, a)}</div></details>')
    return "".join(out)


def _side(title: str, rec: dict[str, Any], other: dict[str, Any]) -> str:
    head = f'<div class="exhead"><b>{esc(title)}</b> · <code>{esc(rec.get("path") or rec.get("id"))}</code></div>'
    if rec.get("snippet") is None:
        return f'<div>{head}<pre class="muted">text not available</pre></div>'
    theirs = set((other.get("snippet") or "").split("\n"))
    lines = [f'<span class="chg">{esc(ln)}</span>' if ln not in theirs else esc(ln)
             for ln in rec["snippet"].split("\n")]
    return f'<div>{head}<pre>{chr(10).join(lines)}</pre></div>'


def _annotated(data: ReportData, page: Page) -> str:
    ids = data.data.table(["cluster_id"]).column("cluster_id").drop_null()
    if not len(ids):
        return ""
    sizes = pc.value_counts(ids).field("counts").to_numpy()
    return (page.h3(f"Clusters among kept records: {len(sizes):,} (nothing was removed)")
            + page.chart(_size_figure(sizes, "cluster sizes (cluster_id)")))
