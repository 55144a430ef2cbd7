"""`decode` and `normalize`: right text out of real bytes, and never a change that breaks code."""

from __future__ import annotations

import ast
import codecs
import io
import tokenize

import pytest

import codemill
from codemill.clean.normalize import strip_trailing
from tests.conftest import STDLIB


def norm(raw: bytes | None = None, text: str | None = None, lang: str | None = None, **params) -> dict:
    res = codemill.apply("normalize", [{"id": "x", "raw": raw, "text": text, "lang": lang}], **params)
    return res.kept[0] if res.kept else res.rejected[0]


def test_line_endings_trailing_whitespace_final_newline_but_never_indentation() -> None:
    src = b"def f():\r\n\tif x:  \r\n\t\treturn 1\t\r\n    y = 2"
    assert norm(src)["text"] == "def f():\n\tif x:\n\t\treturn 1\n    y = 2\n"
    assert norm(b"a\rb\rc")["text"] == "a\nb\nc\n"  # classic Mac line ends
    assert norm(b"a\nb\rc\n")["text"] == "a\nb\rc\n"  # a lone CR inside LF text is content


def test_whitespace_that_matters_is_kept() -> None:
    make = b"VAR = value   \nall:\n\techo $(VAR)|  \n"
    assert norm(make, lang="makefile")["text"] == make.decode()
    md = "line with hard break  \nnext\n"
    assert norm(md.encode(), lang="markdown")["text"] == md
    patch = b"--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n- old  \r\n+new \r\n \r\n"
    assert norm(patch, lang="diff")["text"] == patch.decode()


def test_python_multiline_strings_keep_their_trailing_spaces() -> None:
    src = 'def f():  \n    """Doc   \n    >>> f()   \n    """\n    return "a  "  \n'
    out = strip_trailing(src, python=True)
    assert out == 'def f():\n    """Doc   \n    >>> f()   \n    """\n    return "a  "\n'
    assert ast.literal_eval(ast.parse(out).body[0].body[0].value) == ast.literal_eval(
        ast.parse(src).body[0].body[0].value)


@pytest.mark.parametrize("raw,encoding", [
    (codecs.BOM_UTF8 + "x = 'é'\n".encode(), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + "x = 'é'\n".encode("utf-16-le"), "utf-16"),
    (codecs.BOM_UTF32_BE + "x = 'é'\n".encode("utf-32-be"), "utf-32"),
    ("x = 'é'\n".encode(), "utf-8"),
])
def test_decodes_unicode_with_and_without_bom(raw: bytes, encoding: str) -> None:
    rec = norm(raw)
    assert rec["text"] == "x = 'é'\n" and rec["encoding"] == encoding


def test_legacy_encodings_are_detected() -> None:
    text = "# Grüße aus Köln: café, naïve, résumé, Ärger über Öl\nname = 'Größe'\n" * 3
    rec = norm(text.encode("cp1252"))
    assert rec["text"] == text and rec.get("reason") is None
    gbk = (STDLIB / "test" / "cjkencodings" / "gbk.txt").read_bytes()
    utf8 = (STDLIB / "test" / "cjkencodings" / "gbk-utf8.txt").read_bytes().decode()
    assert norm(gbk)["text"] == utf8


def test_binary_and_undecodable_are_rejected_with_a_reason() -> None:
    png = (STDLIB / "test" / "imghdrdata" / "python.png").read_bytes()
    assert norm(png)["reason"] == "binary"
    assert norm(bytes(range(1, 32)) * 100)["reason"] == "binary"
    assert norm(text="a\x00b")["reason"] == "binary"
    assert norm(b"")["text"] == ""


def _mess_up(src: bytes) -> bytes:
    """CRLF line ends and trailing spaces/tabs on every line (not after a line-continuation backslash)."""
    lines = src.split(b"\n")
    return b"\r\n".join(ln if ln.endswith(b"\\") else ln + b" \t " for ln in lines)


def _string_lines(text: str) -> set[int]:
    """Oracle: 0-based lines whose end is inside a string token, by Python's own tokenizer."""
    inside: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING:
            inside.update(range(tok.start[0] - 1, tok.end[0] - 1))
    return inside


def test_normalizing_stdlib_code_never_changes_what_it_means() -> None:
    files = sorted(p for p in STDLIB.rglob("*.py") if "site-packages" not in p.parts)[::4]
    recs = [{"id": str(p), "raw": _mess_up(p.read_bytes()), "lang": "python"} for p in files]
    res = codemill.apply("normalize", recs)
    assert len(res.kept) == len(files) > 400
    checked = 0
    for rec in res.kept:
        messy = _mess_up((STDLIB / rec["id"]).read_bytes())
        try:
            before = ast.dump(ast.parse(messy))
        except SyntaxError:  # the stdlib ships a few deliberately broken files
            continue
        text = rec["text"]
        assert ast.dump(ast.parse(text)) == before, rec["id"]
        lines = text.split("\n")
        keeps_ws = {i for i, ln in enumerate(lines) if ln.endswith(" \t ")}
        messed_strings = {i for i in _string_lines(text) if not lines[i].endswith("\\")}
        assert keeps_ws == messed_strings, rec["id"]  # stripped exactly outside strings
        checked += 1
    assert checked > 400
