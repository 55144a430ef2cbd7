"""The funnel of records and bytes through every stage, and every reject reason with examples.

This is what users of data pipelines ask for first: what was dropped, where and why. Each
reason expands to a few rejected records (path, detail, first lines, masked); a click on a
bar of the reasons chart opens the matching reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from codemill.report import charts
from codemill.report.builtin.overview import mb, pct
from codemill.report.data import ReportData
from codemill.report.sections import Page, esc, section, slug

EXAMPLES = 3
MAX_REASONS = 40  # per stage, in the expandable list (all of them are in the counts)


@section("funnel", "Funnel and rejects", order=20)
def funnel(data: ReportData, page: Page) -> str | None:
    stages = data.stats.get("stages", [])
    if not stages:
        return None
    names = [s["name"] for s in stages] + ["output"]
    records = [s["records_in"] for s in stages] + [stages[-1]["kept"]]
    size = [s.get("bytes_in", 0) / 1e6 for s in stages] + [stages[-1].get("bytes_out", 0) / 1e6]
    tight = {"yaxis": {"automargin": True}, "margin": {"l": 60, "r": 20, "t": 48, "b": 16}}
    f_rec = charts.figure([_funnel_trace(names, records, charts.PALETTE[0], "records", ",")],
                          "Records through the stages", **tight)
    f_mb = charts.figure([_funnel_trace(names, size, charts.PALETTE[1], "MB", ",.1f")],
                         "Megabytes through the stages", **tight)
    height = 90 + 40 * len(names)
    out = [page.grid(page.chart(f_rec, height), page.chart(f_mb, height)), _stage_table(stages, page)]
    reasons = [(s["name"], r, n) for s in stages for r, n in sorted(s.get("reasons", {}).items(), key=lambda x: -x[1])]
    if not reasons:
        return "".join(out) + page.p("No record was rejected.", "good")
    top = sorted(reasons, key=lambda x: -x[2])[:25]
    fig = charts.bars([f"{s} · {r}" for s, r, _ in top], [n for *_, n in top], "Rejects by stage and reason (click a bar)",
                      xlabel="", ylabel="records", color=charts.REJECTED, horizontal=True,
                      hover=[f"{s} · {r}: {n:,}" for s, r, n in top],
                      customdata=[f"#{slug('rej', s, r)}" for s, r, _ in top])
    out.append(page.chart(fig, height=max(220, 60 + 24 * len(top)), wide=True))
    out.append(_reasons(data, page, stages))
    return "".join(out)


def _funnel_trace(names: list[str], values: list[float], color: str, unit: str, fmt: str) -> dict[str, Any]:
    return {"type": "funnel", "y": names, "x": [round(v, 3) for v in values], "marker": {"color": color},
            "textinfo": "value+percent initial", "texttemplate": f"%{{value:{fmt}}} (%{{percentInitial:.1%}})",
            "hovertemplate": f"%{{y}}: %{{x:,}} {unit}<extra></extra>", "connector": {"line": {"color": "#ddd"}}}


def _stage_table(stages: list[dict[str, Any]], page: Page) -> str:
    rows = [(s["name"], s["records_in"], s["kept"], s["rejected"], pct(s["rejected"], s["records_in"]),
             s.get("errors"), mb(s.get("bytes_in")), mb(s.get("bytes_out")))
            for s in stages]
    return page.table(["stage", "in", "kept", "rejected", "reject %", "op errors", "bytes in", "bytes out"],
                      rows, numeric=[1, 2, 3, 4, 5, 6, 7])


def _reasons(data: ReportData, page: Page, stages: list[dict[str, Any]]) -> str:
    samples = _sample(data)
    rows = sorted({r for v in samples.values() for r in v})
    shown = dict(zip(rows, data.examples(rows, ("n_bytes", "duplicate_of")), strict=True)) if rows else {}
    out = []
    for st in stages:
        reasons = sorted(st.get("reasons", {}).items(), key=lambda x: -x[1])
        if not reasons:
            continue
        out.append(page.h3(f"{st['name']}: {st['rejected']:,} rejected ({pct(st['rejected'], st['records_in'])})",
                           slug("stage", st["name"])))
        for reason, n in reasons[:MAX_REASONS]:
            ex = [shown[r] for r in samples.get((st["name"], reason), [])]
            out.append(_reason(st, reason, n, ex))
        if len(reasons) > MAX_REASONS:
            rest = sum(n for _, n in reasons[MAX_REASONS:])
            out.append(page.p(f"… and {len(reasons) - MAX_REASONS} more reasons ({rest:,} records).", "muted"))
    return "".join(out)


def _reason(st: dict[str, Any], reason: str, n: int, examples: list[dict[str, Any]]) -> str:
    share = pct(n, st["records_in"])
    cards = "".join(_example(e) for e in examples) or '<p class="muted">No example in the rows read.</p>'
    return (f'<details class="reason" id="{slug("rej", st["name"], reason)}"><summary><b>{esc(reason)}</b>'
            f' <span class="count">{n:,}</span> <span class="muted">({share} of the stage\'s input)</span></summary>'
            f'<div class="examples">{cards}</div></details>')


def _example(e: dict[str, Any]) -> str:
    bits = [f"<code>{esc(e.get('path') or e.get('id'))}</code>"]
    if e.get("lang"):
        bits.append(esc(e["lang"]))
    if e.get("n_bytes") is not None:
        bits.append(f"{e['n_bytes']:,} bytes")
    if e.get("duplicate_of"):
        bits.append(f"duplicate of <code>{esc(e['duplicate_of'][:12])}</code>")
    head = " · ".join(bits)
    detail = f'<div class="detail">{esc(e["detail"])}</div>' if e.get("detail") else ""
    if "binary_bytes" in e:
        body = f'<pre class="muted">binary, {e["binary_bytes"]:,} bytes (not shown)</pre>'
    elif e.get("hidden"):
        body = '<pre class="muted">text hidden: the redact op flagged it</pre>'
    elif e.get("snippet") == "":
        body = '<pre class="muted">empty file</pre>'
    elif e.get("snippet") is not None:
        body = f"<pre>{esc(e['snippet'])}</pre>"
    else:
        body = '<pre class="muted">no text</pre>'
    return f'<div class="example"><div class="exhead">{head}</div>{detail}{body}</div>'


def _sample(data: ReportData) -> dict[tuple[str, str], list[int]]:
    """Up to EXAMPLES row indices per (stage, reason), drawn with the run's seed (stable across builds)."""
    t = data.rejects.table(["stage", "reason"])
    if t.num_rows == 0 or t.num_columns < 2:
        return {}
    t = t.append_column("_i", pa.array(np.arange(t.num_rows)))
    groups = t.group_by(["stage", "reason"]).aggregate([("_i", "list")])
    rng = np.random.default_rng(data.seed)
    out: dict[tuple[str, str], list[int]] = {}
    cols = (groups.column(c).to_pylist() for c in ("stage", "reason", "_i_list"))
    for stage, reason, idx in sorted(zip(*cols, strict=True), key=lambda g: (g[0] or "", g[1] or "")):
        pick = idx if len(idx) <= EXAMPLES else sorted(rng.choice(idx, EXAMPLES, replace=False).tolist())
        out[(stage, reason)] = [int(i) for i in pick]
    return out
