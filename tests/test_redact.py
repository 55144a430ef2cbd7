"""`redact` on the planted-secrets set and the standard library: recall, code that still parses,
few spurious redactions, and no secret value anywhere in the output of a run."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from codemill import api
from codemill.clean.pycheck import check_python
from codemill.clean.redact import KINDS
from codemill.clean.tscheck import tree_verdict
from codemill.parse import parse_bytes
from tests.conftest import stdlib_text_records
from tests.data.secrets.planted import planted_records

PLANTED = planted_records()


def strip(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "expected"}


def test_planted_secrets_are_found_in_every_context() -> None:
    res = api.apply("redact", [strip(r) for r in PLANTED])
    out = {r["id"]: r for r in res.kept}
    assert len(out) == len(PLANTED)  # redact never rejects
    found, total = Counter(), Counter()
    for r in PLANTED:
        for kind, value in r["expected"]:
            total[kind] += 1
            found[kind] += value not in out[r["id"]]["text"]
    assert set(total) >= {"email", "ip_address", "private_key", "password", "secret", "aws_access_key",
                          "gcp_api_key", "azure_storage_key", "github_token", "gitlab_token", "slack_token",
                          "stripe_key", "openai_key", "jwt"}
    recall = sum(found.values()) / sum(total.values())
    assert recall >= 0.98, {k: (found[k], total[k]) for k in total if found[k] < total[k]}
    for r in res.kept:  # counts, never values
        counts = json.loads(r["redactions"])
        assert set(counts) <= set(KINDS) and r["n_redactions"] == sum(counts.values()) >= 1
    assert set(res.stats.counters) <= {*KINDS, "syntax fallback"} and sum(res.stats.counters.values()) > 0


def test_placeholders_stay_inside_literals_so_planted_code_still_parses() -> None:
    res = {r["id"]: r for r in api.apply("redact", [strip(r) for r in PLANTED]).kept}
    for r in PLANTED:
        after = res[r["id"]]["text"]
        if r["lang"] == "python":
            assert check_python(r["text"]).ok and check_python(after).ok, r["id"]
        elif r["lang"] in ("javascript", "go", "java"):
            data = after.encode()
            assert tree_verdict(parse_bytes(r["lang"], data), data)[0].ok, r["id"]
        assert "<" in after or "REDACTED_" in after


def test_stdlib_parses_after_redaction_and_spurious_redactions_are_rare() -> None:
    recs = stdlib_text_records()
    res = api.apply("redact", recs)
    by_id = {r["id"]: r for r in res.kept}
    redacted = [r for r in recs if by_id[r["id"]]["n_redactions"]]
    for r in redacted:
        if r["lang"] == "python" and check_python(r["text"]).ok:
            assert check_python(by_id[r["id"]]["text"]).ok, r["id"]
    kinds_per_file = [set(json.loads(by_id[r["id"]]["redactions"])) for r in redacted]
    # e-mail addresses (authors, maintainers) and PEM private keys (Lib/test/certdata) are what they
    # look like; every other kind found in the standard library is reviewed in docs/clean.md
    review = [k for k in kinds_per_file if k - {"email", "private_key"}]
    assert len(recs) > 2000 and len(review) / len(recs) <= 0.015, Counter(x for k in review for x in k)


def test_no_secret_value_reaches_data_rejects_or_stats(tmp_path: Path) -> None:
    src = tmp_path / "planted.jsonl"
    sample = PLANTED[::7]
    src.write_text("".join(json.dumps({"content": r["text"], "filename": r["path"], "language": r["lang"]}) + "\n"
                           for r in sample))
    recipe = {"inputs": [{"type": "jsonl", "path": str(src), "fields": {"text": "content", "path": "filename",
                                                                        "lang": "language"}}],
              "stages": [{"normalize": {}}, {"syntax": {"on_error": "keep"}}, {"redact": {}},
                         {"size_filter": {"max_bytes": 2000}}],  # some records go to rejects/ after redact
              "executor": {"workers": 1}, "output": str(tmp_path / "out")}
    out = api.run(recipe).output
    written = [json.dumps(pq.read_table(f).to_pylist(), default=str) for f in out.rglob("*.parquet")]
    written += [p.read_text() for p in out.rglob("*.json")]
    everything = "\n".join(written)
    assert '"reason": "too many bytes"' in everything  # rejects were written too
    for r in sample:
        for _, value in r["expected"]:
            for piece in value.split("\n"):  # a key's BEGIN/END lines are not secret and stay
                assert piece.startswith("-----") or piece not in everything
    stats = json.loads((out / "stats.json").read_text())
    counters = next(s for s in stats["stages"] if s["name"] == "redact").get("counters", {})
    assert sum(counters.values()) >= len(sample)


def test_pathological_inputs_do_not_hang() -> None:
    recs = [{"id": "line", "text": "x = '" + "ab1@" * 2_500_000 + "'\n", "lang": "python", "path": "a.py"},
            {"id": "ips", "text": "1.2.3.4 " * 200_000, "lang": "text", "path": "a.txt"},
            {"id": "pem", "text": "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 1_000_000, "lang": None, "path": "k"},
            {"id": "nul", "text": "password = 'x\x00yz123'\n", "lang": "python", "path": "n.py"}]
    t0 = time.perf_counter()
    res = api.apply("redact", recs)
    assert time.perf_counter() - t0 < 30 and len(res.kept) == 4
    pem = next(r for r in res.kept if r["id"] == "pem")
    assert "AAAAAAAAAAAAAAAA" not in pem["text"]


def test_needle_scan_finds_every_overlapping_occurrence() -> None:
    from codemill.clean.textscan import NeedleScan

    words = ["q~", "pwd", "token", "secret", "sk-", "sk-ant-", "hf_", "_key", "aws"]
    rng = random.Random(1)
    alphabet = "qwdptokensecrt_kyhfaw-~ \n\0é"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(300)]
    texts += ["secretoken hf_key sk-ant- q~q~", ""]
    bufs = [t.encode("utf-8", "surrogatepass") for t in texts]
    found = NeedleScan(words).scan(bufs)
    for buf, hits in zip(bufs, found, strict=True):
        naive = sorted((i, w) for w in words for i in range(len(buf)) if buf.startswith(w.encode(), i))
        assert hits == naive


def test_placeholders_judged_inert_really_keep_python_compiling() -> None:
    """The compile() after redaction is skipped only where the spans sit in comments or plain strings:
    on every stdlib Python file with a redaction, that judgement agrees with compile()."""
    from codemill.clean.redact import _apply, _spans_inert

    op = api.make_op("redact")
    judged = 0
    for r in stdlib_text_records():
        if r["lang"] != "python":
            continue
        spans = op.find(r["text"], r["lang"])
        if not spans or not check_python(r["text"]).ok:
            continue
        if _spans_inert(r["text"], spans, op.placeholder):
            judged += 1
            assert check_python(_apply(r["text"], spans, op.placeholder)).ok, r["id"]
    assert judged > 50
    bad = 'x = 1\ny = 2\nz = f"{a}" "me@corp.de"\nw = f"me@corp.de"\nv = "\\x41me@corp.de"\n'
    for line in ('w = f"me@corp.de"', 'v = "\\x41me@corp.de"'):
        at = bad.index("me@", bad.index(line))
        assert not _spans_inert(bad, [(at, at + 10, "email")], op.placeholder)
    at = bad.index("me@")
    assert _spans_inert(bad, [(at, at + 10, "email")], op.placeholder)


def test_the_token_kinds_a_recipe_names_are_the_rules_and_detect_secrets_loads_on_first_use() -> None:
    """`TOKEN_KINDS` (validated in recipes) lists the rules in order; importing the op, as the driver
    does to validate a recipe, does not import detect-secrets and `requests` (about 0.4 s)."""
    import subprocess
    import sys

    from codemill.clean import secret_patterns as sp

    assert sp.TOKEN_KINDS == tuple(r.kind for r in sp.token_rules())
    code = ("import sys, codemill.clean.redact as r; r.Redact(); "
            "print(sorted(m for m in ('detect_secrets', 'requests') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
