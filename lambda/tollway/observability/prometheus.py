"""Prometheus metrics for ``tollway serve``: a tiny in-process registry and its text exposition.

Fed once per request from the request log (``observability.logging.log_request``), so the hot
path gains one locked dict update. Exposed by ``GET /metrics`` (admins only) in the text format
(version 0.0.4). Labels are bounded: at most ``MAX_LABEL_VALUES`` distinct values of each label
(model, team, ...) are kept; later ones are counted under ``"_other"``, so a flood of distinct
model names or teams cannot grow memory without bound.

Series (counters are cumulative since the process started):
``tollway_requests_total{model,team,status}``, ``tollway_errors_total{model,team,error_type}``,
``tollway_tokens_total{model,team,direction="input"|"output"}``, ``tollway_cost_usd_total{model,team}``,
``tollway_request_duration_seconds{model,team}`` (histogram).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any

MAX_LABEL_VALUES = 200
OTHER = "_other"
#: latency buckets in seconds (LLM calls: from fast cache-like answers to long generations)
BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_HELP = {
    "tollway_requests_total": ("counter", "Requests answered, by model, team and HTTP status."),
    "tollway_errors_total": ("counter", "Requests that failed, by model, team and error type."),
    "tollway_tokens_total": ("counter", "Tokens metered, by model, team and direction (input/output)."),
    "tollway_cost_usd_total": ("counter", "Settled cost in USD, by model and team."),
    "tollway_request_duration_seconds": ("histogram", "Request latency in seconds, by model and team."),
}

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, value)] += 1
        self.total += value


class Registry:
    """Counters and histograms keyed by (metric, labels); safe to update from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, Labels], float] = {}
        self._histograms: dict[Labels, _Histogram] = {}
        self._seen: dict[str, set[str]] = {}

    def _bounded(self, name: str, value: str) -> str:
        seen = self._seen.setdefault(name, set())
        if value in seen:
            return value
        if len(seen) >= MAX_LABEL_VALUES:
            return OTHER
        seen.add(value)
        return value

    def observe_request(self, fields: dict[str, Any], *, cost: float | None = None) -> None:
        """Count one finished request from its log fields (``model``, ``team_id``, tokens, status, latency)."""
        with self._lock:
            model = self._bounded("model", str(fields.get("model") or "-"))
            team = self._bounded("team", str(fields.get("team_id") or "-"))
            base: Labels = (("model", model), ("team", team))
            status = int(fields.get("status") or 0)
            self._add("tollway_requests_total", (*base, ("status", str(status))), 1)
            if status >= 400 or fields.get("error_type"):
                error = self._bounded("error_type", str(fields.get("error_type") or f"http_{status}"))
                self._add("tollway_errors_total", (*base, ("error_type", error)), 1)
            for direction, key in (("input", "prompt_tokens"), ("output", "completion_tokens")):
                if fields.get(key):
                    self._add("tollway_tokens_total", (*base, ("direction", direction)), float(fields[key]))
            if cost:
                self._add("tollway_cost_usd_total", base, float(cost))
            histogram = self._histograms.get(base)
            if histogram is None:
                histogram = self._histograms[base] = _Histogram()
            histogram.observe(float(fields.get("latency_ms") or 0.0) / 1000)

    def _add(self, name: str, labels: Labels, value: float) -> None:
        key = (name, labels)
        self._counters[key] = self._counters.get(key, 0.0) + value

    def exposition(self) -> str:
        """Every series in the Prometheus text format (HELP/TYPE once per metric)."""
        with self._lock:
            counters = sorted(self._counters.items())
            histograms = sorted((labels, list(h.counts), h.total) for labels, h in self._histograms.items())
        lines: list[str] = []
        by_name: dict[str, list[str]] = {}
        for (name, labels), value in counters:
            by_name.setdefault(name, []).append(f"{name}{_labels(labels)} {_number(value)}")
        hist = "tollway_request_duration_seconds"
        for labels, counts, total in histograms:
            rows = by_name.setdefault(hist, [])
            cumulative = 0
            for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
                cumulative += count
                rows.append(f"{hist}_bucket{_labels((*labels, ('le', _number(bound))))} {cumulative}")
            rows.append(f"{hist}_sum{_labels(labels)} {_number(total)}")
            rows.append(f"{hist}_count{_labels(labels)} {cumulative}")
        for name, (kind, text) in _HELP.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *by_name.get(name, [])]
        return "\n".join(lines) + "\n"

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
            self._histograms.clear()
            self._seen.clear()


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


#: the process-wide registry ``tollway serve`` exposes
REGISTRY = Registry()
