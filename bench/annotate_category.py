"""Purpose categories against labels derived independently of the op, and the hand-checked sample.

    python bench/annotate_category.py [--corpus full|10pct]

1. The 225-record fixture (tests/data/annotate/categories.jsonl), labelled by reading each file:
   per-category precision and recall, on the full files where this machine still has them
   (same SHA-1) and on the stored excerpts otherwise (what CI sees).
2. Corpus test files: files under a test folder that import a test framework (recall of `test`),
   and precision of `test` against files that are neither under a test-named folder nor import one.
3. Corpus vendored copies found by content: a file whose exact text also occurs in another corpus
   project whose name is one of the file's folders (pip/_vendor/requests/api.py = requests/api.py).
4. The language x category matrix of the corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from annotate_common import ROOT, TOP10, corpus, prf, records, save, table

from codemill.annotate.category import Category
from codemill.annotate.catrules import CATEGORIES

FIXTURE = ROOT / "tests" / "data" / "annotate" / "categories.jsonl"
FIXTURE_ROOTS = {"stdlib": "/root/.pyenv/versions/3.11.7/lib/python3.11",
                 "site-packages": str(ROOT / ".venv/lib/python3.11/site-packages"),
                 "usr-include": "/usr/include", "usr-share": "/usr/share", "usr-lib": "/usr/lib"}
TEST_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:pytest|unittest|nose|hypothesis)\b|require\(['\"](?:mocha|chai|jest|tap|ava)['\"]\)"
    r"|from\s+['\"](?:vitest|@jest/globals|chai|mocha)['\"]|#\s*include\s*[<\"](?:gtest/|catch2?/|doctest)", re.M)
TEST_FOLDER = re.compile(r"(?:^|/)(?:tests?|testing|__tests__|spec|[\w-]*_tests?|tests?_[\w-]*)/")


def fixture(op: Category) -> tuple[str, dict]:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    full, used_full = [], 0
    for r in rows:
        path = Path(FIXTURE_ROOTS[r["root"]]) / r["path"]
        text = r["text"]
        if path.is_file():
            raw = path.read_bytes()
            if hashlib.sha1(raw).hexdigest() == r["sha1"]:
                text, used_full = raw.decode("utf-8", "replace"), used_full + 1
        full.append(op.classify(r["path"], text, r["lang"] or "")[0])
    excerpt = [op.classify(r["path"], r["text"], r["lang"] or "")[0] for r in rows]
    truth = [r["label"] for r in rows]
    labels = [c for c in CATEGORIES if c in truth]
    out = {}
    lines = []
    for name, pred in (("full files", full), ("stored excerpts", excerpt)):
        acc = sum(p == t for p, t in zip(pred, truth, strict=True)) / len(rows)
        out[name] = {"accuracy": acc, "per_category": {r[0]: r[1:] for r in prf(truth, pred, labels)}}
        lines.append(f"{name}: accuracy **{acc:.3f}**")
    text = (f"{len(rows)} records ({used_full} read from the machine's files, the rest from the excerpts); "
            + "; ".join(lines) + "\n\n" + table(["category", "records", "precision", "recall", "F1"],
                                                prf(truth, full, labels)))
    return text, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="full", choices=["full", "10pct"])
    a = ap.parse_args()
    op = Category()
    text, result = fixture(op)
    print("## Hand-checked fixture\n\n" + text)

    recs = list(records(corpus(a.corpus)))
    labels = [op.classify(r["path"], r["text"], r["lang"])[0] for r in recs]
    derived_test = [i for i, r in enumerate(recs) if TEST_FOLDER.search(r["path"]) and TEST_IMPORT.search(r["text"])]
    not_test = {i for i, r in enumerate(recs) if not TEST_FOLDER.search(r["path"]) and not TEST_IMPORT.search(r["text"])
                and "test" not in r["path"].rsplit("/", 1)[-1].lower()}
    said_test = [i for i, lab in enumerate(labels) if lab == "test"]
    derived_set = set(derived_test)
    judged = [i for i in said_test if i in not_test or i in derived_set]
    recall = sum(labels[i] == "test" for i in derived_test) / max(1, len(derived_test))
    precision = sum(i not in not_test for i in judged) / max(1, len(judged))
    print(f"\n## Corpus test files\n\n{len(derived_test):,} files under a test folder that import a test framework: "
          f"recall of `test` **{recall:.3f}**. Of {len(judged):,} files labelled `test` that the derivation can judge, "
          f"{precision:.3f} are not in the clearly-not-test set (precision).")
    result["corpus_test"] = {"derived": len(derived_test), "recall": recall, "judged": len(judged),
                             "precision": precision}

    by_text: dict[bytes, set[str]] = defaultdict(set)
    project = [r["repo"].split("==")[0].removeprefix("npm:").lower() for r in recs]
    digest = [hashlib.sha1(r["text"].encode("utf-8", "surrogatepass")).digest() for r in recs]
    for i in range(len(recs)):
        by_text[digest[i]].add(project[i])
    copies = [i for i in range(len(recs)) if any(
        p != project[i] and p in recs[i]["path"].lower().split("/")[:-1] for p in by_text[digest[i]])]
    hit = Counter(labels[i] for i in copies)
    said_vendored = [i for i, lab in enumerate(labels) if lab == "vendored"]
    dup_elsewhere = sum(len(by_text[digest[i]] - {project[i]}) > 0 for i in said_vendored)
    print(f"\n## Corpus vendored copies found by content\n\n{len(copies):,} files are exact copies of another "
          f"corpus project's file, inside a folder named after it: labelled {dict(hit.most_common())} "
          f"(recall of `vendored` **{hit['vendored'] / max(1, len(copies)):.3f}**). Of {len(said_vendored):,} files "
          f"labelled `vendored`, {dup_elsewhere:,} ({dup_elsewhere / max(1, len(said_vendored)):.1%}) have an exact "
          "copy in another project (a lower bound on precision: most vendored libraries, such as llama.cpp or "
          "libuv, have no original in the corpus).")
    result["corpus_vendored"] = {"copies": len(copies), "labels": dict(hit), "said_vendored": len(said_vendored),
                                 "with_copy_elsewhere": dup_elsewhere}

    matrix = Counter((r["lang"], lab) for r, lab in zip(recs, labels, strict=True))
    cats = [c for c in CATEGORIES if any(matrix[(lang, c)] for lang in TOP10)]
    print("\n## Language x category (corpus)\n")
    print(table(["language", *cats], [[lang, *[matrix[(lang, c)] for c in cats]] for lang in TOP10]))
    result["matrix"] = {f"{k[0]}|{k[1]}": v for k, v in matrix.items()}
    print(f"\nresults in {save('annotate_category', result)}")


if __name__ == "__main__":
    main()
