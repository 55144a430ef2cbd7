"""`decode` and `normalize`: bytes -> text, then code-safe whitespace normalization.

Never touches indentation or tabs. Leaves trailing whitespace where it means something
(Makefile variable values, Markdown hard breaks, lines inside Python multi-line strings)
and leaves diff/patch files byte-for-byte as decoded.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Any

import charset_normalizer
import pyarrow as pa

from codemill.ops import MapOp, Reject
from codemill.params import param
from codemill.registry import OPS

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_SNIFF = 8000  # bytes looked at for binary content, as git does


def decode_bytes(raw: bytes, detect_legacy: bool) -> tuple[str, str]:
    """Return (text, encoding) or raise Reject('binary' | 'undecodable')."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc), enc
            except UnicodeDecodeError as e:
                raise Reject("undecodable", f"{enc} BOM but invalid data at byte {e.start}") from None
    if b"\0" in raw[:_SNIFF]:
        raise Reject("binary", "NUL byte in the first 8000 bytes")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        first_bad = e.start
    if detect_legacy:
        best = charset_normalizer.from_bytes(raw[: 1 << 20]).best()
        if best is not None and best.encoding:
            try:
                return raw.decode(best.encoding), best.encoding
            except (UnicodeDecodeError, LookupError):
                pass
    raise Reject("undecodable", f"not UTF-8 (first invalid byte at {first_bad}) and no legacy encoding fits")


def check_text(text: str) -> None:
    head = text[:_SNIFF]
    if "\0" in head:
        raise Reject("binary", "NUL character in the first 8000 characters")
    if head and len(_CONTROL.findall(head)) > 0.1 * len(head):
        raise Reject("binary", "more than 10% control characters")


@OPS.register("decode")
@dataclass
class Decode(MapOp):
    """Decode raw bytes to text (UTF-8/16/32 with BOM, legacy encodings detected); binary/undecodable rejected."""

    reads = ("raw",)
    writes = (pa.field("encoding", pa.string()),)

    detect_legacy: bool = param(True, "detect legacy encodings (cp1252, latin-1, GBK, Shift-JIS...) for non-UTF-8 bytes")

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        raw = rec.pop("raw", None)
        if rec.get("text") is None:
            rec["text"], rec["encoding"] = decode_bytes(raw or b"", self.detect_legacy)
        else:
            rec["text"], rec["encoding"] = rec["text"].removeprefix("\ufeff"), rec.get("encoding") or "utf-8"
        check_text(rec["text"])
        return rec


@OPS.register("normalize")
@dataclass
class Normalize(Decode):
    """Decode, then LF line endings, strip trailing whitespace, ensure a final newline (never indentation/tabs)."""

    line_endings: bool = param(True, "CRLF -> LF (lone CR -> LF only in files with no LF at all)")
    strip_trailing: bool = param(True, "strip trailing spaces/tabs, except where they are significant")
    final_newline: bool = param(True, "end every non-empty text with exactly one newline character")
    keep_trailing_langs: list[str] = param(["makefile", "markdown"], "languages whose trailing whitespace is kept")
    verbatim_langs: list[str] = param(["diff"], "languages left exactly as decoded")

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        rec = super().process(rec)
        lang = rec.get("lang")
        if lang in self.verbatim_langs:
            return rec
        text = rec["text"]
        if self.line_endings and "\r" in text:
            text = text.replace("\r\n", "\n")
            if "\n" not in text:
                text = text.replace("\r", "\n")
        if self.strip_trailing and lang not in self.keep_trailing_langs:
            text = strip_trailing(text, python=lang in ("python", "cython"))
        if self.final_newline and text and not text.endswith("\n"):
            text += "\n"
        if text != rec["text"]:
            rec["text"] = text
        return rec


_TRAILING = re.compile(r"[ \t]+$", re.M)


def strip_trailing(text: str, python: bool) -> str:
    if " \n" not in text and "\t\n" not in text and not text.endswith((" ", "\t")):
        return text
    if not python or ('"""' not in text and "'''" not in text and "\\\n" not in text):
        return _TRAILING.sub("", text)
    keep = _lines_inside_strings(text)
    if keep is None:  # does not tokenize: leave it as it is rather than risk changing a string
        return text
    lines = text.split("\n")
    return "\n".join(ln if i in keep else ln.rstrip(" \t") for i, ln in enumerate(lines))


def _lines_inside_strings(text: str) -> set[int] | None:
    """0-based numbers of lines whose end lies inside a Python string (or a continued line)."""
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                inside.update(range(tok.start[0] - 1, tok.end[0] - 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return inside
