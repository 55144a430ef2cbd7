"""Imports every module that registers built-in ops and readers (called by the registries).

One line per area, so that work on different areas does not touch the same line.
"""

from codemill.clean import normalize, size  # noqa: F401
from codemill.dedup import exact  # noqa: F401
from codemill.io import archive, files, git, jsonl, parquet  # noqa: F401
