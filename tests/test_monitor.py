"""Monitoring a real run: metrics in stats.json and metrics.jsonl, Prometheus scrape, alerts, progress logs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from codemill import api
from codemill.recipe import RecipeError, load_recipe
from tests.conftest import STDLIB

SLOW_RECIPE = """
inputs:
  - {{type: files, path: {src}, exclude: ["__pycache__", "site-packages", "config-*", "lib-dynload", "test", "idlelib"]}}
stages:
  - normalize: {{}}
  - size_filter: {{max_bytes: 500000}}
  - exact_dedup: {{}}
executor: {{workers: 2, shard_records: 10}}
monitor: {{interval_s: 0.2, log_every_s: 0.5}}
output: {out}
{extra}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_recipe(tmp_path: Path, extra: str = "") -> Path:
    p = tmp_path / "recipe.yaml"
    p.write_text(SLOW_RECIPE.format(src=STDLIB, out=tmp_path / "out", extra=extra))
    return p


def test_stats_and_metrics_time_series(code_tree: Path, tmp_path: Path) -> None:
    recipe = {"inputs": [{"type": "files", "path": str(code_tree)}],
              "stages": [{"normalize": {}}, {"size_filter": {"max_bytes": 20_000}}, {"exact_dedup": {}}],
              "executor": {"workers": 2, "shard_records": 5}, "monitor": {"interval_s": 0.05},
              "output": str(tmp_path / "out")}
    res = api.run(recipe)
    norm = res.stats["stages"][1]
    assert norm["name"] == "normalize" and norm["records_per_s"] > 0 and norm["mb_per_s"] > 0
    assert 0 < norm["latency_s"]["p50"] <= norm["latency_s"]["p95"] <= norm["latency_s"]["p99"]
    assert norm["success_rate"] == 1.0
    assert sum(int(c) for c in norm["latency"]["counts"].values()) == norm["records_in"]
    assert len(res.stats["workers"]) == 2 and all(w["cpu_s"] > 0 and w["max_rss_mb"] > 0
                                                  for w in res.stats["workers"])
    lines = [json.loads(x) for x in (res.output / "metrics.jsonl").read_text().splitlines()]
    assert lines and lines[-1]["stages"]["exact_dedup"]["records_in"] == res.stats["stages"][3]["records_in"]
    assert [x["elapsed_s"] for x in lines] == sorted(x["elapsed_s"] for x in lines)


def test_prometheus_endpoint_of_a_live_run(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "codemill.cli", "run", str(write_recipe(tmp_path)), "-q",
                             "--metrics-port", str(port)])
    seen: dict[str, float] = {}
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            except OSError:
                time.sleep(0.05)
                continue
            for fam in text_string_to_metric_families(body):
                for s in fam.samples:
                    if s.name == "codemill_stage_records_in_total" and s.labels["stage"] == "normalize":
                        seen["normalize_in"] = s.value
                    if s.name == "codemill_record_latency_seconds_count" and s.labels["stage"] == "normalize":
                        seen["latency_count"] = s.value
                    if s.name == "codemill_backlog_shards":
                        seen["backlog"] = s.value
            if seen.get("normalize_in", 0) > 0:
                break
            time.sleep(0.05)
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert seen["normalize_in"] > 0 and seen["latency_count"] == seen["normalize_in"] and "backlog" in seen


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_alerts_fire_log_post_and_fail_the_run(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_port}/hook"
    extra = f"""alerts:
  - {{metric: reject_rate, stage: normalize, above: 0.001, webhook: "{hook}"}}
  - {{metric: e2e_latency_s, above: 3600}}
  - {{metric: throughput_mb_s, below: 0.000001, for: 1h}}
"""
    res = subprocess.run([sys.executable, "-m", "codemill.cli", "run", str(write_recipe(tmp_path, extra)), "-q",
                          "--fail-on-alert"], capture_output=True, text=True)
    server.shutdown()
    assert res.returncode == 4, res.stderr
    assert "ALERT reject_rate[normalize] > 0.001" in res.stderr
    events = [json.loads(x) for x in (tmp_path / "out" / "alerts.jsonl").read_text().splitlines()]
    assert [e["alert"] for e in events] == ["reject_rate[normalize] > 0.001"]
    assert events[0]["value"] > 0.001 and _Hook.received[0]["alert"] == events[0]["alert"]
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["alerts"][0]["metric"] == "reject_rate"


def test_unknown_alert_metric_is_a_recipe_error(tmp_path: Path) -> None:
    with pytest.raises(RecipeError) as e:
        load_recipe(write_recipe(tmp_path, "alerts:\n  - {metric: speed, below: 5}\n"))
    assert e.value.field == "alerts[0].metric" and e.value.line == 12
    assert "valid metrics: throughput_mb_s" in e.value.message
    with pytest.raises(RecipeError, match="unknown stage 'syntax'; stages of this recipe: ingest, normalize"):
        load_recipe(write_recipe(tmp_path, "alerts:\n  - {metric: reject_rate, stage: syntax, above: 0.4}\n"))
    with pytest.raises(RecipeError, match="not a duration"):
        load_recipe(write_recipe(tmp_path, "alerts:\n  - {metric: throughput_mb_s, below: 5, for: soon}\n"))


def test_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "codemill.cli", "run", str(write_recipe(tmp_path))],
                         capture_output=True, text=True)
    assert res.returncode == 0
    assert "records read" in res.stderr and "shards done" in res.stderr
    quiet = subprocess.run([sys.executable, "-m", "codemill.cli", "run", str(write_recipe(tmp_path)), "-q",
                            "--overwrite"], capture_output=True, text=True)
    assert quiet.returncode == 0 and "records read" not in quiet.stderr
