"""Syntax accuracy benchmark: codemill's `syntax` verdict against real compilers, per language.

    python bench/clean_syntax.py [--corpus 10pct|full] [--per-lang 100] [--seed 0] [--langs python,c,...]
                                 [--split all|dev|holdout] [--dump disagreements.jsonl] [--setting default|fast]

For each language with a compiler on this machine: take real files the compiler accepts (from the
benchmark corpus, plus system sources for languages the corpus lacks: Go's and Ruby's standard
libraries, shell scripts in /usr/bin), then break copies of them by truncation at a random byte
and by deleting one random token. Every variant is judged by the compiler and by codemill; the
table gives agreement and where they differ (codemill stricter / more lenient). A language whose
compiler is missing is listed as skipped, never failed.

Compilers, each in its syntax-only mode where it has one: `python -m py_compile` (batch, same
function), `node --check` (on stdin as CommonJS, then as an ES module: `node --check FILE.js` exits 0
without checking a file that uses `import`), `gcc/g++ -fsyntax-only`, `javac`
stopped after parsing (`-XDshould-stop.*=PARSE`), `rustfmt` (rustc's parser), `gofmt -e`,
`bash -n`, `ruby -c`, `php -l`, `luac -p`, `mcs --parse`. gcc, g++ and (without the stop option)
javac also check semantics, so for C/C++ only files that compile standalone are used.

gcc and g++ reject some token-deleted files only for a semantic reason (an undeclared name, an
unknown type, too few arguments) or because a header name was damaged (`#include <string.>`: no
such file): no parser can know that without the program's declarations and include path. Such
variants (every error message of the compiler one of SEMANTIC) are counted as
`semantic_only_rejects`. The compiler also accepts a file whose error lies in a branch it skips
(`#ifdef _WIN32` on Linux, a token deleted there): `stricter_in_skipped_code` counts the variants
codemill rejects at a line where an inserted `#error` does not stop the compiler either.
`syntax_agreement_pct` leaves both kinds out; `agreement_pct` keeps every variant. `--split dev|holdout` keeps only the files whose content hash falls in that half,
so that changes tuned on one half can be checked on files nobody looked at; `--dump` writes every
disagreement (verdicts, messages, text) to a JSONL file for inspection.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clean_common import DATA, FAST_SYNTAX, RESULTS, corpus_records, md_table, which  # noqa: E402

from codemill import api  # noqa: E402


@dataclass
class Compiler:
    lang: str
    exe: tuple[str, ...]  # candidates for the executable
    args: tuple[str, ...]  # `{f}` is the file
    exts: tuple[str, ...]  # file extensions of this language's samples
    stdin: bool = False  # the file is fed on stdin instead
    #: unpacks the compiler from the corpus's own downloads and gives its path; with `exe` empty the
    #: tool is the executable, else `exe` runs it (node for TypeScript's parser)
    tool: Callable[[], Path | None] | None = None

    def find(self) -> str | None:
        if self.tool is None:
            return which(*self.exe)
        path = self.tool()
        if path is None:
            return None
        return which(*self.exe) if self.exe else str(path)


TOOLS = RESULTS / "tools"  # compilers unpacked from bench-data/downloads, the versions the corpus was built from


def _download(pattern: str) -> Path | None:
    found = sorted((DATA / "downloads").glob(pattern))
    return found[-1] if found else None


def typescript_lib() -> Path | None:
    """typescript.js of the corpus's typescript 5.5.4 tarball (the newest of its two versions)."""
    tgz = _download("npm__typescript_at_5.5.4/typescript-*.tgz")
    if tgz is None:
        return None
    lib = TOOLS / tgz.name.removesuffix(".tgz") / "package" / "lib" / "typescript.js"
    if not lib.exists():
        with tarfile.open(tgz) as tf:
            tf.extractall(TOOLS / tgz.name.removesuffix(".tgz"), filter="data")
    return lib


def zig_exe() -> Path | None:
    """The zig 0.13.0 binary of the corpus's ziglang wheel, with the standard library it looks for."""
    whl = _download("wheel__ziglang_eq_*/ziglang-*.whl")
    if whl is None:
        return None
    root = TOOLS / whl.name.split("-py3")[0]
    exe = root / "ziglang" / "zig"
    if not exe.exists():
        with zipfile.ZipFile(whl) as z:
            z.extractall(root, [n for n in z.namelist() if n == "ziglang/zig" or n.startswith("ziglang/lib/std/")])
        exe.chmod(0o755)
    return exe


