"""HTML report: built from real runs, secrets masked, and loaded in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from codemill import api
from codemill.ops import MapOp, Reject
from codemill.registry import OPS
from codemill.report import ReportError, build_report
from codemill.report.mask import mask_records, mask_text
from codemill.report.sections import Page, section, unregister
from tests.conftest import STDLIB

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# planted secrets, assembled at run time so this file itself does not trip secret scanners
AWS_KEY = "AKIA" + "QZ7RT2LX9WJ4KD3M"
AWS_SECRET = "q8Zr3Lm" + "Xv9TbW2/NcY7kPe4Hs1Ua6Jd0Gf5RtQw"
EMAIL = "jane.doe" + "@corp-secrets.example"
GH_TOKEN = "ghp_" + "x9Y8w7V6u5T4s3R2q1P0o9N8m7L6k5J4i3H2"
PASSWORD = "Hunter2-" + "very-secret"
PEM_BODY = "MIIEowIBAAKCAQEA" + "7yN3kQpZ"
RAW_MARKER = b"RAWBYTES" + b"-MUST-NOT-SHOW"
SECRETS = [AWS_KEY, AWS_SECRET, EMAIL, GH_TOKEN, PASSWORD, PEM_BODY, RAW_MARKER.decode()]


def _secret_header() -> str:
    return (f"# maintainer: {EMAIL}\n"
            f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
            f'aws_secret_access_key = "{AWS_SECRET}"\n'
            f'KEY = """-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"""\n'
            f'db_password = "{PASSWORD}"\n'
            f'TOKEN = "{GH_TOKEN}"\n')


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run with rejects of every kind: binary, too large (with secrets), exact duplicates."""
    tmp = tmp_path_factory.mktemp("report")
    root = tmp / "src"
    shutil.copytree(STDLIB / "json", root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(STDLIB / "email", root / "email", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "config").mkdir()
    filler = "".join(f"def handler_{i}(event):\n    return event.get('k{i}')\n\n" for i in range(2500))
    (root / "config" / "settings.py").write_text(_secret_header() + filler)  # > max_bytes: rejected, shown
    for d in ("a", "b", "c"):  # the largest duplicate cluster: its pair is shown side by side
        (root / d).mkdir()
        (root / d / "creds.py").write_text(_secret_header() + "print('same file three times')\n")
    (root / "blob.bin").write_bytes(b"\x89PNG\x00\x00" + RAW_MARKER + bytes(range(256)))
    recipe = {"inputs": [{"type": "files", "path": str(root)}],
              "stages": [{"normalize": {}}, {"size_filter": {"max_bytes": 60_000, "max_line_length": 400}},
                         {"exact_dedup": {}}],
              "executor": {"workers": 2, "shard_records": 40}, "monitor": {"interval_s": 0.1},
              "alerts": [{"metric": "e2e_latency_s", "above": 0, "name": "slow-run-test-alert"}],
              "output": str(tmp / "out")}
    api.run(recipe)
    return tmp / "out"


@pytest.fixture(scope="module")
def report(run_out: Path) -> Path:
    return build_report(run_out)


def test_report_shows_every_part(report: Path, run_out: Path) -> None:
    html = report.read_text()
    assert report == run_out / "report.html"
    for sid in ("overview", "alerts", "funnel", "distributions", "duplicates", "performance"):
        assert f'<section id="{sid}">' in html, sid
    assert "section-error" not in html
    assert "slow-run-test-alert" in html  # the alert that fired
    assert "too many bytes" in html and "settings.py" in html  # a reason and an example under it
    assert 'id="rej-normalize-binary"' in html
    assert "max_bytes = 60K" in html and "max_line_length = 400" in html  # thresholds drawn in
    assert "Example pairs" in html and "creds.py" in html
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html)  # self-contained


def test_secrets_and_raw_bytes_never_shown(report: Path) -> None:
    html = report.read_text()
    for secret in SECRETS:
        assert secret not in html, secret
    assert "[masked:email]" in html and "[masked:private-key]" in html and "[masked:secret]" in html
    assert re.search(r"binary, [\d,]+ bytes", html)


