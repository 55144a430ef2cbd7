"""Serve a live run's metrics in the Prometheus text format (official prometheus-client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from codemill.monitor.latency import BOUNDS
from codemill.monitor.live import Monitor


class RunCollector:
    """Reads the monitor at scrape time; no state of its own."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        m = self.monitor
        snap = m.last or m.snapshot()
        counters = {
            "records_in": "records that entered the stage", "kept": "records the stage kept",
            "errors": "records whose op raised", "bytes_in": "UTF-8 bytes into the stage",
            "bytes_out": "UTF-8 bytes kept by the stage", "seconds": "seconds spent in the stage (all workers)",
        }
        for key, doc in counters.items():
            fam = CounterMetricFamily(f"codemill_stage_{key}", doc, labels=["stage"])
            for stage, s in snap["stages"].items():
                fam.add_metric([stage], s[key])
            yield fam
        rej = CounterMetricFamily("codemill_stage_rejected", "records rejected, by reason", labels=["stage", "reason"])
        for stage, s in snap["stages"].items():
            for reason, n in s["reasons"].items():
                rej.add_metric([stage, reason], n)
        yield rej
        for key, doc in (("throughput_mb_s", "MB/s read, sliding window"),
                         ("throughput_records_s", "records/s read, sliding window"),
                         ("e2e_latency_s", "seconds since the run started"),
                         ("backlog_shards", "shards in flight"), ("shards_done", "shards finished"),
                         ("worker_rss_mb", "largest worker peak RSS, MB")):
            if snap.get(key) is not None:
                yield GaugeMetricFamily(f"codemill_{key}", doc, value=snap[key])
        yield from self._latency()
        yield GaugeMetricFamily("codemill_alerts_fired", "alerts fired so far", value=len(m.alerts))

    def _latency(self) -> Iterator[Metric]:
        fam = HistogramMetricFamily("codemill_record_latency_seconds", "per-record op latency", labels=["stage"])
        for label, (counts, total) in self.monitor.last_latency.items():
            cum = np.cumsum(counts)
            buckets: list[tuple[str, Any]] = [(repr(b), int(c)) for b, c in zip(BOUNDS[::8], cum[:-1][::8], strict=True)]
            buckets.append(("+Inf", int(cum[-1])))
            fam.add_metric([label], buckets, sum_value=total)
        yield fam


def serve(monitor: Monitor, port: int, addr: str = "127.0.0.1") -> Any:
    """Start the endpoint on loopback; returns the server (call .shutdown() at the end)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(monitor))  # type: ignore[arg-type]
    server, _ = start_http_server(port, addr=addr, registry=registry)
    return server
