"""Build OUT/report.html: one self-contained page (plotly.js embedded once, no network needed).

Every registered section renders in turn; a section that raises becomes an error box so one
bug (or one odd column a new op wrote) never costs the whole report.
"""

from __future__ import annotations

import logging
import os
import re
import time
import traceback
from importlib import metadata, resources
from pathlib import Path

from codemill.report.data import MAX_ROWS, ReportData
from codemill.report.mask import mask_text
from codemill.report.sections import Page, esc, sections

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "codemill.report_sections"


def build_report(out: Path | str, dest: Path | str | None = None, max_rows: int = MAX_ROWS) -> Path:
    """Write the report of output folder `out` to `dest` (default OUT/report.html) and return its path.

    Raises `ReportError` when `out` is not a codemill output. Reads only the columns the
    sections need and at most `max_rows` rows per folder for distributions.
    """
    t0 = time.perf_counter()
    out = Path(out)
    data = ReportData(out, max_rows)
    load_sections([next(iter(st)) for st in (data.manifest.get("recipe") or {}).get("stages", [])])
    page = Page()
    nav, body = [], []
    for s in sections():
        try:
            html = s.render(data, page)
        except Exception as e:  # one section's bug must not cost the whole report
            log.warning("report: section %r failed: %s", s.name, e)
            tb = traceback.format_exception_only(type(e), e)[-1].strip()
            html = (f'<div class="error-box section-error">This section could not be built: '
                    f'<code>{esc(mask_text(tb))}</code></div>')
        if not html:
            continue
        nav.append(f'<a href="#{esc(s.name)}">{esc(s.title)}</a>')
        body.append(f'<section id="{esc(s.name)}"><h2>{esc(s.title)}</h2>{html}</section>')
    version = _version()
    m = data.manifest
    subtitle = " · ".join(x for x in (
        mask_text(str(out.resolve()), generic=False), f"run {m['created_at']}" if m.get("created_at") else "",
        f"recipe {m['recipe_hash'][:12]}" if m.get("recipe_hash") else "") if x)
    dest = Path(dest) if dest is not None else out / "report.html"
    fills = {
        "__TITLE__": esc(f"codemill report · {out.resolve().name}"),
        "__SUBTITLE__": esc(subtitle),
        "__VERSION__": esc(version),
        "__NAV__": "".join(nav),
        "__BODY__": "\n".join(body),
        "__BUILD_S__": f"{time.perf_counter() - t0:.1f}",
        "__FIGURES__": page.figures_json(),
        "__PLOTLY_JS__": _plotly_js(),
    }
    # one pass over the template only: text from the data is never searched for placeholders
    html = re.sub(r"__[A-Z_]+__", lambda m: fills.get(m.group(0), m.group(0)), _template())
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, dest)  # a reader never sees half a report
    log.info("report: %s (%.1f MB) in %.2f s", dest, len(html) / 1e6, time.perf_counter() - t0)
    return dest


def load_sections(ops: list[str] | None = None) -> None:
    """Import what may register sections: the built-in sections, the modules of `ops` (of every
    op when None; an op may define its section next to itself) and the entry-point plugins."""
    from codemill import builtins
    from codemill.registry import OPS, UnknownName
    from codemill.report import builtin  # noqa: F401

    if ops is None:
        builtins.load_all()
    for name in ops or []:
        try:
            OPS.get(name)
        except UnknownName:  # a report of a run whose op is not installed here any more
            log.warning("report: op %r of this run is not installed", name)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as e:  # a broken plugin must not stop the report
            log.warning("report: could not load section plugin %s: %s", ep.name, e)


def _template() -> str:
    return resources.files("codemill.report").joinpath("templates/page.html").read_text(encoding="utf-8")


def _plotly_js() -> str:
    """plotly.js from the installed plotly package (MIT), inlined so the page works offline.

    Read as package data: importing `plotly.offline` would import pandas, slower than the rest
    of the build.
    """
    js = resources.files("plotly").joinpath("package_data/plotly.min.js")
    if js.is_file():
        text = js.read_text(encoding="utf-8")
    else:  # a plotly that moved its bundle: ask it
        from plotly.offline import get_plotlyjs

        text = get_plotlyjs()
    return text.replace("</script", "<\\/script")


def _version() -> str:
    try:
        return metadata.version("codemill")
    except metadata.PackageNotFoundError:
        return "dev"
