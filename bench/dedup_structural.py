"""structural_dedup on the whole standard library: which functions and files it merges, and whether any
merge is false.

    python bench/dedup_structural.py [--min-nodes 100] [--list 40]

Every function and method of every stdlib module is fingerprinted (the op's Python path). A
merge is checked against an independent canonical form (tests/test_dedup_renamer.canonical:
symtable scopes, names numbered per scope, literals replaced by their type): a *false merge* is
two functions with one fingerprint but different canonical forms. Merged groups are then split
into exact copies, renamed copies (equal once names are canonical, literals kept) and literal
variants (differ only in constants). The same is done for whole files with `structural_dedup`.
"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_common import save, table  # noqa: E402

from codemill.dedup.fingerprint import python_fingerprint  # noqa: E402
from tests.conftest import STDLIB  # noqa: E402
from tests.test_dedup_renamer import canonical  # noqa: E402


def all_functions() -> list[tuple[str, str]]:
    out = []
    for path in sorted(STDLIB.rglob("*.py")):
        if "site-packages" in path.parts or "__pycache__" in path.parts:
            continue
        try:
            src = path.read_text(encoding="utf-8")
            tree = ast.parse(src)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # lib2to3 test data in Python 2, deliberately broken files
        lines = src.splitlines(keepends=True)
        rel = str(path.relative_to(STDLIB))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.decorator_list:
                out.append((f"{rel}:{node.lineno}:{node.name}",
                            textwrap.dedent("".join(lines[node.lineno - 1 : node.end_lineno]))))
    return out


def _without_literals(src: str) -> str:
    """Canonical form that keeps literals: tells renamed copies from literal variants."""
    tree = ast.parse(src)
    return canonical(ast.unparse(tree)) + "|" + "|".join(
        repr(n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant))


def function_report(min_nodes: int) -> dict[str, Any]:
    funcs = all_functions()
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    big = 0
    for name, src in funcs:
        try:
            fp, nodes = python_fingerprint(src)
        except (SyntaxError, ValueError, RecursionError):
            continue
        if nodes >= min_nodes:
            big += 1
            groups[fp].append((name, src))
    merged = [g for g in groups.values() if len(g) > 1]
    false_merges, kinds, examples = 0, defaultdict(int), []
    for g in merged:
        canon = {canonical(src) for _, src in g}
        if len(canon) > 1:
            false_merges += 1
            examples.append(("FALSE MERGE", g))
            continue
        texts = {src for _, src in g}
        kind = ("exact copies" if len(texts) == 1 else
                "renamed copies" if len({_without_literals(s) for s in texts}) == 1 else "literal variants")
        kinds[kind] += 1
        examples.append((kind, g))
    return {"functions": len(funcs), "fingerprinted": big, "merged_groups": len(merged),
            "merged_functions": sum(len(g) for g in merged), "false_merges": false_merges, "kinds": dict(kinds),
            "groups": [{"kind": k, "members": [n for n, _ in g]} for k, g in examples]}


def file_report() -> dict[str, Any]:
    import codemill

    recs = []
    for path in sorted(STDLIB.rglob("*.py")):
        if "site-packages" in path.parts or "__pycache__" in path.parts:
            continue
        try:
            recs.append({"id": str(path.relative_to(STDLIB)), "text": path.read_text(encoding="utf-8"), "lang": "python"})
        except UnicodeDecodeError:
            continue
    res = codemill.apply("structural_dedup", recs)
    clusters: dict[str, list[str]] = defaultdict(list)
    for r in res.kept + res.rejected:
        if r["cluster_size"] > 1:
            clusters[r["cluster_id"]].append(r["id"])
    return {"files": len(recs), "dropped": len(res.rejected), "clusters": sorted(map(sorted, clusters.values()), key=len,
                                                                                 reverse=True)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-nodes", type=int, default=100)
    ap.add_argument("--list", type=int, default=40)
    args = ap.parse_args()
    t0 = time.perf_counter()
    fr = function_report(args.min_nodes)
    files = file_report()
    print(f"## structural_dedup on the whole standard library ({time.perf_counter() - t0:.0f} s)\n")
    print(table(["functions", f">= {args.min_nodes} nodes", "merged groups", "functions in them", "false merges",
                 "exact copies", "renamed copies", "literal variants"],
                [[fr["functions"], fr["fingerprinted"], fr["merged_groups"], fr["merged_functions"], fr["false_merges"],
                  fr["kinds"].get("exact copies", 0), fr["kinds"].get("renamed copies", 0),
                  fr["kinds"].get("literal variants", 0)]]))
    print(f"\nMerged groups other than exact copies (first {args.list}):\n")
    shown = [g for g in fr["groups"] if g["kind"] != "exact copies"][: args.list]
    print(table(["kind", "members"], [[g["kind"], "<br>".join(g["members"][:4]) + (" …" if len(g["members"]) > 4 else "")]
                                       for g in shown]))
    print(f"\nFiles: {files['files']} stdlib files, {files['dropped']} dropped as structural duplicates, "
          f"{len(files['clusters'])} clusters; largest:\n")
    print(table(["size", "members"], [[len(c), ", ".join(c[:5]) + (" …" if len(c) > 5 else "")]
                                      for c in files["clusters"][: args.list // 2]]))
    save("structural_stdlib", {"functions": fr, "files": files})


if __name__ == "__main__":
    main()