COMPILERS = [
    Compiler("python", ("python3",), (), (".py",)),  # batch py_compile, see check_python_batch
    Compiler("javascript", ("node",), ("--input-type=commonjs", "--check"), (".js", ".mjs", ".cjs"), stdin=True),
    Compiler("c", ("gcc",), ("-fsyntax-only", "-w", "-std=gnu17", "{f}"), (".c", ".h")),
    Compiler("cpp", ("g++",), ("-fsyntax-only", "-w", "-std=gnu++20", "{f}"), (".cpp", ".cc", ".hpp", ".cxx")),
    Compiler("java", ("javac",), ("-XDshould-stop.ifNoError=PARSE", "-XDshould-stop.ifError=PARSE",
                                   "-d", "{tmp}", "{f}"), (".java",)),
    Compiler("rust", ("rustfmt",), ("--edition", "2021", "--emit", "stdout"), (".rs",), stdin=True),
    Compiler("go", ("gofmt",), ("-e", "{f}"), (".go",)),
    Compiler("shell", ("bash",), ("-n", "{f}"), (".sh", ".bash")),
    Compiler("ruby", ("ruby",), ("-c", "{f}"), (".rb",)),
    Compiler("php", ("php",), ("-l", "{f}"), (".php",)),
    Compiler("lua", ("luac5.4", "luac"), ("-p", "{f}"), (".lua",)),
    Compiler("csharp", ("mcs",), ("--parse", "{f}"), (".cs",)),
    # TypeScript's parser (`createSourceFile`, its parse diagnostics), batched like Python: see check_typescript_batch
    Compiler("typescript", ("node",), (), (".ts", ".tsx", ".mts", ".cts"), tool=typescript_lib),
    Compiler("zig", (), ("ast-check", "{f}"), (".zig",), tool=zig_exe),  # the parser, then AstGen (see ZIG_ASTGEN)
]
NO_COMPILER_HERE = ["kotlin", "swift", "scala"]  # checked by codemill, no reference

SYSTEM_SOURCES = {  # languages the corpus lacks or has few files of
    "go": ["/usr/lib/go/src", "/usr/lib/go-*/src", "/usr/share/go-*/src"],
    "ruby": ["/usr/lib/ruby"],
    "php": ["/usr/share/php"],
    "lua": ["/usr/share/lua", "/usr/lib/x86_64-linux-gnu/lua"],
    "shell": ["/usr/bin", "/usr/sbin", "/etc/init.d"],
}
SHELL_SHEBANG = re.compile(rb"^#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\b")
TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\S")


def system_files(lang: str, exts: tuple[str, ...], limit: int, rng: random.Random) -> list[dict]:
    paths: list[Path] = []
    for pattern in SYSTEM_SOURCES.get(lang, []):
        for root in Path("/").glob(pattern.lstrip("/")):
            if lang == "shell":
                paths += [p for p in root.iterdir() if p.is_file() and not p.is_symlink()]
            else:
                paths += [p for p in root.rglob("*") if p.suffix in exts and p.is_file()]
    rng.shuffle(paths)
    out = []
    for p in paths:
        if len(out) >= limit:
            break
        try:
            raw = p.read_bytes()
        except OSError:
            continue
        if lang == "shell" and not SHELL_SHEBANG.match(raw):
            continue
        if b"\0" in raw or len(raw) > 200_000 or not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        out.append({"text": text, "lang": lang, "path": p.name if p.suffix else p.name + ".sh"})
    return out


