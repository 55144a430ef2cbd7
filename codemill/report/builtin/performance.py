"""Throughput and latency over time per stage, latency percentiles, and the workers' CPU and RSS.

Time series come from OUT/metrics.jsonl (absent in runs older than the monitor: the section
then shows what stats.json has). Alerts that fired are drawn as vertical lines on the
throughput chart, so a slowdown and its alert are seen together.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from codemill.monitor.latency import BOUNDS
from codemill.report import charts
from codemill.report.data import ReportData
from codemill.report.sections import Page, section

# charts with a right-hand axis keep their legend below, clear of that axis
BELOW: dict[str, Any] = {"legend": {"orientation": "h", "y": -0.3, "font": {"size": 11}},
                         "margin": {"l": 60, "r": 60, "t": 48, "b": 90}}


@section("performance", "Throughput, latency and workers", order=70)
def performance(data: ReportData, page: Page) -> str | None:
    stages = data.stats.get("stages", [])
    out = [_stage_table(stages, page)]
    if data.metrics:
        out.append(_time_series(data, page))
    else:
        out.append(page.p("No metrics.jsonl in this output (a run older than the monitor): "
                          "no time series.", "muted"))
    out.append(_latency(stages, page))
    out.append(_workers(data, page))
    return "".join(out)


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 4)


def _stage_table(stages: list[dict[str, Any]], page: Page) -> str:
    rows = []
    for s in stages:
        lat = s.get("latency_s") or {}
        ok = s.get("success_rate")
        rows.append((s["name"], s.get("seconds"), s.get("records_per_s"), s.get("mb_per_s"),
                     f"{ok:.2%}" if ok is not None else None,
                     _ms(lat.get("p50")), _ms(lat.get("p95")), _ms(lat.get("p99")), _ms(lat.get("mean"))))
    return page.table(["stage", "busy s (all workers)", "records/s", "MB/s", "success", "p50 ms", "p95 ms",
                       "p99 ms", "mean ms"], rows, numeric=range(1, 9))


def _time_series(data: ReportData, page: Page) -> str:
    m = data.metrics
    t = [s.get("elapsed_s") for s in m]
    labels = list((m[-1].get("stages") or {}).keys())
    colors = charts.colors_for(labels)
    fig = charts.lines(t, {"MB/s": [s.get("throughput_mb_s") for s in m]}, "Throughput over time",
                       "seconds since start", "MB/s", {"MB/s": charts.PALETTE[0]},
                       yaxis2={"title": {"text": "records/s"}, "overlaying": "y", "side": "right",
                               "showgrid": False, "tickmode": "auto", "rangemode": "tozero"}, **BELOW)
    fig["data"].append({"type": "scatter", "mode": "lines", "name": "records/s", "yaxis": "y2", "x": t,
                        "y": [_nan(s.get("throughput_records_s")) for s in m],
                        "line": {"color": charts.PALETTE[1], "dash": "dot"}})
    _alert_lines(fig, data.alerts)
    rates = {}
    for label in labels:
        done = np.array([((s.get("stages") or {}).get(label) or {}).get("records_in") or 0 for s in m], float)
        dt = np.diff(np.array([x or 0 for x in t], float))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(dt > 0, np.diff(done) / dt, np.nan)
        if np.nansum(r) > 0:
            rates[label] = [None, *(None if np.isnan(v) else round(float(v), 2) for v in r)]
    per_stage = charts.lines(t, rates, "Records/s per stage", "seconds since start", "records/s", colors)
    lat: dict[str, list[float | None]] = {}
    dash: dict[str, str] = {}
    for label in labels:
        for q, style in (("p95", "solid"), ("p50", "dot")):
            name = f"{label} {q}"
            lat[name] = [_ms(((s.get("stages") or {}).get(label) or {}).get(f"latency_{q}_s")) for s in m]
            dash[name] = style
    lat_fig = charts.lines(t, lat, "Latency over time (p95 solid, p50 dotted)",
                           "seconds since start", "ms", {k: colors[k.rsplit(" ", 1)[0]] for k in lat}, log_y=True)
    for tr in lat_fig["data"]:
        tr["line"]["dash"] = dash[tr["name"]]
    res: dict[str, list[float | None]] = {}
    pids = sorted({p for s in m for p in (s.get("workers") or {})})
    for p in pids:
        res[f"worker {p}"] = [((s.get("workers") or {}).get(p) or {}).get("max_rss_mb") for s in m]
    res_fig = charts.lines(t, res, "Worker peak RSS and backlog over time", "seconds since start", "peak RSS, MB",
                           yaxis2={"title": {"text": "shards in flight"}, "overlaying": "y", "side": "right",
                                   "showgrid": False, "tickmode": "auto", "rangemode": "tozero"}, **BELOW)
    res_fig["layout"]["yaxis"]["rangemode"] = "tozero"
    res_fig["data"].append({"type": "scatter", "mode": "lines", "name": "backlog", "yaxis": "y2", "x": t,
                            "y": [_nan(s.get("backlog_shards")) for s in m],
                            "line": {"color": "#888", "dash": "dot", "shape": "hv"}})
    return page.grid(page.chart(fig), page.chart(per_stage), page.chart(lat_fig), page.chart(res_fig))


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v


def _alert_lines(fig: dict[str, Any], alerts: list[dict[str, Any]]) -> None:
    shapes, notes = [], []
    for a in alerts:
        x = a.get("elapsed_s")
        if x is None:
            continue
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"color": charts.THRESHOLD, "dash": "dot", "width": 1.5}})
        notes.append({"x": x, "y": 1, "xref": "x", "yref": "paper", "text": "alert", "showarrow": False,
                      "xanchor": "left", "font": {"color": charts.THRESHOLD, "size": 10}})
    fig["layout"]["shapes"], fig["layout"]["annotations"] = shapes, notes


def _latency(stages: list[dict[str, Any]], page: Page) -> str:
    timed = [s for s in stages if (s.get("latency_s") or {}).get("p50") is not None]
    if not timed:
        return ""
    names = [s["name"] for s in timed]
    bars = [{"type": "bar", "name": q, "x": names, "y": [_ms(s["latency_s"][q]) for s in timed],
             "marker": {"color": c}}
            for q, c in (("p50", charts.PALETTE[0]), ("p95", charts.PALETTE[1]), ("p99", charts.REJECTED))]
    pct = charts.figure(bars, "Per-record latency percentiles by stage", barmode="group", xaxis="stage",
                        yaxis=charts.log_axis([b["y"][i] for b in bars for i in range(len(names))], "ms (log scale)"))
    colors = charts.colors_for(names)
    hist = []
    for s in timed:
        counts = (s.get("latency") or {}).get("counts") or {}
        if not counts:
            continue
        n = sum(counts.values())
        idx = sorted(int(i) for i in counts)
        xs = [BOUNDS[min(i, len(BOUNDS) - 1)] * 1000 for i in idx]
        hist.append({"type": "scatter", "mode": "lines", "name": s["name"], "x": xs,
                     "y": [counts[str(i)] / n for i in idx], "line": {"color": colors[s["name"]], "shape": "hv"}})
    dist = charts.figure(hist, "Per-record latency distribution",
                         xaxis=charts.log_axis([x for h in hist for x in h["x"]], "ms (log scale)"),
                         yaxis={"title": {"text": "share of records"}, "tickformat": ".0%"})
    return page.grid(page.chart(pct), page.chart(dist))


def _workers(data: ReportData, page: Page) -> str:
    pool = data.stats.get("workers") or []
    if not pool:
        return ""
    names = [f"pid {w.get('pid')}" for w in pool]
    cpu = charts.bars(names, [w.get("cpu_s", 0) for w in pool], "CPU seconds per worker", ylabel="CPU s",
                      hover=[f"{n}: {w.get('cpu_s', 0):,.1f} CPU s, {w.get('shards', 0)} shards"
                             for n, w in zip(names, pool, strict=True)])
    rss = charts.bars(names, [w.get("max_rss_mb", 0) for w in pool], "Peak RSS per worker", ylabel="MB",
                      color=charts.PALETTE[2])
    driver = data.totals.get("driver_rss_mb")
    note = page.p(f"Driver process peak RSS: {driver:,.0f} MB.", "muted") if driver else ""
    return page.grid(page.chart(cpu, 280), page.chart(rss, 280)) + note
