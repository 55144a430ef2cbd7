"""plotly.js figures as plain dicts, with the data already reduced in Python.

Histograms are binned here (counts per bin, not raw values) so a figure holds a few hundred
numbers whatever the size of the dataset, and the page stays small and fast. Figures are
plain dicts rather than plotly.graph_objects: building those validates every property and
costs more than the rest of the report together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B", "#9D755D", "#FF9DA6",
           "#BAB0AC", "#E45756"]
OTHER = "#C7C7C7"
REJECTED = "#D62728"
THRESHOLD = "#D62728"


def figure(data: list[dict[str, Any]], title: str = "", **layout: Any) -> dict[str, Any]:
    """A figure with the report's common layout (compact margins, legend at the right)."""
    base: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 48 if title else 16, "b": 48},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        "legend": {"font": {"size": 11}, "tracegroupgap": 2},
        "paper_bgcolor": "white", "plot_bgcolor": "#FAFAFA", "hovermode": "closest",
    }
    if title:
        base["title"] = {"text": title, "x": 0.01, "font": {"size": 14}}
    for key in ("xaxis", "yaxis", "yaxis2"):
        if key in layout and isinstance(layout[key], str):
            layout[key] = {"title": {"text": layout[key]}}
    base.update(layout)
    return {"data": data, "layout": base}


def colors_for(names: Sequence[str]) -> dict[str, str]:
    """A stable color per name (languages, stages), "other" in gray."""
    out = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(n for n in names if n != "other")}
    out["other"] = OTHER
    return out


def human(v: float) -> str:
    """1234 -> 1.2K: short tick and hover labels."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


def bins_for(values: np.ndarray, n: int = 40) -> tuple[np.ndarray, bool]:
    """Bin edges shared by every group of a histogram; log-spaced for heavy-tailed non-negative data."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 1.0]), False
    lo, hi = float(finite.min()), float(finite.max())
    pos = finite[finite > 0]
    if lo >= 0 and pos.size and hi / float(pos.min()) > 50:
        lo_pos = max(float(pos.min()), 1e-12)
        return np.logspace(math.log10(lo_pos), math.log10(hi) + 1e-9, n + 1), True
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    if np.all(np.mod(finite, 1) == 0) and hi - lo <= n:  # small integers: one bin per value
        return np.arange(lo - 0.5, hi + 1.5), False
    return np.linspace(lo, hi, n + 1), False


def histogram(groups: Mapping[str, np.ndarray], title: str, xlabel: str, colors: Mapping[str, str],
              thresholds: Sequence[tuple[str, float]] = (), stacked: bool = True) -> dict[str, Any] | None:
    """A stacked histogram of `groups` (name -> values) with dashed vertical lines at `thresholds`.

    On a log scale the bars are drawn in log10 space with ticks labelled in the original units,
    so bar widths stay honest; values <= 0 get a bin of their own at the left, labelled 0. The
    x range always includes the thresholds, so the headroom to a bound is visible too.
    """
    groups = {k: np.asarray(v, dtype=float) for k, v in groups.items() if len(v)}
    if not groups:
        return None
    edges, log = bins_for(np.concatenate(list(groups.values())))
    pos = np.log10(edges) if log else edges
    centers, widths = (pos[:-1] + pos[1:]) / 2, np.diff(pos)
    labels = [f"{human(a)}–{human(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    has_zero = log and any(bool((v[np.isfinite(v)] <= 0).any()) for v in groups.values())
    if has_zero:
        w = float(widths[0])
        centers, widths = np.concatenate([[pos[0] - 1.5 * w], centers]), np.concatenate([[w], widths])
        labels = ["0", *labels]
    data = []
    for name, vals in groups.items():
        v = vals[np.isfinite(vals)]
        counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]) if log else v, bins=edges)
        if has_zero:
            counts[0] -= int((v <= 0).sum())
            counts = np.concatenate([[int((v <= 0).sum())], counts])
        data.append({"type": "bar", "name": name, "x": centers.round(4), "y": counts, "width": widths.round(4),
                     "marker": {"color": colors.get(name, OTHER), "line": {"width": 0}},
                     "customdata": labels, "hovertemplate": f"{name}<br>%{{customdata}}: %{{y:,}}<extra></extra>"})
    lo, hi = float(centers[0] - widths[0] / 2), float(pos[-1])
    for _, value in thresholds:
        if value is not None and (value > 0 or not log):
            x = math.log10(value) if log else value
            lo, hi = min(lo, x), max(hi, x)
    pad = (hi - lo) * 0.03
    xaxis: dict[str, Any] = {"title": {"text": xlabel + (" (log scale)" if log else "")}, "range": [lo - pad, hi + pad]}
    if log:
        ticks = list(np.arange(math.ceil(pos[0]), math.floor(hi) + 1))
        xaxis.update(tickvals=[float(centers[0])] * has_zero + ticks,
                     ticktext=["0"] * has_zero + [human(10.0**t) for t in ticks])
    shapes, notes = _threshold_lines(thresholds, log, (lo + hi) / 2)
    return figure(data, title, barmode="stack" if stacked else "overlay", bargap=0, xaxis=xaxis,
                  legend={"traceorder": "normal", "font": {"size": 11}},
                  yaxis={"title": {"text": "records"}}, shapes=shapes, annotations=notes)


