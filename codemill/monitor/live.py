"""Live view of a run: stage stats merged as shards finish, sampled into OUT/metrics.jsonl.

The driver calls `shard_done` / `global_done` / `backlog`; a sampler thread writes one line
per interval, evaluates alert rules, feeds the Prometheus exporter and, when stderr is not a
terminal, prints a one-line progress log every `log_every_s`. Nothing here is in the ops.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import orjson

from codemill.monitor.alerts import AlertRule, metric_value, post
from codemill.ops import StageStats

WINDOW_S = 5.0  # throughput is measured over this sliding window


class Monitor:
    def __init__(self, labels: list[str], out: Path, rules: list[AlertRule], interval_s: float = 1.0,
                 log_every_s: float | None = None) -> None:
        self.labels, self.out, self.rules = labels, out, rules
        self.interval_s, self.log_every_s = interval_s, log_every_s
        self.stages = {label: StageStats(label) for label in labels}
        self.workers: dict[int, dict[str, float]] = {}
        self.in_flight = self.shards_done = 0
        self.segment = "ingest"
        self.alerts: list[dict[str, Any]] = []
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._window: deque[tuple[float, int, int]] = deque()
        self._thread: threading.Thread | None = None
        self._last_log = 0.0
        self.last: dict[str, Any] | None = None  # latest sample, read by the Prometheus exporter
        self.last_latency: dict[str, tuple[Any, float]] = {}  # latency histograms at that sample

    # -- fed by the driver ----------------------------------------------------------------------
    def shard_done(self, result: dict[str, Any]) -> None:
        with self._lock:
            self.shards_done += 1
            for d in result["stats"]:
                self.stages[d["name"]].merge(StageStats.from_dict(d))
            pid = result.get("pid")
            if pid is not None:
                w = self.workers.setdefault(pid, {"cpu_s": 0.0, "max_rss_mb": 0.0, "shards": 0})
                w["cpu_s"] = max(w["cpu_s"], result.get("cpu_s", 0.0))
                w["max_rss_mb"] = max(w["max_rss_mb"], result.get("worker_max_rss_mb", 0.0))
                w["shards"] += 1

    def shard_undone(self, result: dict[str, Any]) -> None:
        """Take back a shard's counts before it runs again (a split with repeated keys)."""
        with self._lock:
            self.shards_done -= 1
            for d in result["stats"]:
                self.stages[d["name"]].unmerge(StageStats.from_dict(d))

    def global_done(self, stats: StageStats) -> None:
        with self._lock:
            self.stages[stats.name].merge(stats)

    def backlog(self, in_flight: int, segment: str) -> None:
        self.in_flight, self.segment = in_flight, segment

    # -- sampling -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        now = time.monotonic() - self._t0
        with self._lock:
            ingest = self.stages[self.labels[0]]
            self._window.append((now, ingest.bytes_in, ingest.records_in))
            while len(self._window) > 2 and now - self._window[0][0] > WINDOW_S:
                self._window.popleft()
            t_old, b_old, r_old = self._window[0]
            span = now - t_old
            stages = {}
            for label, st in self.stages.items():
                lat = st.latency.summary()
                rin = st.records_in
                stages[label] = {
                    "records_in": rin, "kept": st.kept, "rejected": st.rejected, "errors": st.errors,
                    "bytes_in": st.bytes_in, "bytes_out": st.bytes_out, "seconds": round(st.seconds, 4),
                    "reject_rate": st.rejected / rin if rin else None,
                    "error_rate": st.errors / rin if rin else None,
                    "success_rate": 1 - st.errors / rin if rin else None,
                    "latency_p50_s": lat["p50"], "latency_p95_s": lat["p95"], "latency_p99_s": lat["p99"],
                    "reasons": dict(st.reasons),
                }
            self.last_latency = {label: (st.latency.counts.copy(), st.latency.total)
                                 for label, st in self.stages.items()}
            return {
                "elapsed_s": round(now, 3),
                "e2e_latency_s": round(now, 3),
                "segment": self.segment,
                "throughput_mb_s": round((ingest.bytes_in - b_old) / 1e6 / span, 3) if span > 0 else None,
                "throughput_records_s": round((ingest.records_in - r_old) / span, 3) if span > 0 else None,
                "backlog_shards": self.in_flight,
                "shards_done": self.shards_done,
                "worker_rss_mb": max((w["max_rss_mb"] for w in self.workers.values()), default=None),
                "workers": {str(k): dict(v) for k, v in self.workers.items()},
                "stages": stages,
            }

    def sample(self, final: bool = False) -> dict[str, Any]:
        """Record a snapshot (metrics.jsonl, alert checks) and log it when a log line is due; the
        `final` one is always logged, so a run shorter than `log_every_s` still says what it did."""
        snap = self.last = self.snapshot()
        with open(self.out / "metrics.jsonl", "ab") as fh:
            fh.write(orjson.dumps({"time": time.time(), **snap}) + b"\n")
        for rule in self.rules:
            event = rule.check(metric_value(rule, snap), snap["elapsed_s"])
            if event is not None:
                self._fire(rule, event)
        if self.log_every_s and (final or snap["elapsed_s"] - self._last_log >= self.log_every_s):
            self._last_log = snap["elapsed_s"]
            ing = snap["stages"][self.labels[0]]
            rate = snap["throughput_mb_s"]
            print(f"codemill: {snap['elapsed_s']:.0f}s {snap['segment']}: {ing['records_in']:,} records read, "
                  f"{snap['shards_done']} shards done, {rate if rate is not None else '-'} MB/s", file=sys.stderr)
        return snap

    def _fire(self, rule: AlertRule, event: dict[str, Any]) -> None:
        event["time"] = time.time()
        if rule.webhook:
            event["webhook_error"] = post(rule.webhook, event)
        self.alerts.append(event)
        print(f"codemill: ALERT {event['alert']} (value {event['value']})", file=sys.stderr)
        with open(self.out / "alerts.jsonl", "ab") as fh:
            fh.write(orjson.dumps(event) + b"\n")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> Monitor:
        self._thread = threading.Thread(target=self._loop, name="codemill-monitor", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample(final=True)  # the final state, and a last alert check (e.g. e2e latency)