def test_build_is_fast_and_page_small(run_out: Path, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    path = build_report(run_out, tmp_path / "r.html")
    assert time.perf_counter() - t0 < 5
    assert path.stat().st_size < 8_000_000  # plotly.js (~4.8 MB) once + downsampled data


def _chromium(*args: str, profile: Path, timeout: int = 90) -> subprocess.CompletedProcess[str]:
    cmd = [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
           "--v=0", "--virtual-time-budget=10000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def test_page_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("chromium is missing in CI: run scripts/ensure-chromium.sh")
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    url = report.resolve().as_uri()
    res = _chromium("--dump-dom", url, profile=tmp_path / "p1")
    assert res.returncode == 0, res.stderr[-2000:]
    console = [ln for ln in res.stderr.splitlines() if ":CONSOLE" in ln]
    assert not console, console  # no errors, no warnings, nothing logged
    dom = res.stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    n_charts = report.read_text().count('data-chart="')
    assert attrs.get("ready") == "1" and attrs.get("errors") == "0", attrs
    assert n_charts >= 12 and attrs.get("charts") == attrs.get("charts-ok") == str(n_charts), attrs
    states = re.findall(r'<div class="chart[^"]*" id="(chart-\d+)"[^>]*data-state="([a-z]+)"', dom)
    assert len(states) == n_charts and all(s == "ok" for _, s in states), states
    for cid, _ in states:  # every chart holds a drawn plotly SVG
        start = dom.index(f'id="{cid}"')
        end = dom.find('id="chart-', start + 10)
        assert "main-svg" in dom[start:end if end > 0 else len(dom)], cid
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    res = _chromium(f"--screenshot={shot}", "--window-size=1400,2200", url, profile=tmp_path / "p2")
    assert res.returncode == 0 and shot.is_file() and shot.stat().st_size > 20_000, res.stderr[-2000:]


def test_older_output_without_metrics_or_alerts(run_out: Path, tmp_path: Path) -> None:
    """Outputs written before the monitor: no metrics.jsonl, no alerts, no latency in stats.json."""
    old = tmp_path / "old"
    shutil.copytree(run_out, old, ignore=shutil.ignore_patterns("metrics.jsonl", "alerts.jsonl", "report.html"))
    stats = json.loads((old / "stats.json").read_text())
    for st in stats["stages"]:
        for key in ("latency", "latency_s", "errors", "counters", "summary", "records_per_s", "mb_per_s",
                    "success_rate"):
            st.pop(key, None)
    for key in ("workers", "alerts"):
        stats.pop(key)
    (old / "stats.json").write_text(json.dumps(stats))
    html = build_report(old).read_text()
    assert "section-error" not in html
    assert "No metrics.jsonl" in html and "None of the 1 alert rule(s) fired." in html
    assert '<section id="funnel">' in html and '<section id="distributions">' in html


def test_only_present_columns_are_shown(tmp_path: Path) -> None:
    """A recipe without size_filter or dedup: no size charts, no duplicates section, no crash."""
    api.run({"inputs": [{"type": "files", "path": str(STDLIB / "json"), "include": ["*.py"]}],
             "stages": [{"normalize": {}}],
             "executor": {"workers": 1}, "output": str(tmp_path / "out")})
    html = build_report(tmp_path / "out").read_text()
    assert "section-error" not in html
    assert '<section id="duplicates">' not in html and "File size" not in html
    assert '<section id="funnel">' in html and "No record was rejected." in html


def _add_columns(folder: Path, make: Any) -> None:
    for f in sorted(folder.glob("part-*.parquet")):
        table = pq.read_table(f)
        for name, values in make(table.num_rows).items():
            table = table.append_column(name, pa.array(values))
        pq.write_table(table, f)


def test_columns_of_ops_added_later_are_shown(run_out: Path, tmp_path: Path) -> None:
    """Columns the report has never heard of (syntax, quality scores, clusters) are charted from the
    schema, thresholds read from the recipe params, even when the op is not registered here."""
    out = tmp_path / "out"
    shutil.copytree(run_out, out, ignore=shutil.ignore_patterns("report.html"))

    def cols(n: int) -> dict[str, list[Any]]:
        return {"syntax_ok": [i % 5 != 0 for i in range(n)], "error_ratio": [(i % 7) / 10 for i in range(n)],
                "zz_quality_score": [i / max(n, 1) for i in range(n)], "cluster_id": [f"c{i % 3}" for i in range(n)]}

    _add_columns(out / "data", cols)
    _add_columns(out / "rejects", cols)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["recipe"]["stages"].append({"zz_syntax_check": {"max_error_ratio": 0.3, "mode": "strict"}})
    (out / "manifest.json").write_text(json.dumps(manifest))
    stats = json.loads((out / "stats.json").read_text())
    last = stats["stages"][-1]
    stats["stages"].append({"name": "zz_syntax_check", "records_in": last["kept"], "kept": last["kept"],
                            "rejected": 0, "reasons": {}, "bytes_in": last["bytes_out"], "bytes_out": last["bytes_out"],
                            "seconds": 0.1})
    (out / "stats.json").write_text(json.dumps(stats))
    html = build_report(out).read_text()
    assert "section-error" not in html
    assert "Syntax-error rate by language" in html
    assert '<section id="scores">' in html and "zz_quality_score" in html
    assert "max_error_ratio = 0.3" in html  # threshold from the resolved params of the writing stage


def test_extension_point_renders_a_registered_section(run_out: Path, tmp_path: Path) -> None:
    @section("test-extra", "Extra from a test", order=65)
    def extra(data: object, page: Page) -> str:
        fig = page.figure([{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], title="extra chart")
        return page.p("hello from the extension <point>") + page.chart(fig)

    @section("test-broken", "Broken", order=66)
    def broken(data: object, page: Page) -> str:
        raise RuntimeError("this section has a bug")

    try:
        html = build_report(run_out, tmp_path / "r.html").read_text()
    finally:
        unregister("test-extra")
        unregister("test-broken")
    assert '<section id="test-extra"><h2>Extra from a test</h2>' in html
    assert "hello from the extension &lt;point&gt;" in html and '"extra chart"' in html
    assert html.index('id="test-extra"') < html.index('id="performance"')  # by order
    assert "section-error" in html and "this section has a bug" in html  # contained, not fatal
    assert '<section id="performance">' in html
    with pytest.raises(ValueError, match="twice"):
        section("overview", "Again")(extra)


def test_not_an_output_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not a codemill output"):
        build_report(tmp_path)


@pytest.mark.parametrize(("text", "secret"), [
    ("key = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("mail me: a.b@example.org", "a.b@example.org"),
    ("ghp_0123456789abcdefghijABCDEFGHIJ0123456789", "ghp_0123456789abcdefghijABCDEFGHIJ0123456789"),
    ("slack = xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
    ("stripe = sk_live_51Habcdefghijklmnop", "sk_live_51Habcdefghijklmnop"),
    ("openai = sk-proj-abcdefghij0123456789XYZ", "sk-proj-abcdefghij0123456789XYZ"),
    ("password = 'correct horse'", "correct horse"),
    ('"api_key": "12345"', "12345"),
    ("PASSWORD=s3cr3t!", "s3cr3t!"),
    ("url = postgres://admin:hunter2@db.local/x", "hunter2"),
    ("headers = {'Authorization': 'Bearer abcdef123456'}", "abcdef123456"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
     "b3BlbnNzaC1rZXktdjEAAAAA"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),  # cut off
    ("sig = 'Zx9qL2mN8vB4kJ7hG3fD1sA6pO0iU5yT'", "Zx9qL2mN8vB4kJ7hG3fD1sA6pO0iU5yT"),
    ("aws = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'", "K7MDENG"),
    ("sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c'", "e3b0c44298fc1c149afbf4c8996fb924"),
])
def test_mask_text_masks(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert "[masked:" in masked and secret not in masked, masked


def test_mask_text_keeps_ordinary_code() -> None:
    code = ("def test_parse_args_with_longer_names_2(self):\n"
            "    return self.getAttributeNamesForElement(path='test/test_importlib/data01/x.txt')\n"
            "if token == 0x0F:\n")
    assert mask_text(code) == code


@dataclass
class FakeRedact(MapOp):
    """Stands in for the `redact` op another issue adds: the report must use it when registered."""

    name = "redact"

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        if "REJECT-ME" in rec["text"]:
            raise Reject("too secret")
        rec["text"] = rec["text"].replace("codename-zebra", "[REDACTED]")
        return rec


def test_redact_op_is_applied_when_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    OPS.get("redact")  # import the real one first, so that it cannot register over the fake later
    monkeypatch.setitem(OPS._items, "redact", FakeRedact)
    out = mask_records([{"id": "1", "text": f"x = 'codename-zebra' # {EMAIL}"}, {"id": "2", "text": "REJECT-ME"},
                        {"id": "3", "text": None}])
    assert out == ["x = '[REDACTED]' # [masked:email]", None, None]  # patterns still run; a reject hides all
