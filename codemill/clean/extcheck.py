"""Syntax verdicts from a language's own parser in a child process (`bash -n`), never executing code.

Used where the tree-sitter grammar is measurably weaker than the real parser and the real parser
has a check-only mode that is cheap to start: tree-sitter-bash rejects about one valid script in
five (POSIX `for x do`, multi-line strings, `((` subshells), `bash -n` is the reference itself.
The child gets the text on stdin, an empty environment, `/` as working directory and a time limit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache

from codemill.clean.pycheck import OK, SYNTAX_ERROR, TIMEOUT, Verdict

_LINE = re.compile(r"line (\d+): (.*)|^-:(\d+):\s*(.*)", re.M)  # bash -n; ruby -c, perl -c (stdin is `-`)
_QUOTED = re.compile(r"`([^']{20})[^']+'")  # keep at most 20 characters of a quoted token


@cache
def available(program: str) -> bool:
    return shutil.which(program) is not None


def check_external(cmd: list[str], data: bytes, timeout_s: float) -> Verdict:
    """Run `cmd` with the text on stdin; exit status 0 means valid, the first `line N:` message is the error."""
    try:
        res = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout_s, check=False, cwd="/",
                             env={"PATH": os.defpath, "LC_ALL": "C"})
    except subprocess.TimeoutExpired:
        return Verdict(False, None, None, f"{cmd[0]} ran over {timeout_s:g} s", TIMEOUT)
    if res.returncode == 0:
        return OK
    err = res.stderr.decode("utf-8", "replace")
    m = _LINE.search(err)
    if m is None:
        return Verdict(False, None, None, f"{cmd[0]} exited with {res.returncode}", SYNTAX_ERROR)
    line, message = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return Verdict(False, int(line), None, _QUOTED.sub(r"`\1...'", message.strip())[:200], SYNTAX_ERROR)
