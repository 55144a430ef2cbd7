"""Syntax accuracy benchmark: codemill's `syntax` verdict against real compilers, per language.

    python bench/clean_syntax.py [--corpus 10pct|full] [--per-lang 100] [--seed 0] [--langs python,c,...]

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
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clean_common import RESULTS, corpus_records, md_table, which  # noqa: E402

from codemill import api  # noqa: E402


@dataclass
class Compiler:
    lang: str
    exe: tuple[str, ...]  # candidates for the executable
    args: tuple[str, ...]  # `{f}` is the file
    exts: tuple[str, ...]  # file extensions of this language's samples
    stdin: bool = False  # the file is fed on stdin instead

    def find(self) -> str | None:
        return which(*self.exe)


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
]
NO_COMPILER_HERE = ["typescript", "kotlin", "swift", "scala", "zig"]  # checked by codemill, no reference

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


def run_compiler(comp: Compiler, exe: str, text: str, name: str, workdir: Path) -> bool:
    """True when the compiler accepts the text (file named like the original, e.g. Java class names)."""
    d = Path(tempfile.mkdtemp(dir=workdir))
    f = d / name
    f.write_text(text, encoding="utf-8")
    args = [a.replace("{f}", str(f)).replace("{tmp}", str(d)) for a in comp.args]
    try:
        res = subprocess.run([exe, *args], input=text.encode() if comp.stdin else None,
                             capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return False
    ok = res.returncode == 0
    if comp.lang == "javascript" and not ok:  # maybe an ES module (`node --check FILE` skips those)
        ok = subprocess.run([exe, "--input-type=module", "--check"], input=text.encode(), capture_output=True,
                            timeout=60, check=False).returncode == 0
    if comp.lang == "php" and ok:
        ok = b"No syntax errors" in res.stdout
    return ok


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


def check_python_batch(texts: list[str], workdir: Path) -> list[bool]:
    """`python -m py_compile` over many files in one interpreter (the same function, no startup per file)."""
    paths = []
    for i, t in enumerate(texts):
        p = workdir / f"py{i}.py"
        p.write_bytes(t.encode("utf-8", "surrogatepass"))
        paths.append(str(p))
    res = subprocess.run([sys.executable, "-c", PY_BATCH], input=json.dumps(paths).encode(),
                         capture_output=True, check=True)
    return json.loads(res.stdout)


def judge(comp: Compiler, exe: str, items: list[tuple[str, str]], workdir: Path) -> list[bool]:
    """Compiler verdicts for (text, file name) pairs, two at a time."""
    if comp.lang == "python":
        return check_python_batch([t for t, _ in items], workdir)
    one: Callable[[tuple[str, str]], bool] = lambda it: run_compiler(comp, exe, it[0], it[1], workdir)  # noqa: E731
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, items))


def codemill_verdicts(lang: str, items: list[tuple[str, str]]) -> list[bool | None]:
    recs = [{"id": str(i), "text": t, "lang": lang, "path": n} for i, (t, n) in enumerate(items)]
    res = api.apply("syntax", recs, on_error="keep")
    by_id = {r["id"]: r["syntax_ok"] for r in res.kept}
    return [by_id[str(i)] for i in range(len(items))]


def bench_lang(comp: Compiler, exe: str, pool: list[dict], n: int, rng: random.Random, workdir: Path) -> dict:
    rng.shuffle(pool)
    originals: list[dict] = []
    for start in range(0, min(len(pool), 8 * n), 2 * n):  # keep the files the compiler accepts as they are
        batch = pool[start : start + 2 * n]
        oks = judge(comp, exe, [(r["text"], r["path"]) for r in batch], workdir)
        originals += [r for r, ok in zip(batch, oks, strict=True) if ok]
        if len(originals) >= n:
            break
    originals = originals[:n]
    variants = [(kind, t, r["path"]) for r in originals for kind, t in mutate(r["text"], rng)]
    items = [(t, name) for _, t, name in variants]
    t0 = time.perf_counter()
    truth = judge(comp, exe, items, workdir)
    mine = codemill_verdicts(comp.lang, items)
    seconds = time.perf_counter() - t0
    per_kind: dict[str, list[bool]] = defaultdict(list)
    stricter = lenient = 0
    for (kind, _, _), ref, got in zip(variants, truth, mine, strict=True):
        per_kind[kind].append(ref == got)
        stricter += ref and got is False
        lenient += (not ref) and got is True

    def pct(xs: list[bool]) -> float | None:
        return round(100 * sum(xs) / len(xs), 2) if xs else None

    return {"files": len(originals), "variants": len(variants), "compiler_rejects": truth.count(False),
            "agreement_pct": pct([a for xs in per_kind.values() for a in xs]),
            **{f"{k}_pct": pct(v) for k, v in sorted(per_kind.items())},
            "codemill_stricter": stricter, "codemill_lenient": lenient, "seconds": round(seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["10pct", "full"], default="10pct")
    ap.add_argument("--per-lang", type=int, default=100, help="original files per language")
    ap.add_argument("--langs", default="", help="comma-separated subset")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    wanted = set(filter(None, args.langs.split(","))) or {c.lang for c in COMPILERS}
    rng = random.Random(args.seed)
    rows: dict[str, dict] = {}
    skipped: dict[str, str] = {lang: "no compiler on this machine" for lang in NO_COMPILER_HERE}
    pools = corpus_files(args.corpus, wanted)
    with tempfile.TemporaryDirectory() as tmp:
        for comp in COMPILERS:
            if comp.lang not in wanted:
                continue
            exe = comp.find()
            if exe is None:
                skipped[comp.lang] = f"{comp.exe[0]} not installed"
                continue
            pool = pools.get(comp.lang, []) + system_files(comp.lang, comp.exts, 8 * args.per_lang, rng)
            if len(pool) < 3:
                skipped[comp.lang] = "no source files of this language here"
                continue
            rows[comp.lang] = bench_lang(comp, exe, pool, args.per_lang, rng, Path(tmp))
            print(f"{comp.lang}: {rows[comp.lang]}", file=sys.stderr, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clean-syntax.json").write_text(json.dumps({"rows": rows, "skipped": skipped}, indent=2))
    print("## syntax verdicts vs compilers\n")
    cols = ["files", "variants", "compiler_rejects", "agreement_pct", "original_pct", "truncated_pct",
            "token deleted_pct", "codemill_stricter", "codemill_lenient", "seconds"]
    print(md_table(["language", *cols], [[k, *(v.get(c) for c in cols)] for k, v in rows.items()]))
    if skipped:
        print("\nskipped: " + "; ".join(f"{k} ({v})" for k, v in sorted(skipped.items())))


if __name__ == "__main__":
    main()