def corpus_files(which_corpus: str, langs: set[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for rec in corpus_records(which_corpus):
        if rec["lang"] in langs and len(rec["text"]) < 200_000:
            out[rec["lang"]].append({"text": rec["text"], "lang": rec["lang"], "path": rec["path"].rsplit("/", 1)[-1]})
    return out


def mutate(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, text) variants: the original, one truncation, two single-token deletions."""
    data = text.encode("utf-8")
    cut = rng.randrange(1, max(2, len(data)))
    out = [("original", text), ("truncated", data[:cut].decode("utf-8", "ignore"))]
    tokens = list(TOKEN.finditer(text))
    for _ in range(2):
        if tokens:
            m = rng.choice(tokens)
            out.append(("token deleted", text[: m.start()] + text[m.end():]))
    return out


#: gcc/g++ errors that need declarations or the include path, not syntax: a parser cannot see them
SEMANTIC = re.compile(
    r"No such file or directory|has not been declared|"
    r"undeclared|was not declared|not declared in this scope|unknown type name|does not name a type|"
    r"implicit declaration|incompatible type|too (few|many) arguments|has no member|redefinition|"
    r"redeclar|conflicting types|invalid operands|lvalue required|invalid use of|request for member|"
    r"cannot convert|invalid conversion|no matching|subscripted value|called object|void value|"
    r"storage size|incomplete type|initializer element is not|not within a loop|not within loop or switch|"
    r"case label not within|duplicate case|used but not defined|jump to|read-only|has no type|"
    r"is not a member|is not a type|is not a template|not a class|no member named|array type has|"
    r"defined but not used|wrong type argument"
)
_ERROR_LINE = re.compile(r"(?:error|fatal error): (.*)")


#: `zig ast-check` errors of AstGen, after a successful parse: names and uses, not syntax
ZIG_ASTGEN = re.compile(
    r"unused |use of undeclared identifier|never mutated|pointless discard|redeclaration of|shadows |"
    r"duplicate |unreachable code|ambiguous reference|discard of|declared here|'_' used as an identifier|"
    r"local variable is never|function parameter shadows|capture shadows")


def semantic_only(lang: str, message: str) -> bool:
    """True when every error the compiler printed is a semantic one (gcc/g++: also a missing header;
    zig: AstGen's), so the variant parses."""
    if lang not in ("c", "cpp", "zig") or not message:
        return False
    errors = _ERROR_LINE.findall(message)
    pattern = ZIG_ASTGEN if lang == "zig" else SEMANTIC
    return bool(errors) and all(pattern.search(e) for e in errors)


def run_compiler(comp: Compiler, exe: str, text: str, name: str, workdir: Path) -> tuple[bool, str]:
    """(accepted, compiler messages) for the text (file named like the original, e.g. Java class names)."""
    d = Path(tempfile.mkdtemp(dir=workdir))
    f = d / name
    f.write_text(text, encoding="utf-8")
    args = [a.replace("{f}", str(f)).replace("{tmp}", str(d)) for a in comp.args]
    try:
        res = subprocess.run([exe, *args], input=text.encode() if comp.stdin else None,
                             capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return False, "timeout"
    ok = res.returncode == 0
    if comp.lang == "javascript" and not ok:  # maybe an ES module (`node --check FILE` skips those)
        ok = subprocess.run([exe, "--input-type=module", "--check"], input=text.encode(), capture_output=True,
                            timeout=60, check=False).returncode == 0
    if comp.lang == "php" and ok:
        ok = b"No syntax errors" in res.stdout
    return ok, "" if ok else (res.stderr or res.stdout).decode("utf-8", "replace").replace(str(f), name)[-4000:]


PY_BATCH = """
import json, py_compile, sys, warnings
warnings.simplefilter("ignore")
out = []
for path in json.load(sys.stdin):
    try:
        py_compile.compile(path, doraise=True)
        out.append(True)
    except py_compile.PyCompileError:
        out.append(False)
print(json.dumps(out))
"""


def check_python_batch(texts: list[str], workdir: Path) -> list[tuple[bool, str]]:
    """`python -m py_compile` over many files in one interpreter (the same function, no startup per file)."""
    paths = []
    for i, t in enumerate(texts):
        p = workdir / f"py{i}.py"
        p.write_bytes(t.encode("utf-8", "surrogatepass"))
        paths.append(str(p))
    res = subprocess.run([sys.executable, "-c", PY_BATCH], input=json.dumps(paths).encode(),
                         capture_output=True, check=True)
    return [(ok, "") for ok in json.loads(res.stdout)]


def check_typescript_batch(comp: Compiler, exe: str, items: list[tuple[str, str]], workdir: Path
                           ) -> list[tuple[bool, str]]:
    """TypeScript's parser over many files in one node process (loading typescript.js takes 0.3 s)."""
    paths = []
    for i, (text, name) in enumerate(items):
        d = workdir / f"ts{i}"
        d.mkdir(exist_ok=True)
        (d / name).write_text(text, encoding="utf-8")
        paths.append(str(d / name))
    assert comp.tool is not None
    res = subprocess.run([exe, str(Path(__file__).with_name("ts_parse.js")), str(comp.tool())],
                         input=json.dumps(paths).encode(), capture_output=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"bench/ts_parse.js failed: {res.stderr.decode('utf-8', 'replace')[-2000:]}")
    return [(ok, msg) for ok, msg in json.loads(res.stdout)]


def judge(comp: Compiler, exe: str, items: list[tuple[str, str]], workdir: Path) -> list[tuple[bool, str]]:
    """Compiler verdicts and messages for (text, file name) pairs, two at a time."""
    if comp.lang == "python":
        return check_python_batch([t for t, _ in items], workdir)
    if comp.lang == "typescript":
        return check_typescript_batch(comp, exe, items, workdir)
    one: Callable[[tuple[str, str]], tuple[bool, str]] = (  # noqa: E731
        lambda it: run_compiler(comp, exe, it[0], it[1], workdir))
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, items))


def codemill_verdicts(lang: str, items: list[tuple[str, str]], params: dict | None = None
                      ) -> list[tuple[bool | None, str | None]]:
    recs = [{"id": str(i), "text": t, "lang": lang, "path": n} for i, (t, n) in enumerate(items)]
    res = api.apply("syntax", recs, on_error="keep", **(params or {}))
    by_id = {r["id"]: (r["syntax_ok"], r["syntax_error"]) for r in res.kept}
    return [by_id[str(i)] for i in range(len(items))]


def in_skipped_code(comp: Compiler, exe: str, text: str, name: str, error: str | None, workdir: Path) -> bool:
    """Is the line codemill rejects code the compiler never compiled (a branch of `#if`/`#ifdef` that is
    inactive without -D flags)? Probe: an `#error` line put before it leaves the file accepted."""
    if comp.lang not in ("c", "cpp") or not error or not error.split(":", 1)[0].isdigit():
        return False
    line = int(error.split(":", 1)[0])
    lines = text.split("\n")
    probed = "\n".join([*lines[: line - 1], "#error codemill-probe", *lines[line - 1 :]])
    return run_compiler(comp, exe, probed, name, workdir)[0]


def in_split(rec: dict, split: str) -> bool:
    """The file's half of a content-hash split (the same on every machine and seed)."""
    if split == "all":
        return True
    half = hashlib.blake2b(rec["text"].encode("utf-8", "surrogatepass"), digest_size=1).digest()[0] % 2
    return half == (0 if split == "dev" else 1)


def bench_lang(comp: Compiler, exe: str, pool: list[dict], n: int, rng: random.Random, workdir: Path,
               dump: list[dict] | None = None, params: dict | None = None) -> dict:
    rng.shuffle(pool)
    originals: list[dict] = []
    for start in range(0, min(len(pool), 8 * n), 2 * n):  # keep the files the compiler accepts as they are
        batch = pool[start : start + 2 * n]
        oks = judge(comp, exe, [(r["text"], r["path"]) for r in batch], workdir)
        originals += [r for r, (ok, _) in zip(batch, oks, strict=True) if ok]
        if len(originals) >= n:
            break
    originals = originals[:n]
    variants = [(kind, t, r["path"]) for r in originals for kind, t in mutate(r["text"], rng)]
    items = [(t, name) for _, t, name in variants]
    t0 = time.perf_counter()
    truth = judge(comp, exe, items, workdir)
    mine = codemill_verdicts(comp.lang, items, params)
    seconds = time.perf_counter() - t0
    per_kind: dict[str, list[bool]] = defaultdict(list)
    syntax_level: list[bool] = []
    stricter = lenient = semantic = skipped_code = 0
    for (kind, text, name), (ref, message), (got, error) in zip(variants, truth, mine, strict=True):
        per_kind[kind].append(ref == got)
        stricter += ref and got is False
        lenient += (not ref) and got is True
        sem = not ref and semantic_only(comp.lang, message)
        semantic += sem
        skipped = ref and got is False and in_skipped_code(comp, exe, text, name, error, workdir)
        skipped_code += skipped
        if not sem and not skipped:
            syntax_level.append(ref == got)
        if dump is not None and ref != got:
            dump.append({"lang": comp.lang, "kind": kind, "path": name, "compiler_ok": ref, "codemill_ok": got,
                         "semantic_only": sem, "in_skipped_code": skipped, "compiler_message": message[:2000], "codemill_error": error,
                         "text": text})

    def pct(xs: list[bool]) -> float | None:
        return round(100 * sum(xs) / len(xs), 2) if xs else None

    row = {"files": len(originals), "variants": len(variants), "compiler_rejects": sum(not ok for ok, _ in truth),
           "agreement_pct": pct([a for xs in per_kind.values() for a in xs]),
           **{f"{k}_pct": pct(v) for k, v in sorted(per_kind.items())},
           "codemill_stricter": stricter, "codemill_lenient": lenient, "seconds": round(seconds, 1)}
    if comp.lang in ("c", "cpp"):
        row.update(semantic_only_rejects=semantic, stricter_in_skipped_code=skipped_code,
                   syntax_agreement_pct=pct(syntax_level))
    elif comp.lang == "zig":
        row.update(semantic_only_rejects=semantic, syntax_agreement_pct=pct(syntax_level))
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["10pct", "full"], default="10pct")
    ap.add_argument("--per-lang", type=int, default=100, help="original files per language")
    ap.add_argument("--langs", default="", help="comma-separated subset")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=["all", "dev", "holdout"], default="all",
                    help="only the files of one half of a content-hash split (check tuning on the other half)")
    ap.add_argument("--dump", type=Path, help="write every disagreement to this JSONL file")
    ap.add_argument("--setting", choices=["default", "fast"], default="default",
                    help="the `syntax` op's settings: its defaults, or the fast setting (FAST_SYNTAX: the first parse decides)")
    args = ap.parse_args()
    params = FAST_SYNTAX if args.setting == "fast" else None
    wanted = set(filter(None, args.langs.split(","))) or {c.lang for c in COMPILERS}
    rng = random.Random(args.seed)
    rows: dict[str, dict] = {}
    skipped: dict[str, str] = {lang: "no compiler on this machine" for lang in NO_COMPILER_HERE}
    pools = corpus_files(args.corpus, wanted)
    dump: list[dict] | None = [] if args.dump else None
    with tempfile.TemporaryDirectory() as tmp:
        for comp in COMPILERS:
            if comp.lang not in wanted:
                continue
            exe = comp.find()
            if exe is None:
                skipped[comp.lang] = f"{(comp.exe or (comp.lang,))[0]} not installed" if comp.tool is None \
                    else "its compiler is not in bench-data/downloads (or node is missing)"
                continue
            pool = pools.get(comp.lang, []) + system_files(comp.lang, comp.exts, (8 if args.split == "all" else 16) * args.per_lang, rng)
            pool = [r for r in pool if in_split(r, args.split)]
            if len(pool) < 3:
                skipped[comp.lang] = "no source files of this language here"
                continue
            rows[comp.lang] = bench_lang(comp, exe, pool, args.per_lang, rng, Path(tmp), dump, params)
            print(f"{comp.lang}: {rows[comp.lang]}", file=sys.stderr, flush=True)
    if args.dump and dump is not None:
        args.dump.write_text("".join(json.dumps(d) + "\n" for d in dump))
    RESULTS.mkdir(exist_ok=True)
    suffix = ("" if args.split == "all" else f"-{args.split}") + ("" if args.setting == "default" else f"-{args.setting}")
    (RESULTS / f"clean-syntax{suffix}.json").write_text(json.dumps(
        {"split": args.split, "seed": args.seed, "setting": args.setting, "rows": rows, "skipped": skipped}, indent=2))
    print("## syntax verdicts vs compilers\n")
    cols = ["files", "variants", "compiler_rejects", "agreement_pct", "original_pct", "truncated_pct",
            "token deleted_pct", "codemill_stricter", "codemill_lenient", "semantic_only_rejects",
            "stricter_in_skipped_code", "syntax_agreement_pct", "seconds"]
    print(md_table(["language", *cols], [[k, *(v.get(c) for c in cols)] for k, v in rows.items()]))
    if skipped:
        print("\nskipped: " + "; ".join(f"{k} ({v})" for k, v in sorted(skipped.items())))


if __name__ == "__main__":
    main()
