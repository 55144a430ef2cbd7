"""`language` op: name rules, content classifier and content rules on real files from this machine."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest

import codemill
from codemill.annotate import langmodel, langrules
from codemill.annotate.features import class_features, class_features_many, utf8
from codemill.annotate.language import Language
from codemill.params import ParamError
from tests.conftest import STDLIB, stdlib_text_records

SOURCES = {"extension", "filename", "shebang", "modeline", "content", "input", None}
CMAKE = sorted(glob.glob("/usr/share/cmake-*/Modules"))


def run(recs: list[dict], **params) -> list[dict]:
    out = codemill.apply("language", [{"id": str(i), "lang": None, **r} for i, r in enumerate(recs)], **params)
    assert not out.rejected
    return out.kept


def one(text: str, path: str = "", lang: str | None = None) -> dict:
    return run([{"text": text, "path": path, "lang": lang}])[0]


def real_files(pattern: str, n: int, min_bytes: int = 1000) -> list[Path]:
    files = [Path(f) for f in sorted(glob.glob(pattern, recursive=True)) if Path(f).stat().st_size >= min_bytes]
    return files[:: max(1, len(files) // n)][:n]


def test_shipped_model_is_small_and_numpy_only() -> None:
    assert langmodel.MODEL_PATH.stat().st_size < 3_000_000
    model = langmodel.load()
    assert {"python", "c", "cpp", "javascript", "typescript", "zig", "makefile", "text"} <= set(model.classes)
    with np.load(langmodel.MODEL_PATH) as z:  # stored as int8 with one scale per class
        assert z["weights"].dtype.name == "int8"


def test_stdlib_python_with_names_hidden() -> None:
    files = real_files(str(STDLIB / "*.py"), 60, 500)
    got = run([{"text": f.read_text(encoding="utf-8"), "path": ""} for f in files])
    hits = sum(r["lang"] == "python" and r["lang_source"] == "content" for r in got)
    assert hits >= 0.95 * len(files), [(f.name, r["lang"]) for f, r in zip(files, got, strict=True)]


@pytest.mark.parametrize(("pattern", "want"), [
    ("/usr/include/linux/*.h", "c"),
    ("/usr/include/c++/*/bits/*.h", "cpp"),
])
def test_usr_include_headers(pattern: str, want: str) -> None:
    files = real_files(pattern, 40)
    if len(files) < 10:
        pytest.skip(f"no headers at {pattern}")
    for hidden in (True, False):
        got = run([{"text": f.read_text(errors="replace"), "path": "" if hidden else f.name} for f in files])
        hits = sum(r["lang"] == want for r in got)
        assert hits >= 0.9 * len(files), (hidden, [(f.name, r["lang"]) for f, r in zip(files, got, strict=True)])


def test_txt_holding_python_is_python() -> None:
    r = one((STDLIB / "json" / "decoder.py").read_text(), "notes.txt", "text")
    assert (r["lang"], r["lang_source"]) == ("python", "content")
    assert r["lang_confidence"] > 0.9
    prose = one((STDLIB / "LICENSE.txt").read_text(), "LICENSE.txt", "text")
    assert prose["lang"] == "text"


def test_makefile_by_name_and_by_content() -> None:
    mk = "CC ?= cc\nOBJS = a.o b.o\n\nall: app\n\napp: $(OBJS)\n\t$(CC) -o $@ $^\n\nclean:\n\trm -f app $(OBJS)\n"
    assert (one(mk, "Makefile")["lang"], one(mk, "Makefile")["lang_source"]) == ("makefile", "filename")
    hidden = one(mk, "")
    assert (hidden["lang"], hidden["lang_source"]) == ("makefile", "content")


def test_d_ts_cmakelists_and_dockerfile_names() -> None:
    ts = "export declare function parse(text: string): Node;\nexport interface Node { kind: number }\n"
    assert (one(ts, "types/index.d.ts")["lang"], one(ts, "types/index.d.ts")["lang_source"]) == (
        "typescript", "filename")
    assert one("project(x)\nadd_executable(x main.c)\n", "src/CMakeLists.txt")["lang"] == "cmake"
    assert one("FROM python:3.11\nRUN pip install x\n", "Dockerfile")["lang"] == "dockerfile"


def test_shebang_and_modelines_are_declarations() -> None:
    r = one("#!/usr/bin/env python3\nimport sys\nprint(sys.argv)\n", "bin/tool")
    assert (r["lang"], r["lang_source"]) == ("python", "shebang")
    assert r["lang_confidence"] > 0.9  # a three-line text does not outvote a shebang
    assert one("# -*- mode: python -*-\nx = 1\n", "SConstruct")["lang"] == "python"
    assert one("x = 1\n# vim: set ft=ruby :\n", "weird.conf")["lang"] == "ruby"
    emacs = one("// -*- C++ -*-\n#pragma once\nint f();\n", "foo.h")
    assert (emacs["lang"], emacs["lang_source"]) == ("cpp", "modeline")


def test_templates_are_looked_through() -> None:
    assert langrules.from_path("setup.py.in").lang == "python"
    assert langrules.from_path("config.h.in").ambiguous == ("c", "cpp", "objective-c")
    assert langrules.from_path("Makefile.in").source == "filename"


@pytest.mark.skipif(not CMAKE, reason="no CMake modules on this machine")
def test_dot_m_objective_c_vs_matlab() -> None:
    objc = (Path(CMAKE[0]) / "CMakeOBJCCompilerABI.m").read_text()
    assert one(objc, "abi.m")["lang"] == "objective-c"
    real_objc = ("#import <Foundation/Foundation.h>\n@interface Greeter : NSObject\n@property (nonatomic) NSString *name;\n"
                 "- (void)greet;\n@end\n\n@implementation Greeter\n- (void)greet {\n  NSLog(@\"hi %@\", self.name);\n}\n@end\n")
    for path in ("g.m", "g.h", ""):
        if path:
            assert one(real_objc, path)["lang"] == "objective-c", path
    matlab = "function y = smooth(x, n)\n% moving average\n  k = ones(1, n) / n;\n  y = conv(x, k, 'same');\n" \
             "  if numel(y) > 3\n    disp(y(1:3));\n  end\nend\n"
    r = one(matlab, "smooth.m")
    assert (r["lang"], r["lang_source"]) == ("matlab", "content")


def test_dot_pl_perl_vs_prolog() -> None:
    perls = real_files("/usr/share/perl/*/*.pm", 5) or real_files("/usr/share/perl5/**/*.pm", 5)
    perl = perls[0].read_text(errors="replace") if perls else "use strict;\nmy $x = 1;\nsub f { return $x }\n"
    assert one(perl, "tool.pl")["lang"] == "perl"
    prolog = (":- module(family, [grandparent/2]).\nparent(tom, bob).\nparent(bob, ann).\n"
              "grandparent(X, Z) :-\n    parent(X, Y),\n    parent(Y, Z).\n")
    assert one(prolog, "family.pl")["lang"] == "prolog"


def test_content_overrides_a_lying_extension_only_when_sure() -> None:
    cpp = real_files("/usr/include/c++/*/bits/stl_*.h", 1, 5000)
    if cpp:  # libstdc++ headers declare `-*- C++ -*-`: drop that line so only the content speaks
        text = "\n".join(ln for ln in cpp[0].read_text().split("\n") if "-*-" not in ln)
        r = one(text, "vector.c", "c")
        assert (r["lang"], r["lang_source"]) == ("cpp", "content")
    short = one("x = 1\n", "a.js", "javascript")  # too short to overrule its name
    assert (short["lang"], short["lang_source"]) == ("javascript", "extension")
    kept = one((STDLIB / "json" / "decoder.py").read_text(), "decoder.py", "python")
    assert (kept["lang"], kept["lang_source"]) == ("python", "extension") and kept["lang_confidence"] > 0.99
    lying = one((STDLIB / "json" / "decoder.py").read_text(), "decoder.c", "c")
    assert (lying["lang"], lying["lang_source"]) == ("python", "content")
    never = run([{"text": (STDLIB / "json" / "decoder.py").read_text(), "path": "decoder.c"}], override=1.0)[0]
    assert never["lang"] == "c"


def test_columns_sources_and_determinism() -> None:
    files = real_files(str(STDLIB / "email" / "*.py"), 10, 200)
    recs = [{"text": f.read_text(), "path": f.name} for f in files] + [{"text": "", "path": "empty.py"},
                                                                       {"text": "hello", "path": ""}]
    a, b = run(recs), run(recs)
    assert [(r["lang"], r["lang_source"], r["lang_confidence"]) for r in a] == \
           [(r["lang"], r["lang_source"], r["lang_confidence"]) for r in b]
    for r in a:
        assert r["lang_source"] in SOURCES
        assert r["lang_confidence"] is None or 0.0 <= r["lang_confidence"] <= 1.0
    assert a[-2]["lang"] == "python"  # an empty file keeps its name's language


def test_counters_and_params() -> None:
    out = codemill.apply("language", [{"id": "1", "text": "int main(void) { return 0; }\n", "path": "m.h",
                                       "lang": "c-header"}])
    assert out.stats.counters["source:content"] == 1
    assert any(k.startswith("changed:c-header->") for k in out.stats.counters)
    with pytest.raises(ParamError):
        codemill.apply("language", [], override=1.5)


def test_batch_equals_one_record_at_a_time_on_real_files() -> None:
    """`process_batch` (one classifier pass per shard) gives the records, confidences and counters
    that `process` gives record by record: a text's scores depend on its own features only."""
    recs = stdlib_text_records()[::7]
    recs += [{"id": f"h{i}", "text": f.read_text(errors="replace"), "path": f.name if i % 2 else "", "lang": None}
             for i, f in enumerate(real_files("/usr/include/**/*.h", 40, 200))]
    for i, r in enumerate(recs[::3]):  # names hidden: the content decides
        recs.append({**r, "id": f"hidden{i}", "path": ""})
    recs.append({"id": "empty", "text": "", "path": "a.py", "lang": "python"})
    assert len(recs) > 300
    one_op, batch_op = Language(), Language()
    singles = [one_op.process(dict(r)) for r in recs]
    batched = batch_op.process_batch([dict(r) for r in recs])
    strip = [{k: v for k, v in r.items() if not k.startswith("_")} for r in (*singles, *batched)]
    assert strip[: len(recs)] == strip[len(recs):]
    assert one_op.counters == batch_op.counters
    assert {r["lang_source"] for r in batched} >= {"extension", "content"}
    # the batched features are the single-text ones (weights up to float32 rounding of the norm)
    model = langmodel.default_model()
    raws = [utf8(r["text"]) for r in recs[:50]]
    text, idx, val = class_features_many(raws, model.dim, model.limit)
    for i, raw in enumerate(raws):
        one_idx, one_val = class_features(raw, model.dim, model.limit)
        assert np.array_equal(idx[text == i], one_idx)
        assert np.allclose(val[text == i], one_val, rtol=1e-6, atol=0)
