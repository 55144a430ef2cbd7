"""`decode` and `normalize`: bytes -> text, then code-safe whitespace normalization.

Never touches indentation or tabs. Leaves trailing whitespace where it means something
(Makefile variable values, Markdown hard breaks, lines inside Python multi-line strings)
and leaves diff/patch files byte-for-byte as decoded.
"""

from __future__ import annotations

import codecs
import re
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
        enc = _guess_legacy(raw)
        if enc is not None:
            try:
                return raw.decode(enc), enc
            except (UnicodeDecodeError, LookupError):
                pass
    raise Reject("undecodable", f"not UTF-8 (first invalid byte at {first_bad}) and no legacy encoding fits")


# Among equally plausible guesses, the encodings most common in real source files win
# (charset-normalizer ranks cp1250, cp1252 and cp1257 equal on most Western text).
_PREFERRED = ("cp1252", "latin_1", "iso8859_15", "cp1251", "shift_jis", "cp932", "euc_jp", "gb18030", "gbk",
              "gb2312", "big5", "euc_kr", "cp949", "koi8_r")


def _guess_legacy(raw: bytes) -> str | None:
    matches = list(charset_normalizer.from_bytes(raw[: 1 << 20]))
    if not matches:
        return None
    best = matches[0]
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    return next((e for e in _PREFERRED if e in tied), best.encoding)


# Control characters that do not occur in text (not tab, LF, VT, FF, CR, ESC), as UTF-8 bytes
# (never part of a multi-byte sequence): counted with bytes.translate, 4x faster than a regex.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])


def check_text(text: str) -> None:
    head = text[:_SNIFF]
    if "\0" in head:
        raise Reject("binary", "NUL character in the first 8000 characters")
    data = head.encode("utf-8", "surrogatepass")
    if len(data) - len(data.translate(None, _CONTROL_BYTES)) > 0.1 * len(head):
        raise Reject("binary", "more than 10% control characters")


@OPS.register("decode")
@dataclass
class Decode(MapOp):
    """Decode raw bytes to text (UTF-8/16/32 with BOM, legacy encodings detected); binary/undecodable rejected."""

    reads = ("raw",)
    writes = (pa.field("encoding", pa.string()),)

    detect_legacy: bool = param(True, "detect legacy encodings (cp1252, latin-1, GBK, Shift-JIS...) for non-UTF-8 bytes")

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        if rec.get("text") is None:
            text, encoding = decode_bytes(rec.get("raw") or b"", self.detect_legacy)
        else:
            text, encoding = rec["text"].removeprefix("\ufeff"), rec.get("encoding") or "utf-8"
        check_text(text)  # a rejected record keeps its raw bytes
        rec.pop("raw", None)
        rec["text"], rec["encoding"] = text, encoding
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


# Python string literals and comments, scanned in C by `re` (tokenize is ~30x slower).
_TQ1, _TQ2 = "'" * 3, '"' * 3
_PY_TOKENS = re.compile(
    "(?P<s>[rRbBuUfF]{0,2}(?:"
    + _TQ1 + r"(?:\\.|[^\\])*?" + _TQ1 + "|"
    + _TQ2 + r"(?:\\.|[^\\])*?" + _TQ2 + "|"
    + r"'(?:\\.|[^\\'\n])*'|"
    + r'"(?:\\.|[^\\"\n])*"'
    + "))|#[^\n]*",
    re.S,
)


def _lines_inside_strings(text: str) -> set[int] | None:
    """0-based numbers of lines whose end lies inside a Python string literal.

    None when the file does not scan cleanly (an unterminated triple-quoted string): then
    nothing is stripped rather than risk changing a string's value.
    """
    inside: set[int] = set()
    pos = line = 0
    for m in _PY_TOKENS.finditer(text):
        gap = text[pos : m.start()]
        if _TQ1 in gap or _TQ2 in gap:
            return None
        line += gap.count("\n")
        span = m.group()
        n = span.count("\n")
        if n and m.group("s") is not None:
            inside.update(range(line, line + n))
        line += n
        pos = m.end()
    tail = text[pos:]
    if _TQ1 in tail or _TQ2 in tail:
        return None
    return inside
