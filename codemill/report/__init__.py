"""The HTML report of a run: `build_report(OUT)` writes OUT/report.html.

Sections plug in through `codemill.report.sections.section` (see that module and
docs/report.md); the built-in ones live in `codemill.report.builtin`.
"""

from codemill.report.build import build_report
from codemill.report.data import ReportData, ReportError
from codemill.report.sections import Page, Raw, section

__all__ = ["Page", "Raw", "ReportData", "ReportError", "build_report", "section"]
