"""What a file's name and first lines say about its language, before any classifier.

Order follows GitHub linguist: an editor modeline, then well-known file names, then a shebang,
then the extension; template suffixes (`.in`, `.j2`, ...) are looked through. Extensions that
several languages share (`.h`, `.m`, `.pl`, `.txt`) are marked ambiguous so the content decides.

Content rules cover what the training data cannot teach the classifier: Objective-C (four real
files exist offline), MATLAB (none), Prolog (none), and for files without a name CUDA and Cython,
which the classifier confuses with C and Python (eight CUDA folders in the corpus). They count
distinct syntactic markers, so one stray `@end`, `%` or `cdef` does not flip a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from codemill.langs import _EXT, _FILENAMES, from_name, from_shebang

#: extension -> the languages it may hold; the content decides among them
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "h": ("c", "cpp", "objective-c"),
    "m": ("objective-c", "matlab"),
    "pl": ("perl", "prolog"),
    "txt": (),  # anything: prose unless the content clearly is code
}
#: languages that are markup, data or prose: no control flow, and the content never turns code into one
NOT_CODE = frozenset({"text", "markdown", "restructuredtext", "html", "xml", "json", "yaml", "ini", "css", "toml",
                      "csv", "tsv", "diff", "tex", "svg"})
TEMPLATE_SUFFIXES = frozenset({"in", "tmpl", "tpl", "j2", "jinja", "jinja2", "template", "dist", "sample",
                               "example", "mako", "erb", "orig"})
#: extensions of real languages: `makefile.py` is Python, `Makefile.am` a Makefile
_CODE_EXT = frozenset(e for e, lang in _EXT.items() if lang not in ("makefile", "dockerfile", "text"))
#: modeline / editor names -> codemill names
_ALIASES = {
    "c++": "cpp", "cxx": "cpp", "sh": "shell", "bash": "shell", "zsh": "shell", "ksh": "shell", "js": "javascript",
    "ts": "typescript", "py": "python", "python3": "python", "make": "makefile", "gmake": "makefile",
    "objc": "objective-c", "objcpp": "objective-cpp", "octave": "matlab", "rst": "restructuredtext",
    "md": "markdown", "yml": "yaml", "dosini": "ini", "conf": "ini", "cs": "csharp", "rs": "rust", "rb": "ruby",
    "pl": "perl", "cperl": "perl", "js2": "javascript", "f90": "fortran", "asm": "assembly", "elisp": "emacs-lisp",
}
_EMACS = re.compile(r"-\*-(.*?)-\*-")
_EMACS_MODE = re.compile(r"(?:^|;)\s*mode\s*:\s*([\w+-]+)", re.I)
_VIM = re.compile(r"(?:^|\s)(?:vi|vim|ex)(?:[<=>]?\d+)?:.*?\b(?:ft|filetype|syntax)=([\w+-]+)")


@dataclass(frozen=True)
class NameGuess:
    """What name, modeline or shebang say: `lang` None when nothing; `ambiguous` lists candidates."""

    lang: str | None
    source: str | None  # modeline / filename / shebang / extension
    ambiguous: tuple[str, ...] | None = None  # set for .h/.m/.pl/.txt: let the content decide
    template: bool = False  # found through a template suffix (`setup.py.in`)


def canonical(name: str) -> str:
    n = name.strip().lower()
    return _ALIASES.get(n, n)


def modeline(text: str) -> str | None:
    """Language from an Emacs (`-*- mode: c++ -*-`) or Vim (`vim: ft=python`) modeline."""
    lines = text[:2000].split("\n", 2)[:2] if text else []
    for line in lines:
        m = _EMACS.search(line)
        if m:
            body = m.group(1)
            mm = _EMACS_MODE.search(body)
            if mm:
                return canonical(mm.group(1))
            if ":" not in body and body.strip():
                return canonical(body.strip().split()[0])
    edges = text[:2000].split("\n")[:5] + text[-2000:].split("\n")[-5:]
    for line in edges:
        m = _VIM.search(line)
        if m:
            return canonical(m.group(1))
    return None


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[-1] if "." in name.lstrip(".") else ""


def from_path(path: str) -> NameGuess:
    """File-name conventions first (`Makefile`, `*.d.ts`), then the extension, looking through templates."""
    name = PurePosixPath(path).name.lower()
    if not name:
        return NameGuess(None, None)
    ext = _ext(name)
    if name in _FILENAMES or name.endswith(".d.ts") or (
            name.startswith(("makefile.", "dockerfile.")) and ext not in _CODE_EXT):  # not makefile.py
        return NameGuess(from_name(name), "filename")
    if ext in TEMPLATE_SUFFIXES and _ext(name[: -len(ext) - 1]):
        inner = from_path(name[: -len(ext) - 1])
        return NameGuess(inner.lang, inner.source, inner.ambiguous, True)
    if ext in AMBIGUOUS:
        return NameGuess(_EXT.get(ext), "extension", AMBIGUOUS[ext])
    lang = _EXT.get(ext) if ext else None
    return NameGuess(lang, "extension" if lang else None)


def from_head(path: str, text: str) -> NameGuess:
    """Modeline, then file name conventions, then shebang, then extension (linguist's order)."""
    mode = modeline(text)
    if mode:
        return NameGuess(mode, "modeline")
    guess = from_path(path or "")
    if guess.source == "filename":
        return guess
    bang = from_shebang(text[:200].encode("utf-8", "surrogatepass")) if text.startswith("#!") else None
    return NameGuess(bang, "shebang") if bang else guess


# --- content rules for languages without training data ---------------------------------------

def _markers(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.M) for p in patterns]


