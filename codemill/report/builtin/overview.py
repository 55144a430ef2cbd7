"""Overview (what went in, what came out, how long it took) and the alerts that fired."""

from __future__ import annotations

import json
from typing import Any

from codemill.report.data import ReportData
from codemill.report.mask import mask_text
from codemill.report.sections import Page, Raw, esc, section


def _card(label: str, value: str, sub: str = "", cls: str = "") -> str:
    sub_html = f'<div class="sub">{esc(sub)}</div>' if sub else ""
    return f'<div class="card {esc(cls)}"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>{sub_html}</div>'


def mb(n: float | None) -> str:
    if n is None:
        return "–"
    if n >= 1e9:
        return f"{n / 1e9:,.2f} GB"
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} KB"


def pct(a: float, b: float) -> str:
    if not b:
        return "–"
    return "<0.1%" if 0 < a / b < 0.001 else f"{100 * a / b:.1f}%"


def seconds(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


@section("overview", "Overview", order=10)
def overview(data: ReportData, page: Page) -> str:
    st, tot = data.stats.get("stages", []), data.totals
    rin = tot.get("records_in", st[0]["records_in"] if st else 0)
    kept = tot.get("kept", st[-1]["kept"] if st else 0)
    rejected = tot.get("rejected", rin - kept)
    b_in, b_out = tot.get("bytes_in"), tot.get("bytes_out")
    workers = tot.get("workers")
    cards = [
        _card("Records in", f"{rin:,}"),
        _card("Kept", f"{kept:,}", pct(kept, rin) + " of input"),
        _card("Rejected", f"{rejected:,}", f"over {max(len(st) - 1, 0)} stages"),
        _card("Bytes kept", mb(b_out), f"of {mb(b_in)} ({pct(b_out or 0, b_in)})" if b_in else ""),
        _card("Wall time", seconds(tot.get("e2e_seconds", tot.get("seconds"))),
              f"{tot['mb_per_s']:,.1f} MB/s end to end" if tot.get("mb_per_s") else ""),
        _card("Workers", str(workers) if workers is not None else "–",
              f"peak RSS {tot['peak_worker_rss_mb']:,.0f} MB" if tot.get("peak_worker_rss_mb") else ""),
    ]
    n_alerts = len(data.alerts)
    cards.append(_card("Alerts", str(n_alerts), "fired" if n_alerts else "none fired", "bad" if n_alerts else "good"))
    parts = [f'<div class="cards">{"".join(cards)}</div>']
    if n_alerts:
        parts.append(f'<p class="banner bad"><a href="#alerts">{n_alerts} alert(s) fired during this run.</a></p>')
    parts.append(_inputs(data, page))
    parts.append(_recipe(data, page))
    notes = []
    for name, parts_ in (("data", data.data), ("rejects", data.rejects)):
        if parts_.sampled:
            notes.append(f"distributions of {name}/ come from {parts_.rows_read:,} of {parts_.num_rows:,} rows "
                         "(evenly spaced row groups); all counts are exact")
    if notes:
        parts.append(page.p("Note: " + "; ".join(notes) + ".", "muted"))
    return "".join(parts)


def _inputs(data: ReportData, page: Page) -> str:
    inputs = data.manifest.get("inputs") or []
    if not inputs:
        return ""
    rows = [(i.get("source"), i.get("type"), mask_text(str(i.get("path", "")), generic=False), i.get("records")) for i in inputs]
    return page.h3("Inputs") + page.table(["source", "type", "path", "records"], rows, numeric=[3])


def _recipe(data: ReportData, page: Page) -> str:
    rows = []
    for s in data.stages:
        if s.label == "ingest":
            continue
        params = ", ".join(f"{k}={json.dumps(v)}" for k, v in s.params.items())
        rows.append((s.label, Raw(f"<code>{esc(mask_text(params))}</code>") if params else None))
    m = data.manifest
    meta = [f"codemill {m.get('codemill_version') or '?'}", f"created {m.get('created_at') or '?'}"]
    if m.get("recipe_hash"):
        meta.append(f"recipe {m['recipe_hash'][:12]}")
    if m.get("content_fingerprint"):
        meta.append(f"content {m['content_fingerprint'][:12]}")
    return page.h3("Recipe") + page.p(" · ".join(meta), "muted") + page.table(["stage", "parameters"], rows)


@section("alerts", "Alerts", order=15)
def alerts(data: ReportData, page: Page) -> str:
    rules = (data.manifest.get("recipe") or {}).get("alerts") or []
    if not data.alerts:
        if not rules:
            return page.p("The recipe has no alert rules.", "muted")
        return page.p(f"None of the {len(rules)} alert rule(s) fired.", "good")
    rows = []
    for a in data.alerts:
        hook = a.get("webhook_error")
        rows.append((a.get("elapsed_s"), a.get("alert"), a.get("metric"), a.get("stage"), _num(a.get("value")),
                     f"{a.get('direction', '')} {a.get('threshold', '')}".strip(),
                     Raw(f'<span class="bad">failed: {esc(mask_text(hook))}</span>') if hook else None))
    return (page.p(f"{len(data.alerts)} alert(s) fired (times are seconds since the run started).", "bad")
            + page.table(["at (s)", "alert", "metric", "stage", "value", "threshold", "webhook"], rows, numeric=[0, 4]))


def _num(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) else v
