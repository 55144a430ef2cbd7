"""Python syntax verdicts from the interpreter's own compiler, guarded so bad input stays data.

`compile(text, ..., "exec")` is both the reference (it is what `python -m py_compile` runs) and,
measured on the benchmark corpus, faster than `ast.parse` (no Python AST objects are built).
Guards: the parser's own limits (nesting, indentation) come back as SyntaxError, a too-deep
expression as RecursionError/MemoryError (reported as "too deeply nested"); texts above
`isolate_chars` are compiled in a child process with a wall-clock limit, because compile() cannot
be interrupted in-thread and a 10 MB literal takes over ten seconds.

The PEP 263 encoding declaration is checked against how the text was decoded, so a verdict on
decoded text agrees with compile() on the original bytes (an unknown or impossible declaration is
a SyntaxError there).
"""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass

#: reject reasons (the `reason` of a failed Verdict)
SYNTAX_ERROR = "syntax error"
TOO_DEEP = "too deeply nested"
TIMEOUT = "syntax check timeout"
CRASHED = "syntax check crashed"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based, in characters
    message: str = ""
    reason: str | None = None  # None when ok

    def where(self) -> str:
        """`line:col: message`, the format of the `syntax_error` column."""
        return f"{self.line or 0}:{self.col or 0}: {self.message}"


OK = Verdict(True)


def _compile(text: str) -> Verdict:
    """One guarded compile in this process."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning/DeprecationWarning would spam worker stderr
            compile(text, "<record>", "exec", dont_inherit=True)
    except SyntaxError as e:  # includes IndentationError/TabError
        return Verdict(False, e.lineno, e.offset, (e.msg or "invalid syntax")[:200], SYNTAX_ERROR)
    except ValueError as e:  # NUL bytes (3.11: "source code string cannot contain null bytes")
        return Verdict(False, _nul_line(text), None, str(e)[:200], SYNTAX_ERROR)
    except (RecursionError, MemoryError) as e:
        return Verdict(False, None, None, f"{type(e).__name__} while compiling", TOO_DEEP)
    return OK


def _nul_line(text: str) -> int | None:
    pos = text.find("\0")
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


_CHILD = """
import json, sys, warnings
warnings.simplefilter("ignore")
text = sys.stdin.buffer.read().decode("utf-8", "surrogatepass")
try:
    compile(text, "<record>", "exec", dont_inherit=True)
    out = {"ok": True}
except SyntaxError as e:
    out = {"ok": False, "line": e.lineno, "col": e.offset, "msg": e.msg or "invalid syntax", "why": "syntax"}
except ValueError as e:
    out = {"ok": False, "msg": str(e), "why": "syntax"}
except (RecursionError, MemoryError) as e:
    out = {"ok": False, "msg": type(e).__name__ + " while compiling", "why": "deep"}
sys.stdout.write(json.dumps(out))
"""


def _compile_isolated(text: str, timeout_s: float) -> Verdict:
    """Compile in a child interpreter: a hard time limit, and a crash cannot take the worker down."""
    try:
        res = subprocess.run([sys.executable, "-I", "-S", "-c", _CHILD], input=text.encode("utf-8", "surrogatepass"),
                             capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return Verdict(False, None, None, f"compile() ran over {timeout_s:g} s", TIMEOUT)
    if res.returncode != 0:
        return Verdict(False, None, None, f"compiler process exited with {res.returncode}", CRASHED)
    out = json.loads(res.stdout)
    if out["ok"]:
        return OK
    reason = TOO_DEEP if out["why"] == "deep" else SYNTAX_ERROR
    line = out.get("line") or (_nul_line(text) if "null" in out["msg"] else None)
    return Verdict(False, line, out.get("col"), out["msg"][:200], reason)


# PEP 263: a comment on line 1 or 2 (line 2 only when line 1 is blank or a comment)
_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
_BLANK_OR_COMMENT = re.compile(r"^[ \t\f]*(?:[#\r\n]|$)")


def declared_encoding(text: str) -> tuple[str, int] | None:
    """(declared encoding, 1-based line) from a PEP 263 comment, or None."""
    lines = text.split("\n", 2)[:2]
    for i, line in enumerate(lines):
        m = _COOKIE.match(line)
        if m:
            return m.group(1), i + 1
        if not _BLANK_OR_COMMENT.match(line):
            break
    return None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _tokenizer_name(name: str) -> str:
    """CPython's tokenizer spelling check (get_normal_name): with a BOM only `utf-8` itself passes."""
    n = name[:12].lower().replace("_", "-")
    return "utf-8" if n == "utf-8" or n.startswith("utf-8-") else n


def encoding_problem(text: str, encoding: str | None) -> Verdict | None:
    """What compile() would say about the original bytes' encoding, given how they were decoded."""
    decoded_as = _codec(encoding or "utf-8") or "utf-8"
    cookie = declared_encoding(text)
    if cookie is None:
        if decoded_as in ("utf-8", "ascii") or text.isascii():
            return None
        return Verdict(False, 1, None, f"non-UTF-8 source ({decoded_as}) and no encoding declared", SYNTAX_ERROR)
    name, line = cookie
    declared = _codec(name)
    if declared is None:
        return Verdict(False, line, None, f"unknown encoding: {name}", SYNTAX_ERROR)
    if encoding == "utf-8-sig" and _tokenizer_name(name) != "utf-8":
        return Verdict(False, line, None, f"encoding problem: {name} with BOM", SYNTAX_ERROR)
    if declared != decoded_as and not text.isascii():
        try:
            text.encode(decoded_as, "surrogatepass").decode(declared)
        except (UnicodeError, LookupError):
            return Verdict(False, line, None, f"source is not valid {name}", SYNTAX_ERROR)
    return None


def check_python(text: str, encoding: str | None = None, *, isolate_chars: int = 1 << 20,
                 timeout_s: float = 10.0) -> Verdict:
    """The interpreter's verdict on `text`; never raises, never hangs past `timeout_s` for big texts."""
    problem = encoding_problem(text, encoding)
    if problem is not None:
        return problem
    if len(text) >= isolate_chars:  # compile time grows with the number of characters
        return _compile_isolated(text, timeout_s)
    return _compile(text)
