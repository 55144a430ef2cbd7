"""Language identification on held-out folders of the shared corpus, file names hidden.

    python bench/annotate_lang.py [--corpus full|10pct]

The split is `codemill.annotate.langdata.split` (the one `train_lang` held out): whole folders,
minus texts that also occur in training. Tables:

1. per-language precision / recall of the content classifier alone (no name, no path), for the
   corpus's languages; accuracy over the ten largest, with and without `.h` headers;
2. the extra languages learned from this machine's files (held-out folders of /usr/share, ...);
3. the `.h` split as the `language` op decides it (candidates C / C++ / Objective-C): corpus
   headers labelled by their project and /usr/include headers;
4. every real Objective-C file available offline, and what the op says about it.
"""

from __future__ import annotations

import argparse
import glob
import time
from collections import Counter
from pathlib import Path

import orjson
from annotate_common import TOP10, corpus, prf, save, table

import codemill
from codemill.annotate import langmodel, langrules
from codemill.annotate.features import utf8
from codemill.annotate.langdata import ROOTS, all_rows, split, stable_hash

OBJC_FILES = ("/usr/share/cmake-*/Modules/CMakeOBJC*CompilerABI.m*",)


def classify(model: langmodel.LangModel, texts: list[str]) -> list[str]:
    """The classifier alone."""
    return [model.classes[int(model.scores(utf8(t)).argmax())] for t in texts]


def op_hidden(texts: list[str], model_path: Path | None = None) -> list[str]:
    """The language op with no path: classifier plus the content rules for unnamed files."""
    params = {"model": str(model_path)} if model_path else {}
    recs = [{"id": str(k), "text": t, "path": "", "lang": None} for k, t in enumerate(texts)]
    return [r["lang"] for r in codemill.apply("language", recs, **params).kept]


def held_out_copy(rows: list, test: list[int], lang: str) -> dict:
    """Retrain the model (same data and settings) without every other folder of `lang`, then
    classify those folders' files with names hidden."""
    import tempfile

    from codemill.annotate.train_lang import capped, train_and_save

    folders = sorted({r.group for r in rows if r.label == lang and r.origin == "corpus"}, key=stable_hash)[::2]
    test_set = set(test)
    train = [i for i, r in enumerate(rows) if i not in test_set and r.group not in folders]
    out = [i for i, r in enumerate(rows) if r.group in folders and r.label == lang]
    with tempfile.TemporaryDirectory() as tmp:
        model = train_and_save(rows, capped(rows, train, 15_000, 0), Path(tmp) / "m.npz", 1 << 18, 2048, 30_000,
                               1e-6, 0, {})
        texts = [rows[i].text for i in out]
        labels = op_hidden(texts, Path(tmp) / "m.npz")
        alone, with_rules = Counter(classify(model, texts)), Counter(labels)
    # files that show the dialect's own syntax at all (CUDA: __global__, <<<...>>>, threadIdx, ...)
    marked = [lab for t, lab in zip(texts, labels, strict=True) if langrules.refine("c", t) or langrules.refine("python", t)]
    recall_marked = sum(lab == lang for lab in marked) / max(1, len(marked))
    recall, recall_op = alone[lang] / max(1, len(out)), with_rules[lang] / max(1, len(out))
    print(f"\n{lang}: no held-out folder in the split; a copy retrained without {len(folders)} of its folders "
          f"labels their {len(out)} files: classifier recall {recall:.3f} ({dict(alone.most_common(3))}), "
          f"op recall **{recall_op:.3f}** ({dict(with_rules.most_common(3))}); on the {len(marked)} files with "
          f"{lang}-only syntax: **{recall_marked:.3f}** (the rest, e.g. generated template-instance stubs and "
          "host-side headers, are plain C/C++ text)")
    return {"folders": len(folders), "files": len(out), "classifier_recall": recall, "op_recall": recall_op,
            "files_with_dialect_syntax": len(marked), "op_recall_on_those": recall_marked,
            "predicted": dict(with_rules)}


def header_split(rows: list, test: list[int]) -> tuple[str, dict]:
    """The op on `.h` files (name kept, so the ambiguity rules apply): confusion by true label."""
    picked = [rows[i] for i in test if rows[i].label in ("c", "cpp") and (
        rows[i].origin == "corpus-header" or rows[i].path.startswith("/usr/include/"))]
    out = codemill.apply("language", [{"id": str(k), "text": r.text, "path": "x.h", "lang": "c-header"}
                                      for k, r in enumerate(picked)]).kept
    res: dict = {}
    lines = []
    for origin in ("corpus", "/usr/include"):
        sel = [(r, o["lang"]) for r, o in zip(picked, out, strict=True)
               if (r.origin == "corpus-header") == (origin == "corpus")]
        conf = Counter((r.label, lang) for r, lang in sel)
        n = len(sel)
        acc = sum(v for (t, p), v in conf.items() if t == p) / max(1, n)
        res[origin] = {"files": n, "accuracy": acc, "confusion": {f"{t}->{p}": v for (t, p), v in conf.items()}}
        for truth in ("c", "cpp"):
            lines.append([origin, truth, sum(v for (t, _), v in conf.items() if t == truth),
                          conf[(truth, "c")], conf[(truth, "cpp")], conf[(truth, "objective-c")]])
    return table(["headers", "truth", "files", "-> c", "-> cpp", "-> objective-c"], lines), res


