"""Report section for the annotate ops: how languages were decided, the language x category matrix,
and difficulty per language (grade shares, raw-score histograms, the thresholds used).

Everything is read from the output's columns (`lang_source`, `lang_confidence`, `category`,
`difficulty`, `difficulty_raw`) and from the `difficulty` stage's summary in stats.json; a part
whose columns are absent is skipped, and the section disappears when none is there.
"""

from __future__ import annotations

import numpy as np

from codemill.report import charts
from codemill.report.builtin.distributions import languages
from codemill.report.data import ReportData
from codemill.report.sections import Page, section

GRADES = ("beginner", "intermediate", "advanced")
GRADE_COLORS = {"beginner": "#54A24B", "intermediate": "#EECA3B", "advanced": "#E45756"}


def _column(data: ReportData, name: str) -> np.ndarray:
    t = data.data.table([name])
    return t.column(name).fill_null("unknown").to_numpy(zero_copy_only=False).astype(object)


def _groups(data: ReportData) -> tuple[np.ndarray, list[str]]:
    """Per kept row its language, or "other" beyond the report's top languages."""
    top = languages(data)
    lang = _column(data, "lang")
    return np.where(np.isin(lang, top), lang, "other"), [*top, "other"]


@section("annotate", "Languages, purposes and difficulty", order=35)
def annotate(data: ReportData, page: Page) -> str | None:
    parts = [p for p in (_sources(data, page), _matrix(data, page), _difficulty(data, page)) if p]
    return "".join(parts) if parts else None


def _sources(data: ReportData, page: Page) -> str:
    if not data.data.has("lang_source") or not data.data.has("lang"):
        return ""
    lang, order = _groups(data)
    src = _column(data, "lang_source")
    conf = data.data.table(["lang_confidence"]).column("lang_confidence").to_numpy(zero_copy_only=False) \
        if data.data.has("lang_confidence") else None
    kinds = [k for k in ("extension", "filename", "shebang", "modeline", "content", "input", "unknown")
             if (src == k).any()]
    rows = []
    for g in order:
        sel = lang == g
        if not sel.any():
            continue
        mean_conf = float(np.nanmean(conf[sel].astype(float))) if conf is not None else None
        rows.append([g, int(sel.sum()), *[int((src[sel] == k).sum()) for k in kinds], mean_conf])
    stage = next((s for s in data.stages if s.op == "language"), None)
    changed = sorted(((k.split(":", 1)[1], v) for k, v in (stage.stats.get("counters") or {}).items()
                      if k.startswith("changed:")), key=lambda kv: -kv[1])[:12] if stage else []
    out = page.h3("How each language was decided") + page.table(
        ["language", "files", *kinds, "mean confidence"], rows, numeric=list(range(1, len(kinds) + 3)))
    if changed:
        out += page.p("Labels changed by the language op (before -> after): "
                      + ", ".join(f"{k} {v:,}" for k, v in changed), "muted")
    return out


def _matrix(data: ReportData, page: Page) -> str:
    if not data.data.has("category") or not data.data.has("lang"):
        return ""
    lang, order = _groups(data)
    cat = _column(data, "category")
    cats = [c for c in ("library", "test", "script", "example", "docs", "config", "build", "data", "notebook",
                        "generated", "vendored") if (cat == c).any()]
    cats += sorted({str(c) for c in cat} - set(cats))
    langs = [g for g in order if (lang == g).any()]
    z = [[int(((lang == g) & (cat == c)).sum()) for c in cats] for g in langs]
    fig = page.figure([{"type": "heatmap", "x": cats, "y": langs, "z": z, "colorscale": "Blues",
                        "hovertemplate": "%{y} / %{x}: %{z:,} files<extra></extra>"}],
                      title="Files by language and category", yaxis={"autorange": "reversed"})
    rows = [[g, *row, sum(row)] for g, row in zip(langs, z, strict=True)]
    return (page.h3("Language x category") + page.chart(fig, height=60 + 28 * len(langs), wide=True)
            + page.table(["language", *cats, "total"], rows, numeric=list(range(1, len(cats) + 2))))


def _difficulty(data: ReportData, page: Page) -> str:
    if not data.data.has("difficulty"):
        return ""
    lang, order = _groups(data)
    grade = _column(data, "difficulty")
    graded = grade != "unknown"
    langs = [g for g in order if (graded & (lang == g)).any()]
    if not langs:
        return ""
    traces = []
    for gr in GRADES:
        share = [float(((lang == g) & (grade == gr)).sum() / max(1, (graded & (lang == g)).sum())) for g in langs]
        traces.append({"type": "bar", "name": gr, "x": langs, "y": share, "marker": {"color": GRADE_COLORS[gr]}})
    bars = page.figure(traces, title="Grade shares by language", barmode="stack",
                       yaxis={"title": {"text": "share of graded files"}, "tickformat": ".0%"})
    blocks = [page.chart(bars)]
    if data.data.has("difficulty_raw"):
        raw = data.data.table(["difficulty_raw"]).column("difficulty_raw").to_numpy(zero_copy_only=False)
        raw = raw.astype(float)
        groups = {g: raw[(lang == g) & ~np.isnan(raw)] for g in langs}
        fig = charts.histogram({g: v for g, v in groups.items() if len(v)}, "Raw difficulty by language",
                               "difficulty_raw", charts.colors_for(order), stacked=False)
        blocks.append(page.chart(fig))
    out = page.h3("Difficulty") + page.grid(*blocks)
    stage = next((s for s in data.stages if s.op == "difficulty"), None)
    summary = (stage.stats.get("summary") or {}) if stage else {}
    per_lang = summary.get("languages") or {}
    if per_lang:
        rows = [[g, v.get("files"), *v.get("thresholds", [None, None]),
                 *[v.get("grades", {}).get(gr) for gr in GRADES]] for g, v in per_lang.items()]
        out += page.table(["language (group)", "graded files", "beginner below", "advanced from", *GRADES], rows,
                          numeric=[1, 2, 3, 4, 5, 6])
        out += page.p("Thresholds are quantiles of each language's own raw scores, so a grade is the same share "
                      "of files in every language; languages with few files share the pooled thresholds.", "muted")
    return out
