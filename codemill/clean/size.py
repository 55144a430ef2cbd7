"""`size_filter`: bounds on bytes, lines and the longest line (scores stored, then decided)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from codemill.ops import FilterOp
from codemill.params import ParamError, param
from codemill.registry import OPS


@OPS.register("size_filter")
@dataclass
class SizeFilter(FilterOp):
    """Reject texts outside bounds on bytes, lines and the longest line."""

    writes = (
        pa.field("n_bytes", pa.int64()),
        pa.field("n_lines", pa.int64()),
        pa.field("max_line_len", pa.int64()),
    )

    min_bytes: int = param(1, "fewer UTF-8 bytes than this is rejected (empty files by default)")
    max_bytes: int = param(1_000_000, "more UTF-8 bytes than this is rejected")
    min_lines: int = param(1, "fewer lines than this is rejected")
    max_lines: int = param(100_000, "more lines than this is rejected")
    max_line_length: int | None = param(None, "a line longer than this (characters) is rejected; null: no bound")

    def __post_init__(self) -> None:
        if self.min_bytes > self.max_bytes:
            raise ParamError("min_bytes", f"{self.min_bytes} is above max_bytes {self.max_bytes}")
        if self.min_lines > self.max_lines:
            raise ParamError("min_lines", f"{self.min_lines} is above max_lines {self.max_lines}")

    def score(self, rec: dict[str, Any]) -> dict[str, Any]:
        text = rec["text"]
        n_lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        return {
            "n_bytes": rec["_nbytes"],
            "n_lines": n_lines,
            "max_line_len": max(map(len, text.split("\n"))) if text else 0,
        }

    def decide(self, rec: dict[str, Any]) -> tuple[str, str] | None:
        b, n, longest = rec["n_bytes"], rec["n_lines"], rec["max_line_len"]
        if b < self.min_bytes:
            return "too few bytes", f"{b} < {self.min_bytes}"
        if b > self.max_bytes:
            return "too many bytes", f"{b} > {self.max_bytes}"
        if n < self.min_lines:
            return "too few lines", f"{n} < {self.min_lines}"
        if n > self.max_lines:
            return "too many lines", f"{n} > {self.max_lines}"
        if self.max_line_length is not None and longest > self.max_line_length:
            return "line too long", f"{longest} > {self.max_line_length}"
        return None
