"""Imports every module that registers built-in ops and readers (called by the registries).

One line per area, so that work on different areas does not touch the same line.
"""

from codemill.annotate import category, complexity, difficulty, language  # noqa: F401
from codemill.clean import missing, normalize, outliers, quality, redact, size, syntax  # noqa: F401
from codemill.dedup import bloom, decontaminate, exact, near, normalized, structural  # noqa: F401
from codemill.io import archive, files, git, jsonl, parquet  # noqa: F401