_OBJC = _markers(
    r"^\s*@(?:interface|implementation|protocol)\b", r"^\s*@end\b", r"^\s*#\s*import\s*[<\"]",
    r"@property\s*\(", r"@synthesize\b|@dynamic\b|@selector\(|@autoreleasepool\b", r"\[\[\w+\s+alloc\]",
    r"\bNS[A-Z]\w+\s*\*", r"@\"", r"^\s*[-+]\s*\(\s*\w[\w\s*]*\)\s*\w+",
)
_MATLAB = _markers(
    r"^\s*function\s+(?:\[[^\]\n]*\]|\w+)\s*=\s*\w+", r"^\s*function\s+\w+\s*(?:\(|$)", r"^\s*%",
    r"^\s*end\s*;?\s*$", r"\b(?:disp|fprintf|zeros|ones|numel|linspace|plot|figure)\s*\(", r"\.\*|\.\^|\.'",
    r"^\s*(?:elseif|endfunction|endif)\b",
)
_PROLOG = _markers(
    r"^\s*:-\s*\w+", r"^[a-z]\w*(?:\([^\n]*\))?\s*:-", r"^[a-z]\w*\([^\n]*\)\s*\.\s*$", r"\bis\s+[\w(]",
    r"^\s+[a-z]\w*\([^\n]*\)\s*,\s*$",
)
_PERL = _markers(
    r"^\s*use\s+(?:strict|warnings|[A-Z][\w:]*)", r"\bmy\s*[$@%(]", r"^\s*sub\s+\w+", r"\$\w+\s*=[^=]", r"=~",
    r"^__(?:END|DATA)__", r"^\s*package\s+[\w:]+\s*;", r"^#!.*perl",
)
_CUDA = _markers(
    r"__global__", r"__device__", r"__shared__|__constant__", r"\b(?:threadIdx|blockIdx|blockDim|gridDim)\b",
    r"<<<[^>\n]*>>>", r"\bcuda(?:Malloc|Memcpy|Free|DeviceSynchronize|Stream)\w*", r"__syncthreads\s*\(",
)
_CYTHON = _markers(
    r"^\s*c?p?def\s+(?:(?:inline|public|api|extern|class|struct|enum|(?:un)?signed|const)\s+)*[\w.\[\]*]+\s+\w",
    r"^\s*cimport\s|^\s*from\s+\S+\s+cimport\s", r"^\s*ctypedef\s", r"^\s*cpdef\s", r"\bnogil\b|\bexcept\s*[?*-]",
)
_SCAN = 32_000  # characters the rules look at
#: a marker set is tried only when one of its needles occurs (plain substring tests are ~100x cheaper)
_NEEDLES: dict[int, tuple[str, ...]] = {
    id(_OBJC): ("@", "#import", "# import"), id(_CUDA): ("__global__", "__device__", "threadIdx", "<<<", "cuda"),
    id(_CYTHON): ("cdef", "cimport", "cpdef", "ctypedef", "nogil"),
}


def score(text: str, markers: list[re.Pattern[str]]) -> int:
    """How many distinct markers occur in the first part of `text`."""
    head = text[:_SCAN]
    needles = _NEEDLES.get(id(markers))
    if needles is not None and not any(n in head for n in needles):
        return 0
    return sum(1 for p in markers if p.search(head))


def objective_c(text: str) -> int:
    return score(text, _OBJC)


def refine(top: str, text: str) -> tuple[str, float] | None:
    """For a text without a name: dialects the classifier has little or no data for, told apart
    from the language it confuses them with by unmistakable syntax (Objective-C and CUDA look
    like C/C++ to it, Cython like Python)."""
    if top in ("c", "cpp"):
        objc, cuda = score(text, _OBJC), score(text, _CUDA)
        if objc >= 2 and objc >= cuda:
            return "objective-c", _conf(objc, 0)
        if cuda >= 2:
            return "cuda", _conf(cuda, 0)
    elif top == "python":
        cython = score(text, _CYTHON)
        if cython >= 2:
            return "cython", _conf(cython, 0)
    return None


def decide_rule(ext: str, text: str) -> tuple[str, float] | None:
    """(language, confidence) from the content rules for `.m`, `.mm`, `.pl`, `.h`; None to defer to the classifier."""
    if ext in ("h", "m", "mm"):
        objc = objective_c(text)
        if ext == "h":
            return ("objective-c", _conf(objc, 1)) if objc >= 2 else None
        matlab = score(text, _MATLAB) if ext == "m" else 0
        if objc >= 2 or (objc > matlab) or (objc == matlab and "{" in text[:_SCAN]):
            return ("objective-cpp" if ext == "mm" else "objective-c"), _conf(objc, matlab)
        return "matlab", _conf(matlab, objc)
    if ext == "pl":
        perl, prolog = score(text, _PERL), score(text, _PROLOG)
        return ("prolog", _conf(prolog, perl)) if prolog > perl else ("perl", _conf(perl, prolog))
    return None


def _conf(win: int, lose: int) -> float:
    """Laplace-smoothed share of markers for the winner: 2 vs 0 -> 0.75, 5 vs 0 -> 0.86."""
    return round((win + 1) / (win + lose + 2), 4)
