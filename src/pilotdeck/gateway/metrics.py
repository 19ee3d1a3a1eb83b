"""Prometheus metrics of the gateway, in a registry owned by the app (no globals)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class GatewayMetrics:
    def __init__(self) -> None:
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        r = self.registry = CollectorRegistry()
        self.latency = Histogram("pilotdeck_request_latency_seconds",
                                 "Predict latency as seen by the caller.",
                                 ["pilot", "variant"], buckets=LATENCY_BUCKETS, registry=r)
        self.requests = Counter("pilotdeck_requests_total", "Predict requests.",
                                ["pilot", "variant", "status"], registry=r)
        self.breaker = Gauge("pilotdeck_breaker_state",
                             "Circuit breaker: 0 closed, 1 half-open, 2 open.",
                             ["pilot", "version"], registry=r)
        self.cache = Counter("pilotdeck_cache_requests_total", "Prediction cache lookups.",
                             ["pilot", "result"], registry=r)
        self.batch = Histogram("pilotdeck_batch_size_rows", "Rows per model call.",
                               ["pilot", "version"],
                               buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024), registry=r)
        self.cpu = Counter("pilotdeck_inference_cpu_seconds_total",
                           "CPU seconds spent in model predict.", ["pilot", "version"],
                           registry=r)
        self.cost = Counter("pilotdeck_inference_cost_total",
                            "Estimated inference cost (CPU-seconds x configured price).",
                            ["pilot", "version"], registry=r)
        self.fallbacks = Counter("pilotdeck_fallbacks_total", "Requests served by a fallback.",
                                 ["pilot", "reason"], registry=r)
        self.shadow = Counter("pilotdeck_shadow_requests_total", "Shadow copies.",
                              ["pilot", "version", "result"], registry=r)
        self.input_errors = Counter("pilotdeck_input_errors_total",
                                    "Requests the model's own input validation refused "
                                    "(422; never counted against a breaker).",
                                    ["pilot", "version"], registry=r)
        self.feature_lookups = Counter("pilotdeck_feature_lookups_total",
                                       "Online feature lookups for entity requests.",
                                       ["pilot", "outcome"], registry=r)
        self.rollbacks = Counter("pilotdeck_rollbacks_total", "Automatic rollbacks.",
                                 ["pilot", "variant"], registry=r)

    def child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once: ``labels`` takes a lock and
        builds its key on every call, several times per request on the hot path.
        Labels are pilots, variants and statuses the gateway serves: bounded."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found