def _threshold_lines(thresholds: Sequence[tuple[str, float]], log: bool, middle: float) -> tuple[list, list]:
    shapes, notes = [], []
    for k, (label, value) in enumerate(thresholds):
        if value is None or (log and value <= 0):
            continue
        x = math.log10(value) if log else value
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"color": THRESHOLD, "dash": "dash", "width": 2}})
        notes.append({"x": x, "y": 1 - 0.08 * k, "xref": "x", "yref": "paper", "text": f"{label} = {human(value)}",
                      "showarrow": False, "xanchor": "left" if x < middle else "right",
                      "font": {"color": THRESHOLD, "size": 11}, "bgcolor": "rgba(255,255,255,0.85)"})
    return shapes, notes


def log_axis(values: Sequence[float | None], title: str) -> dict[str, Any]:
    """A log axis labelled once per decade when the data spans several (no 2/5 minor labels)."""
    pos = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    axis: dict[str, Any] = {"type": "log", "title": {"text": title}}
    if pos and math.log10(max(pos) / min(pos)) >= 1.5:
        axis["dtick"] = 1
    return axis


def bars(x: Sequence[Any], y: Sequence[float], title: str, xlabel: str = "", ylabel: str = "",
         color: str = PALETTE[0], hover: Sequence[str] | None = None, horizontal: bool = False,
         customdata: Sequence[Any] | None = None, **layout: Any) -> dict[str, Any]:
    """One bar trace; `customdata` of "#anchor" strings makes a click open that anchor (see page.html)."""
    trace: dict[str, Any] = {"type": "bar", "marker": {"color": color}}
    if horizontal:
        trace.update(x=list(y), y=list(x), orientation="h")
    else:
        trace.update(x=list(x), y=list(y))
    if hover is not None:
        trace.update(text=list(hover), hovertemplate="%{text}<extra></extra>", textposition="none")
    if customdata is not None:
        trace["customdata"] = list(customdata)
    axes = ({"xaxis": ylabel, "yaxis": {"title": {"text": xlabel}, "automargin": True, "autorange": "reversed"}}
            if horizontal else {"xaxis": xlabel, "yaxis": ylabel})
    return figure([trace], title, **{**axes, **layout})


def lines(x: Sequence[float], series: Mapping[str, Sequence[float | None]], title: str, xlabel: str,
          ylabel: str, colors: Mapping[str, str] | None = None, log_y: bool = False,
          **layout: Any) -> dict[str, Any]:
    """Time series sharing one x axis (None values are gaps)."""
    colors = colors or colors_for(list(series))
    data = [{"type": "scatter", "mode": "lines", "name": name, "x": list(x),
             "y": [float("nan") if v is None else v for v in ys], "line": {"color": colors.get(name, OTHER)}}
            for name, ys in series.items() if any(v is not None for v in ys)]
    yaxis: dict[str, Any] = {"title": {"text": ylabel}}
    if log_y:
        yaxis = log_axis([v for ys in series.values() for v in ys], ylabel)
    return figure(data, title, xaxis=xlabel, yaxis=yaxis, **layout)
