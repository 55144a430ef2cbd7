"""The report's built-in sections; importing this package registers them."""

from codemill.report.builtin import distributions, duplicates, funnel, overview, performance  # noqa: F401
