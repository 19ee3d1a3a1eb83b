"""Measure an SLA's targets over a window of the prediction log and its feedback.

Availability, error rate and p99 latency come from every live request (failures
included; shadow calls are not the client's traffic); the accuracy floor from
the labelled ones; the business floor from the mean outcome per request with
feedback. A target resting on fewer than ``min_requests`` is not judged.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from pilotdeck.audit.log import iso
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.sla import SLA
from pilotdeck.views.sla import SLACompliance, SLATarget

__all__ = ["measure"]


def _target(sla: SLA, target: str, metric: str, comparison: str, threshold: float,
            measured: float | None, rows: int) -> SLATarget:
    if measured is None or rows < sla.min_requests:
        return SLATarget(target=target, metric=metric, comparison=comparison,  # type: ignore[arg-type]
                         threshold=threshold, measured=None, rows=rows,
                         status="not enough data", met=None)
    met = measured >= threshold if comparison == ">=" else measured <= threshold
    return SLATarget(target=target, metric=metric, comparison=comparison,  # type: ignore[arg-type]
                     threshold=threshold, measured=measured, rows=rows,
                     status="met" if met else "breached", met=met)


def measure(lake: Lake, pilot: str, sla: SLA, revision: int, since: datetime,
            until: datetime) -> SLACompliance:
    reqs = lake.requests(pilot, since, until, ok_only=False)
    status = np.asarray(reqs.column("status").to_pylist(), dtype=float)
    latency = np.asarray(reqs.column("latency_ms").to_pylist(), dtype=float)
    n = len(status)
    error_rate = float((status >= 500).mean()) if n else None
    targets = [
        _target(sla, "availability", "availability_pct", ">=", sla.availability_pct,
                None if error_rate is None else 100.0 * (1.0 - error_rate), n),
        _target(sla, "p99_latency_ms", "p99_latency_ms", "<=", sla.p99_latency_ms,
                float(np.percentile(latency, 99)) if n else None, n),
        _target(sla, "error_rate", "error_rate", "<=", sla.max_error_rate, error_rate, n),
    ]
    if sla.accuracy is not None:
        value, rows = _quality(lake, pilot, since, until, sla.accuracy.metric)
        targets.append(_target(sla, "accuracy", sla.accuracy.metric, ">=", sla.accuracy.min,
                               value, rows))
    if sla.business is not None:
        value, rows = _business(lake, pilot, since, until, sla.business.metric)
        targets.append(_target(sla, "business", sla.business.metric, ">=", sla.business.min,
                               value, rows))
    breached: list[str] = [t.target for t in targets if t.met is False]
    compliant = all(t.met for t in targets)
    return SLACompliance(
        pilot=pilot, since=iso(since), until=iso(until),
        window_hours=(until - since).total_seconds() / 3600, requests=n,
        status="breached" if breached else "compliant" if compliant else "not enough data",
        compliant=compliant, breached=breached, sla_revision=revision, targets=targets)


def _quality(lake: Lake, pilot: str, since: datetime, until: datetime,
             metric: str) -> tuple[float | None, int]:
    """The floor's quality metric over the labelled rows of the window."""
    from pilotdeck.domain import performance as perf
    from pilotdeck.services.monitoring.performance import labelled_rows

    df = labelled_rows(lake, pilot, since, until)
    if df.empty:
        return None, 0
    got = perf.quality(df["label"].to_numpy(), df["prediction"].to_numpy())
    value = got.get("roc_auc" if metric == "auc" else metric)
    return (None if value is None else float(value)), len(df)


def _business(lake: Lake, pilot: str, since: datetime, until: datetime,
              metric: str) -> tuple[float | None, int]:
    """Mean outcome per request that has feedback with the outcome."""
    ids = lake.requests(pilot, since, until).select(["request_id"]).to_pandas()
    fb = lake.feedback(pilot).to_pandas()
    if ids.empty or fb.empty:
        return None, 0
    values = ids.merge(fb, on="request_id", how="inner")[metric].to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    return (float(values.mean()) if len(values) else None), len(values)
