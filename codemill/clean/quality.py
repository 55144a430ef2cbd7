"""`code_quality`: StarCoder2 / The Stack v2 file heuristics, code-aware, every threshold per language.

Score, then decide: all score columns are written on every record (kept or rejected), then the
rules run in a fixed order and the first that fails names the reason. Thresholds are resolved
per record from the op's parameters, then `overrides` for the record's language, then for its
file extension (`".json"`), so re-tuning needs no recomputation: filter the stored scores.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from codemill.clean import quality_rules as rules
from codemill.ops import FilterOp
from codemill.params import ParamError, check, param
from codemill.record import utf8_of
from codemill.registry import OPS

_DATA = {"max_line_length": 100_000, "max_mean_line_length": None, "min_alpha_fraction": None,
         "max_comment_fraction": None}
#: data-like languages: only extreme lines count; JSON/YAML/text files over 512 lines are data dumps
DEFAULT_OVERRIDES: dict[str, dict[str, Any]] = {
    "json": {**_DATA, "max_lines": 512},
    "yaml": {**_DATA, "max_lines": 512},
    "text": {**_DATA, "max_lines": 512},
    "html": _DATA, "xml": _DATA, "markdown": _DATA, "tex": _DATA, "restructuredtext": _DATA,
    "csv": {**_DATA, "max_lines": 512},
}


@dataclass(frozen=True)
class Thresholds:
    """One language's rule thresholds; None switches a rule off."""

    max_line_length: int | None = 1000
    max_mean_line_length: float | None = 100.0
    min_alpha_fraction: float | None = 0.25
    max_lines: int | None = 100_000
    generated: bool = True
    encoded_max_match: int | None = 1024
    encoded_max_fraction: float | None = 0.5
    xml_header: bool = True
    html_min_visible_fraction: float | None = 0.2
    html_min_visible_chars: int = 100
    min_comment_fraction: float | None = None
    max_comment_fraction: float | None = 0.8


THRESHOLD_NAMES = [f.name for f in dataclasses.fields(Thresholds)]
_HINTS = typing.get_type_hints(Thresholds)

SCORE_COLUMNS = (
    pa.field("n_lines", pa.int64()),
    pa.field("max_line_length", pa.int64()),
    pa.field("avg_line_length", pa.float64()),
    pa.field("alpha_fraction", pa.float64()),
    pa.field("generated_marker", pa.string()),
    pa.field("encoded_max_match", pa.int64()),
    pa.field("encoded_fraction", pa.float64()),
    pa.field("xml_header", pa.bool_()),
    pa.field("visible_text_fraction", pa.float64()),
    pa.field("comment_fraction", pa.float64()),
)


