"""The report's built-in sections; importing this package registers them."""

from codemill.report import annotate_section  # noqa: F401  (shown only when annotate columns exist)
from codemill.report.builtin import distributions, duplicates, funnel, overview, performance  # noqa: F401
