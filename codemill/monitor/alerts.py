"""Alert rules from the recipe, evaluated on live metrics during a run.

```yaml
alerts:
  - {metric: throughput_mb_s, below: 5, for: 30s}
  - {metric: reject_rate, stage: syntax, above: 0.4}
  - {metric: e2e_latency_s, above: 600, webhook: "http://127.0.0.1:9000/hook"}
```
A rule fires once when its condition has held for `for` (default: at once); the event is
logged, appended to OUT/alerts.jsonl and, with `webhook`, POSTed as JSON.
"""

from __future__ import annotations

import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import orjson

from codemill.params import ParamError, param, required

#: metric name -> (needs a stage?, description)
METRICS: dict[str, tuple[bool, str]] = {
    "throughput_mb_s": (False, "MB/s read over the last few seconds"),
    "throughput_records_s": (False, "records/s read over the last few seconds"),
    "e2e_latency_s": (False, "seconds since the run started"),
    "backlog_shards": (False, "shards submitted and not yet finished"),
    "worker_rss_mb": (False, "largest peak RSS of any worker, MB"),
    "reject_rate": (True, "rejected / records in, for `stage`"),
    "error_rate": (True, "records whose op raised / records in, for `stage`"),
    "success_rate": (True, "1 - error_rate, for `stage`"),
    "latency_p50_s": (True, "median per-record latency of `stage`"),
    "latency_p95_s": (True, "95th percentile per-record latency of `stage`"),
    "latency_p99_s": (True, "99th percentile per-record latency of `stage`"),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(value: str | float | int) -> float:
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a duration like 30s, 5m or 1.5h")
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


@dataclass
class AlertRule:
    metric: str = required("metric name; one of " + ", ".join(METRICS))
    stage: str | None = param(None, "stage label the metric is about (for per-stage metrics)")
    above: float | None = param(None, "fire when the metric is above this")
    below: float | None = param(None, "fire when the metric is below this")
    for_: str | float | None = param(None, "how long the condition must hold, e.g. 30s (default: at once)")
    webhook: str | None = param(None, "URL to POST the alert to as JSON")
    name: str | None = param(None, "name shown in logs (default: derived from the rule)")

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ParamError("metric", f"unknown metric {self.metric!r}; valid metrics: {', '.join(METRICS)}")
        if METRICS[self.metric][0] and self.stage is None:
            raise ParamError("stage", f"metric {self.metric!r} is per stage: name the `stage`")
        if (self.above is None) == (self.below is None):
            raise ParamError("above", "give exactly one of `above` or `below`")
        try:
            self._hold = parse_duration(self.for_) if self.for_ is not None else 0.0
        except ValueError as e:
            raise ParamError("for", str(e)) from None
        if self.webhook is not None and not self.webhook.startswith(("http://", "https://")):
            raise ParamError("webhook", f"{self.webhook!r} is not an http(s) URL")
        self._since: float | None = None
        self._fired = False

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        cmp = f"> {self.above}" if self.above is not None else f"< {self.below}"
        where = f"[{self.stage}]" if self.stage else ""
        return f"{self.metric}{where} {cmp}" + (f" for {self.for_}" if self.for_ is not None else "")

    def check(self, value: float | None, now: float) -> dict[str, Any] | None:
        """Feed one observation; returns the alert event the first time the rule fires."""
        if value is None or self._fired:
            return None
        bad = value > self.above if self.above is not None else value < self.below  # type: ignore[operator]
        if not bad:
            self._since = None
            return None
        if self._since is None:
            self._since = now
        if now - self._since < self._hold:
            return None
        self._fired = True
        return {"alert": self.label, "metric": self.metric, "stage": self.stage, "value": value,
                "threshold": self.above if self.above is not None else self.below,
                "direction": "above" if self.above is not None else "below", "elapsed_s": round(now, 3)}


def metric_value(rule: AlertRule, snap: dict[str, Any]) -> float | None:
    if not METRICS[rule.metric][0]:
        return snap.get(rule.metric)
    stage = snap["stages"].get(rule.stage or "")
    return None if stage is None else stage.get(rule.metric)


def post(url: str, event: dict[str, Any]) -> str | None:
    """POST the event; returns an error message instead of raising (an alert must not kill a run)."""
    req = urllib.request.Request(url, data=orjson.dumps(event), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()
        return None
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"codemill: webhook {url} failed: {e}", file=sys.stderr)
        return str(e)