@OPS.register("code_quality")
@dataclass
class CodeQuality(FilterOp):
    """StarCoder2-style heuristics: line lengths, alphabetic share, generated files, encoded data, XML/HTML,
    file length, comment share. Scores on every record; thresholds per language and extension."""

    reads = ("text", "lang", "path")
    writes = SCORE_COLUMNS

    max_line_length: int | None = param(1000, "longest line (characters) above this is rejected")
    max_mean_line_length: float | None = param(100.0, "mean line length above this is rejected")
    min_alpha_fraction: float | None = param(0.25, "share of alphabetic characters below this is rejected")
    max_lines: int | None = param(100_000, "more lines than this is rejected")
    generated: bool = param(True, "reject auto-generated files (phrases in the first lines, generator "
                                  "headers, lock files, minified JS/CSS)")
    generated_head_lines: int = param(10, "how many first lines are searched for generator phrases")
    encoded_max_match: int | None = param(1024, "a base64/hex/\\u run longer than this is rejected")
    encoded_max_fraction: float | None = param(0.5, "encoded runs covering more than this share are rejected")
    xml_header: bool = param(True, "reject files with `<?xml version=` in the first 100 characters")
    html_min_visible_fraction: float | None = param(0.2, "HTML: visible text share below this is rejected")
    html_min_visible_chars: int = param(100, "HTML: fewer visible characters than this is rejected")
    min_comment_fraction: float | None = param(None, "comment share below this is rejected (SantaCoder: 0.01)")
    max_comment_fraction: float | None = param(0.8, "comment share above this is rejected")
    overrides: dict[str, dict[str, Any]] = param(
        DEFAULT_OVERRIDES, "threshold changes per language (`json`) or file extension (`.json`), applied in "
                           "that order; replaces the default table (data languages), so copy what you keep")

    def __post_init__(self) -> None:
        checked: dict[str, dict[str, Any]] = {}
        for key, changes in self.overrides.items():
            for name in changes:
                if name not in THRESHOLD_NAMES:
                    raise ParamError(f"overrides.{key}.{name}", f"unknown threshold; valid: {', '.join(THRESHOLD_NAMES)}")
            checked[key] = {n: check(v, _HINTS[n], f"overrides.{key}.{n}") for n, v in changes.items()}
        self.overrides = checked
        self._base = Thresholds(**{n: getattr(self, n) for n in THRESHOLD_NAMES})
        self._cache: dict[tuple[str | None, str], Thresholds] = {}  # a dict, not lru_cache: ops are pickled

    def thresholds(self, lang: str | None, ext: str) -> Thresholds:
        """Defaults, then the language's overrides, then the extension's."""
        key = (lang, ext)
        t = self._cache.get(key)
        if t is None:
            t = self._base
            for k in key:
                if k and k in self.overrides:
                    t = dataclasses.replace(t, **self.overrides[k])
            if len(self._cache) < 10_000:
                self._cache[key] = t
        return t

    def score(self, rec: dict[str, Any]) -> dict[str, Any]:
        text, lang, path = rec["text"], rec.get("lang"), rec.get("path") or ""
        data = utf8_of(rec)
        n, longest, total, longest_line = rules.line_stats(text, data)
        encoded_max, encoded_frac = rules.encoded_data(text, data)
        visible = None
        if lang == "html":
            shown = rules.visible_text(text)
            visible = len(shown) / len(text) if text else 0.0
            rec["_visible_chars"] = len(shown)
        return {
            "n_lines": n,
            "max_line_length": longest,
            "avg_line_length": round(total / n, 3) if n else 0.0,
            "alpha_fraction": round(rules.alpha_fraction(text, data), 6),
            "generated_marker": rules.generated_marker(text, path, lang, self.generated_head_lines, longest,
                                                       longest_line),
            "encoded_max_match": encoded_max,
            "encoded_fraction": round(encoded_frac, 6),
            "xml_header": "<?xml version=" in text[:100],
            "visible_text_fraction": None if visible is None else round(visible, 6),
            "comment_fraction": _round(rules.comment_fraction(text, lang)),
        }

    def decide(self, rec: dict[str, Any]) -> tuple[str, str] | None:
        path = rec.get("path") or ""
        dot = path.rfind(".")
        t = self.thresholds(rec.get("lang"), path[dot:].lower() if dot > path.rfind("/") else "")
        visible_chars = rec.pop("_visible_chars", None)
        checks = (
            ("too many lines", t.max_lines, rec["n_lines"], ">"),
            ("max line length", t.max_line_length, rec["max_line_length"], ">"),
            ("mean line length", t.max_mean_line_length, rec["avg_line_length"], ">"),
            ("alphabetic fraction", t.min_alpha_fraction, rec["alpha_fraction"], "<"),
        )
        for reason, limit, value, op in checks:
            if limit is not None and (value > limit if op == ">" else value < limit):
                return reason, f"{value} {op} {limit}"
        if t.generated and rec["generated_marker"]:
            return "auto-generated", rec["generated_marker"]
        if t.encoded_max_match is not None and rec["encoded_max_match"] > t.encoded_max_match:
            return "encoded data", f"run of {rec['encoded_max_match']} > {t.encoded_max_match} characters"
        if t.encoded_max_fraction is not None and rec["encoded_fraction"] > t.encoded_max_fraction:
            return "encoded data", f"covers {rec['encoded_fraction']:.3f} > {t.encoded_max_fraction}"
        if t.xml_header and rec["xml_header"]:
            return "xml header", "<?xml version= in the first 100 characters"
        if rec["visible_text_fraction"] is not None:
            if t.html_min_visible_fraction is not None and rec["visible_text_fraction"] < t.html_min_visible_fraction:
                return "html visible text", f"{rec['visible_text_fraction']:.3f} < {t.html_min_visible_fraction}"
            if visible_chars is not None and visible_chars < t.html_min_visible_chars:
                return "html visible text", f"{visible_chars} visible characters < {t.html_min_visible_chars}"
        cf = rec["comment_fraction"]
        if cf is not None and t.max_comment_fraction is not None and cf > t.max_comment_fraction:
            return "comment fraction high", f"{cf:.3f} > {t.max_comment_fraction}"
        if cf is not None and t.min_comment_fraction is not None and cf < t.min_comment_fraction:
            return "comment fraction low", f"{cf:.3f} < {t.min_comment_fraction}"
        return None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)
