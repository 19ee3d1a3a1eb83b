"""What a rollout's gates read, gathered from the prediction log and the feedback.

Counts are cumulative since the rollout started, for the champion and the
challenger versions the rollout is about (a request the gateway answered from
another version, or a shadow copy, is not evidence for either). A request is
an error when the gateway answered 5xx; 4xx never reach the log as a model's
fault. Quality per labelled row is 1/0 for a correct class, or minus the
absolute error for a regression; the uplift metric is the feedback outcome per
request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pilotdeck.domain.gates import Evidence, GateResult, GateSpec, Verdict
from pilotdeck.domain.sequential import Moments

__all__ = ["OUTCOMES", "gather", "quality_values"]

OUTCOMES = ("revenue", "cost_saved", "satisfaction")  # the feedback's outcome columns
VARIANTS = ("champion", "challenger")


def quality_values(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Per row: 1/0 for classification, -|error| for regression (higher is better)."""
    from pilotdeck.domain.performance import task_of

    if not len(labels):
        return np.zeros(0)
    if task_of(labels) == "regression":
        try:
            return -np.abs(labels.astype(float) - predictions.astype(float))
        except (TypeError, ValueError):
            pass
    return np.array([str(a) == str(b) for a, b in zip(labels, predictions, strict=True)],
                    dtype=float)


def _moments(values: np.ndarray, clip: float) -> Moments:
    """Sufficient statistics of the known values, each clipped to ±``clip``: one
    extreme value (a client can send any finite outcome) must not overflow the
    sums and blind the gate for the rest of the rollout."""
    values = np.clip(values[~np.isnan(values)], -clip, clip)
    return Moments(len(values), float(values.sum()), float((values * values).sum()))


def _of(table: pa.Table, variant: str, version: int) -> pa.Table:
    mask = pc.and_(pc.equal(table["variant"], variant),
                   pc.equal(table["model_version"], version))
    return table.filter(mask)


def gather(lake: Any, pilot: str, since: datetime, versions: dict[str, int],
           slow_ms: float, gates: list[GateSpec], step_since: datetime,
           measured: dict[str, GateResult] | None = None) -> tuple[Evidence, int]:
    """The gates' evidence, and the challenger's requests in the current step."""
    reqs = lake.requests(pilot, since, ok_only=False)
    requests, errors, slow = {}, {}, {}
    ok_parts = []
    step_samples = 0
    for v in VARIANTS:
        part = _of(reqs, v, versions[v])
        requests[v] = part.num_rows
        status = part["status"].to_numpy(zero_copy_only=False)
        errors[v] = int((status >= 500).sum())
        slow[v] = int((part["latency_ms"].to_numpy(zero_copy_only=False) > slow_ms).sum())
        ok_parts.append(part.filter(pc.less(part["status"], 500)))
        if v == "challenger" and part.num_rows:
            step_samples = int(pc.sum(pc.greater_equal(
                part["ts"], pa.scalar(step_since, pa.timestamp("us", tz="UTC")))).as_py() or 0)
    quality: dict[str, Moments] = {}
    outcome: dict[str, Moments] = {}
    specs = {g.name: g for g in gates}
    ok = pa.concat_tables(ok_parts)
    if "quality" in specs and ok.num_rows:
        labelled = lake.labelled(pilot, lake.rows(ok))
        for v in VARIANTS:
            part = labelled.filter(pc.equal(labelled["variant"], v))
            quality[v] = _moments(quality_values(
                part["label"].to_numpy(zero_copy_only=False),
                part["prediction"].to_numpy(zero_copy_only=False)), specs["quality"].clip)
    uplift = next((g for g in gates if g.name == "uplift"), None)
    if uplift is not None and uplift.metric in OUTCOMES and ok.num_rows:
        fb = lake.feedback(pilot).select(["request_id", uplift.metric])
        joined = ok.select(["request_id", "variant"]).join(fb, "request_id")
        for v in VARIANTS:
            part = joined.filter(pc.equal(joined["variant"], v))
            outcome[v] = _moments(part[uplift.metric].to_numpy(zero_copy_only=False)
                                  .astype(float), uplift.clip)
    return Evidence(requests, errors, slow, quality, outcome, measured or {}), step_samples


def drift_gate(lake: Any, pilot: str, since: datetime, version: int,
               spec: GateSpec) -> GateResult:
    """Drift of the challenger's live inputs against its reference profile."""
    from pilotdeck.domain.errors import PilotdeckError
    from pilotdeck.services.monitoring.windows import window_drift

    try:
        report = window_drift(lake, pilot, version=version, since=since,
                              variant="challenger", share=spec.max_share)
    except PilotdeckError as exc:
        return GateResult("drift", Verdict.INCONCLUSIVE, f"cannot measure drift: {exc}")
    windows = report.windows
    if not windows or windows[0].dataset_drift is None:
        rows = windows[0].rows if windows else 0
        return GateResult("drift", Verdict.INCONCLUSIVE,
                          f"not enough data: {rows} challenger rows", {"rows": rows})
    w = windows[0]
    stats = {"rows": w.rows, "shareDrifted": w.share_drifted, "maxShare": spec.max_share}
    detail = (f"{w.drifted_columns} of {w.columns_total} inputs drifted "
              f"(share {w.share_drifted:.2f}, limit {spec.max_share:g})")
    return GateResult("drift", Verdict.FAIL if w.dataset_drift else Verdict.PASS, detail, stats)


def fairness_gate(lake: Any, pilot: str, since: datetime, version: int,
                  spec: GateSpec) -> GateResult:
    """The challenger's largest parity gap across the sensitive groups."""
    from pilotdeck.domain.errors import PilotdeckError
    from pilotdeck.services.monitoring.performance import fairness

    if not spec.sensitive:
        return GateResult("fairness", Verdict.INCONCLUSIVE, "no sensitive columns configured")
    try:
        rows = lake.rows(lake.requests(pilot, since, variant="challenger", version=version))
        report = fairness(lake, pilot, spec.sensitive, since=since, version=version, rows=rows)
    except PilotdeckError as exc:
        return GateResult("fairness", Verdict.INCONCLUSIVE, f"cannot measure fairness: {exc}")
    gaps = [g for g in (report.demographic_parity_difference,
                        report.equalized_odds_difference) if g is not None]
    n = report.rows
    if not gaps or n < spec.min_samples:
        return GateResult("fairness", Verdict.INCONCLUSIVE,
                          f"not enough labelled data ({n} of {spec.min_samples} rows)",
                          {"rows": n})
    gap = max(gaps)
    stats = {"rows": n, "gap": gap, "maxGap": spec.max_gap}
    return GateResult("fairness", Verdict.FAIL if gap > spec.max_gap else Verdict.PASS,
                      f"largest parity gap (demographic parity, equalised odds) {gap:.3f} "
                      f"(limit {spec.max_gap:g})", stats)

