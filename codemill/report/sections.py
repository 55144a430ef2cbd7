"""The report's extension point: a registry of section functions.

A section is a function `(data: ReportData, page: Page) -> str | None` that returns an HTML
fragment, or None when the output has nothing for it (its columns are absent, its op did not
run). Register it with a decorator at import time of your module::

    from codemill.report.sections import section

    @section("drift", "Drift", order=60)
    def drift(data, page):
        if not data.data.has("drift_score"):
            return None
        fig = page.figure([{"type": "bar", "x": [...], "y": [...]}], title="Drift by source")
        return page.p("Sources whose distribution moved.") + page.chart(fig)

Sections render in `order` (built-ins: 10 overview, 15 alerts, 20 funnel, 30 distributions,
40 scores, 50 duplicates, 70 performance; leave gaps). The report imports the module of every op
the run used and the modules named by the `codemill.report_sections` entry-point group before
rendering, so a section defined next to its op is found whenever that op ran. A section that raises
is shown as an error box; the rest of the report is still built.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codemill.report.data import ReportData

SectionFn = Callable[["ReportData", "Page"], "str | None"]


@dataclass(frozen=True)
class Section:
    name: str  # unique; also the HTML anchor
    title: str
    order: int
    render: SectionFn


_SECTIONS: dict[str, Section] = {}


def section(name: str, title: str, order: int = 100) -> Callable[[SectionFn], SectionFn]:
    """Register `fn` as a report section (decorator). A name registered twice is an error."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise ValueError(f"section name {name!r}: use lowercase letters, digits, '-' and '_'")

    def deco(fn: SectionFn) -> SectionFn:
        old = _SECTIONS.get(name)
        if old is not None and old.render is not fn:
            raise ValueError(f"report section {name!r} registered twice")
        _SECTIONS[name] = Section(name, title, order, fn)
        return fn

    return deco


def unregister(name: str) -> None:
    """Remove a section (tests, or a plugin replacing a built-in one)."""
    _SECTIONS.pop(name, None)


def sections() -> list[Section]:
    """Every registered section in render order."""
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def slug(*parts: str) -> str:
    """A stable HTML id from free text (stage labels, reasons)."""
    text = "-".join(parts).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80] or "x"


@dataclass
class Page:
    """Helpers for section authors: charts, tables and small HTML pieces, all escaped.

    Charts are plotly.js figures given as plain dicts (`{"data": [...], "layout": {...}}`) and
    drawn in the browser by the one embedded copy of plotly.js; see `codemill.report.charts`.
    """

    figures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def chart(self, fig: dict[str, Any] | None, height: int = 340, wide: bool = False) -> str:
        """A chart div; a figure with no data points becomes a short note instead of an empty plot."""
        if not fig or not _has_points(fig.get("data", [])):
            return '<p class="muted">No data for this chart.</p>'
        cid = f"chart-{len(self.figures) + 1}"
        layout = {"height": height, **fig.get("layout", {})}
        self.figures[cid] = {"data": fig["data"], "layout": layout}
        cls = "chart wide" if wide else "chart"
        return f'<div class="{cls}" id="{cid}" data-chart="{cid}" style="height:{height}px"></div>'

    @staticmethod
    def figure(data: list[dict[str, Any]], title: str = "", **layout: Any) -> dict[str, Any]:
        from codemill.report.charts import figure

        return figure(data, title, **layout)

    @staticmethod
    def p(text: str, cls: str = "") -> str:
        return f'<p class="{esc(cls)}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"

    @staticmethod
    def h3(text: str, anchor: str | None = None) -> str:
        return f'<h3 id="{esc(anchor)}">{esc(text)}</h3>' if anchor else f"<h3>{esc(text)}</h3>"

    @staticmethod
    def table(headers: list[str], rows: Iterable[Iterable[Any]], numeric: Iterable[int] = ()) -> str:
        """A table; cells are escaped unless wrapped in `Raw`. `numeric`: right-aligned columns."""
        num = set(numeric)
        head = "".join(f'<th class="{"num" if i in num else ""}">{esc(h)}</th>' for i, h in enumerate(headers))
        body = "".join(
            "<tr>" + "".join(f'<td class="{"num" if i in num else ""}">{_cell(c)}</td>' for i, c in enumerate(r))
            + "</tr>" for r in rows)
        return f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'

    @staticmethod
    def grid(*items: str) -> str:
        """Side-by-side blocks on a wide screen, stacked on a narrow one."""
        return '<div class="grid">' + "".join(f"<div>{i}</div>" for i in items if i) + "</div>"

    def figures_json(self) -> str:
        """The figures as a JS literal safe inside a <script> element (NaN stays NaN: a gap in plotly)."""
        text = json.dumps(self.figures, separators=(",", ":"), default=_jsonable)
        return text.replace("</", "<\\/").replace("<!--", "<\\!--")


class Raw(str):
    """HTML that `Page.table` must not escape (build it with `esc` for any data inside)."""


def _cell(c: Any) -> str:
    if isinstance(c, Raw):
        return str(c)
    if c is None:
        return '<span class="muted">–</span>'
    if isinstance(c, float):
        return esc(f"{c:,.3g}" if abs(c) < 1000 else f"{c:,.0f}")
    if isinstance(c, int) and not isinstance(c, bool):
        return esc(f"{c:,}")
    return esc(c)


def _has_points(traces: list[dict[str, Any]]) -> bool:
    keys = ("x", "y", "values", "z")
    return any(t.get(k) is not None and len(t[k]) > 0 for t in traces for k in keys)


def _jsonable(v: Any) -> Any:
    """numpy scalars and arrays, which charts built from Arrow columns often hold."""
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError(f"{type(v).__name__} is not JSON serializable")
