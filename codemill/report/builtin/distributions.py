"""Distributions per language: sizes, line lengths, syntax-error rate, and every score column.

Which charts appear is decided by the Parquet schema: a column is shown when some row has it,
whichever op wrote it. Scores are plotted over every record that has them (the kept ones and
the ones rejected later, by language, plus those the writing stage rejected, in red), so the
threshold lines read against the population the op actually judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from codemill.report import charts
from codemill.report.builtin.overview import mb
from codemill.report.data import Parts, ReportData, StageInfo
from codemill.report.sections import Page, esc, section

TOP_LANGS = 8
MAX_SCORE_CHARTS = 30
SIZE_COLUMNS = [("n_bytes", "File size", "bytes"), ("n_lines", "Lines per file", "lines"),
                ("max_line_len", "Longest line", "characters")]
SPECIAL = {"n_bytes", "n_lines", "max_line_len", "syntax_ok", "exact_copies", "cluster_id", "cluster_size",
           "duplicate_of", "content_hash", "created_at"}
_NAN = float("nan")


def languages(data: ReportData) -> list[str]:
    """The most frequent languages among kept records (the rest is "other"); shared by all charts."""
    if "langs" not in data.cache:
        t = data.data.table(["lang"])
        names: list[str] = []
        if t.num_columns:
            counts = pc.value_counts(t.column("lang").fill_null("unknown"))
            pairs = sorted(((c["values"].as_py(), c["counts"].as_py()) for c in counts), key=lambda x: (-x[1], x[0]))
            names = [n for n, _ in pairs[:TOP_LANGS]]
        data.cache["langs"] = names
    return data.cache["langs"]


def _lang_group(parts: Parts, langs: list[str]) -> np.ndarray:
    """Per row: the language name, or "other"."""
    t = parts.table(["lang"])
    if not t.num_columns:
        return np.full(parts.table(["id"]).num_rows if parts.has("id") else 0, "other", dtype=object)
    enc = t.column("lang").fill_null("unknown").combine_chunks().dictionary_encode()
    names = np.array([n if n in langs else "other" for n in enc.dictionary.to_pylist()] or ["other"], dtype=object)
    return names[enc.indices.to_numpy(zero_copy_only=False)]


def _values(parts: Parts, col: str | tuple[str, str]) -> np.ndarray | None:
    """A numeric column as float (NaN for null); a pair (a, b) gives a / b."""
    if isinstance(col, tuple):
        a, b = (_values(parts, c) for c in col)
        if a is None or b is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, a / b, _NAN)
    if not parts.has(col):
        return None
    arr = parts.table([col]).column(col)
    return pc.cast(arr, pa.float64()).fill_null(_NAN).to_numpy(zero_copy_only=False)


def population(data: ReportData, col: str | tuple[str, str], writers: set[str]) -> dict[str, np.ndarray]:
    """Values of `col` by language (kept, or rejected after the writing stage) and "rejected by <writer>"."""
    langs = languages(data)
    groups: dict[str, list[np.ndarray]] = {}
    for parts, is_rej in ((data.data, False), (data.rejects, True)):
        v = _values(parts, col)
        if v is None or not len(v):
            continue
        lang = _lang_group(parts, langs)
        ok = ~np.isnan(v)
        if is_rej and writers and parts.has("stage"):
            stage = parts.table(["stage"]).column("stage").fill_null("").to_numpy(zero_copy_only=False)
            by_writer = ok & np.isin(stage, list(writers))
            if by_writer.any():
                groups.setdefault(f"rejected by {', '.join(sorted(writers))}", []).append(v[by_writer])
            ok &= ~by_writer
        for name in [*langs, "other"]:
            sel = ok & (lang == name)
            if sel.any():
                groups.setdefault(name, []).append(v[sel])
    order = [*langs, "other"]
    return dict(sorted(((k, np.concatenate(v)) for k, v in groups.items()),
                       key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


def writers_of(data: ReportData, col: str) -> list[StageInfo]:
    """Stages whose op declares `col`; for ops no longer registered, stages with a param bounding it."""
    declared = [s for s in data.stages if any(f.name == col for f in s.writes)]
    if declared:
        return declared
    return [s for s in data.stages if s.op_class is None and any(_bounds(k, col) for k, _ in _flatten(s.params))]


def thresholds(stages: Iterable[StageInfo], col: str) -> list[tuple[str, float]]:
    """Thresholds among the resolved params of the writing ops that bound column `col`.

    An op may say so explicitly with a class attribute `report_thresholds = {"col": ("param", ...)}`;
    otherwise names are matched: min_X / max_X / X_min / X_max / X_threshold, `{X: {max: ..}}`, a param
    that extends the column name (max_line_len -> max_line_length), where X is the column with
    or without an `n_` prefix or a `_score` suffix.
    """
    stages = list(stages)
    out: list[tuple[str, float]] = []
    for st in stages:
        flat = dict(_flatten(st.params))
        explicit = (getattr(st.op_class, "report_thresholds", None) or {}).get(col)
        keys = list(explicit) if explicit else [k for k in flat if _bounds(k, col)]
        prefix = f"{st.label}." if len({s.label for s in stages}) > 1 else ""
        out += [(prefix + k, float(flat[k])) for k in keys
                if isinstance(flat.get(k), int | float) and not isinstance(flat.get(k), bool)]
    return out


def _flatten(params: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for k, v in params.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def _bounds(key: str, col: str) -> bool:
    *parents, last = key.split(".")
    bases = {col, col.removeprefix("n_"), col.removesuffix("_score")}
    if parents and parents[-1] in bases and last in ("min", "max", "threshold", "above", "below"):
        return True
    for b in bases:
        if last in (f"min_{b}", f"max_{b}", f"{b}_min", f"{b}_max", f"{b}_threshold"):
            return True
    return last == col or (len(col) >= 6 and last.startswith(col) and "_" not in last[len(col):])


def dist_chart(data: ReportData, page: Page, col: str | tuple[str, str], title: str, unit: str,
               writer_col: str | None = None) -> str:
    wcol = writer_col or (col if isinstance(col, str) else col[0])
    writers = writers_of(data, wcol)
    groups = population(data, col, {s.label for s in writers})
    marks = thresholds(writers, col) if isinstance(col, str) else []
    colors = {**charts.colors_for([*languages(data), "other"]), **{k: charts.REJECTED for k in groups
                                                                      if k.startswith("rejected by")}}
    return page.chart(charts.histogram(groups, title, unit, colors, marks))


@section("distributions", "Languages and sizes", order=30)
def distributions(data: ReportData, page: Page) -> str | None:
    out = [_lang_table(data, page)]
    blocks = [dist_chart(data, page, c, t, u) for c, t, u in SIZE_COLUMNS
              if data.data.has(c) or data.rejects.has(c)]
    if data.data.has("n_bytes") and data.data.has("n_lines"):
        blocks.append(dist_chart(data, page, ("n_bytes", "n_lines"), "Mean line length", "bytes per line"))
    if data.data.has("syntax_ok") or data.rejects.has("syntax_ok"):
        blocks.append(_syntax_rate(data, page))
    if blocks:
        out.append(page.grid(*blocks))
    elif not out[0]:
        return None
    else:
        out.append(page.p("No size columns in this output (the recipe has no size_filter).", "muted"))
    return "".join(out)


def _lang_table(data: ReportData, page: Page) -> str:
    if not data.data.has("lang"):
        return ""
    lang = data.data.table(["lang"]).column("lang").fill_null("unknown").to_numpy(zero_copy_only=False)
    size, lines = _values(data.data, "n_bytes"), _values(data.data, "n_lines")
    rej = (data.rejects.table(["lang"]).column("lang").fill_null("unknown").to_numpy(zero_copy_only=False)
           if data.rejects.has("lang") else np.array([], dtype=object))
    names, counts = np.unique(lang, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:15]
    rows = []
    for k in order:
        sel = lang == names[k]
        n_rej = int((rej == names[k]).sum())
        rows.append((names[k], int(counts[k]), f"{100 * counts[k] / len(lang):.1f}%",
                     mb(float(np.nansum(size[sel]))) if size is not None else None,
                     float(np.nanmedian(size[sel])) if size is not None else None,
                     float(np.nanmedian(lines[sel])) if lines is not None else None,
                     n_rej, f"{100 * n_rej / (n_rej + counts[k]):.1f}%"))
    note = (page.p(f"{len(names) - 15} more languages not listed.", "muted") if len(names) > 15 else "")
    return (page.table(["language", "kept files", "share", "kept size", "median bytes", "median lines",
                        "rejected", "reject %"], rows, numeric=[1, 2, 3, 4, 5, 6, 7]) + note)


def _syntax_rate(data: ReportData, page: Page) -> str:
    groups = population(data, "syntax_ok", set())
    names = [k for k in groups if len(groups[k])]
    rates = [float(1 - np.mean(groups[k])) for k in names]
    hover = [f"{k}: {r:.1%} of {len(groups[k]):,} files do not parse" for k, r in zip(names, rates, strict=True)]
    fig = charts.bars(names, rates, "Syntax-error rate by language", ylabel="share with syntax errors",
                      hover=hover, yaxis={"title": {"text": "share with syntax errors"}, "tickformat": ".0%"})
    colors = charts.colors_for([*languages(data), "other"])
    fig["data"][0]["marker"] = {"color": [colors.get(k, charts.OTHER) for k in names]}
    return page.chart(fig)


@section("scores", "Scores and thresholds", order=40)
def scores(data: ReportData, page: Page) -> str | None:
    """Every numeric or boolean column an op wrote (quality rules, syntax error ratio, ...)."""
    seen, blocks = set(SPECIAL), []
    for st in data.stages:
        cols = [f.name for f in st.writes if f.name not in seen and _numeric(data, f.name)]
        seen |= set(cols)
        blocks += [(st.label, c) for c in cols]
    blocks += [("other columns", c) for c in _other_numeric(data, seen)]
    if not blocks:
        return None
    out, last = [], None
    charts_html: list[str] = []
    for label, col in blocks[:MAX_SCORE_CHARTS]:
        if label != last and charts_html:
            out.append(page.h3(last or "") + page.grid(*charts_html))
            charts_html = []
        last = label
        if _is_bool(data, col):
            charts_html.append(_bool_share(data, page, col))
        else:
            charts_html.append(dist_chart(data, page, col, col, col))
    out.append(page.h3(last or "") + page.grid(*charts_html))
    if len(blocks) > MAX_SCORE_CHARTS:
        skipped = ", ".join(esc(c) for _, c in blocks[MAX_SCORE_CHARTS:])
        out.append(page.p(f"Not charted (too many columns): {skipped}", "muted"))
    return "".join(out)


def _numeric(data: ReportData, col: str) -> bool:
    t = data.data.type(col) or data.rejects.type(col)
    return t is not None and (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t))


def _is_bool(data: ReportData, col: str) -> bool:
    t = data.data.type(col) or data.rejects.type(col)
    return t is not None and pa.types.is_boolean(t)


def _other_numeric(data: ReportData, seen: set[str]) -> list[str]:
    from codemill.record import CORE_NAMES

    names = dict.fromkeys([*data.data.schema.names, *data.rejects.schema.names])
    return [c for c in names if c not in seen and c not in CORE_NAMES and _numeric(data, c)]


def _bool_share(data: ReportData, page: Page, col: str) -> str:
    groups = population(data, col, set())
    names = list(groups)
    share = [float(np.mean(groups[k])) for k in names]
    fig = charts.bars(names, share, f"{col}: share true by language", ylabel="share",
                      hover=[f"{k}: {s:.1%} of {len(groups[k]):,}" for k, s in zip(names, share, strict=True)],
                      yaxis={"title": {"text": "share true"}, "tickformat": ".0%"})
    return page.chart(fig)