def objective_c(corpus_path: Path) -> tuple[str, list]:
    found = []
    with open(corpus_path, "rb") as fh:
        for line in fh:
            if b"objc" in line or b'.m"' in line:
                r = orjson.loads(line)
                if r["path"].endswith((".m", ".mm")) or "/objc/" in r["path"]:
                    found.append((f"corpus:{r['path']}", r["text"]))
    for pattern in OBJC_FILES:
        for f in sorted(glob.glob(pattern)):
            found.append((f, Path(f).read_text(errors="replace")))
    rows = []
    for where, text in found:
        ext = where.rsplit(".", 1)[-1]
        named = codemill.apply("language", [{"id": "1", "text": text, "path": f"x.{ext}", "lang": None}]).kept[0]
        hidden = codemill.apply("language", [{"id": "1", "text": text, "path": "", "lang": None}]).kept[0]
        rows.append([where[-70:], len(text), named["lang"], named["lang_source"], hidden["lang"]])
    return table(["Objective-C file", "chars", "op with .ext", "source", "names hidden"], rows), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="full", choices=["full", "10pct"])
    a = ap.parse_args()
    t0 = time.time()
    path = corpus(a.corpus)
    rows = all_rows(path, ROOTS)
    _, test = split(rows)
    model = langmodel.load()
    texts = [rows[i].text for i in test]
    alone = dict(zip(test, classify(model, texts), strict=True))
    pred = dict(zip(test, op_hidden(texts), strict=True))
    print(f"{len(rows):,} labelled texts, {len(test):,} held out; classified in {time.time() - t0:.0f} s\n")

    corpus_ids = [i for i in test if rows[i].origin.startswith("corpus")]
    langs = sorted({rows[i].label for i in corpus_ids}, key=lambda c: TOP10.index(c) if c in TOP10 else 99)
    truth = [rows[i].label for i in corpus_ids]
    guess = [pred[i] for i in corpus_ids]
    print("## The language op with names hidden (classifier + content rules): held-out corpus folders\n")
    print(table(["language", "files", "precision", "recall", "F1"], prf(truth, guess, langs)))
    result: dict = {"held_out": len(test), "per_language": {r[0]: r[1:] for r in prf(truth, guess, langs)}}
    for name, keep in (("all files", lambda i: True), ("without .h", lambda i: rows[i].origin == "corpus")):
        ids = [i for i in corpus_ids if rows[i].label in TOP10 and keep(i)]
        acc = sum(pred[i] == rows[i].label for i in ids) / len(ids)
        per = [r for r in prf([rows[i].label for i in ids], [pred[i] for i in ids], TOP10) if r[1]]
        macro = sum(r[3] for r in per) / len(per)
        acc_alone = sum(alone[i] == rows[i].label for i in ids) / len(ids)
        result[f"top10_{name}"] = {"files": len(ids), "accuracy": acc, "macro_recall": macro,
                                   "classifier_alone": acc_alone}
        print(f"\nTen largest languages, {name}: accuracy **{acc:.4f}** on {len(ids):,} files "
              f"(macro recall {macro:.4f} over the {len(per)} with held-out files; classifier alone {acc_alone:.4f})")
    missing = [c for c in TOP10 if not any(rows[i].label == c for i in corpus_ids)]
    for lang in missing:  # every folder of it landed in training: hold half of them out of a retrained copy
        result[f"retrained_{lang}"] = held_out_copy(rows, test, lang)

    extra = [i for i in test if rows[i].origin == "machine" and rows[i].label not in ("c", "cpp")]
    if extra:
        labels = sorted({rows[i].label for i in extra})
        print("\n## Languages learned from this machine's files (held-out folders)\n")
        print(table(["language", "files", "precision", "recall", "F1"],
                    prf([rows[i].label for i in extra], [pred[i] for i in extra], labels)))
    text, result["headers"] = header_split(rows, test)
    print("\n## `.h` headers through the language op (C vs C++ vs Objective-C)\n")
    print(text)
    text, result["objective_c"] = objective_c(path)
    print("\n## Real Objective-C available offline\n")
    print(text)
    result["model"] = {"bytes": langmodel.MODEL_PATH.stat().st_size, "classes": list(model.classes),
                       "trained_on": model.meta.get("trained_on")}
    print(f"\nmodel {langmodel.MODEL_PATH.name}: {result['model']['bytes'] / 1e6:.2f} MB, "
          f"{len(model.classes)} languages; results in {save('annotate_lang', result)}")


if __name__ == "__main__":
    main()
