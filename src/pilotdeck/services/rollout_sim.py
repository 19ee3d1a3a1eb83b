"""``rollout simulate``: a traffic table replayed through a plan, nothing live touched.

The table has one row per request: ``variant`` (champion | challenger),
``latency_ms``, ``error`` (bool), optionally ``label`` and ``prediction`` (the
quality gate needs both) and outcome columns (the uplift gate's metric). Each
column the plan's gates need is checked before anything runs, so a missing or
malformed column is a clear error, not a simulation that silently holds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.gates import Thresholds
from pilotdeck.domain.rollout import Plan
from pilotdeck.domain.simulation import Pool, operating_characteristics, replay
from pilotdeck.services.rollout_evidence import quality_values
from pilotdeck.views.rollouts import SimulationView

__all__ = ["MAX_REPEAT", "MAX_ROWS", "simulate"]

MAX_ROWS = 5_000_000
MAX_REPEAT = 10_000


def _bad(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed("invalid traffic table", [FieldError(field, problem)])


def _numbers(table: pa.Table, column: str, field: str) -> np.ndarray:
    try:
        values = table[column].to_numpy(zero_copy_only=False).astype(float)
    except (TypeError, ValueError, pa.ArrowInvalid):
        raise _bad(f"{field}.{column}", "must be numbers") from None
    return values


_FLAGS = {"true": True, "false": False, "1": True, "0": False, "": False}


def _flags(values: list[Any], field: str) -> np.ndarray:
    """Booleans, 0/1 or the words true/false (a CSV's text): ``bool("false")`` is
    True, so text is read by its meaning, and anything else is refused."""
    out = np.zeros(len(values), dtype=bool)
    for i, e in enumerate(values):
        if e is None:
            continue
        if isinstance(e, bool | int | float):
            flag = bool(e) if e in (0, 1) else None
        else:
            flag = _FLAGS.get(str(e).strip().lower())
        if flag is None:
            raise _bad(field, "must be true/false (or 1/0)")
        out[i] = flag
    return out


def pools_from(table: pa.Table, plan: Plan, field: str) -> dict[str, Pool]:
    if table.num_rows > MAX_ROWS:
        raise _bad(field, f"at most {MAX_ROWS:,} rows")
    names = set(table.column_names)
    for col in ("variant", "latency_ms", "error"):
        if col not in names:
            raise _bad(f"{field}.{col}", "the traffic table needs this column")
    gates = {g.name: g for g in plan.gates}
    if "quality" in gates and not {"label", "prediction"} <= names:
        raise _bad(f"{field}.label", "the quality gate needs label and prediction columns")
    metric = gates["uplift"].metric if "uplift" in gates else None
    if metric is not None and metric not in names:
        raise _bad(f"{field}.{metric}", "the uplift gate compares this outcome column")
    variant = np.array([str(v) for v in table["variant"].to_pylist()])
    latency = _numbers(table, "latency_ms", field)
    if not np.all(np.isfinite(latency)) or (latency < 0).any():
        raise _bad(f"{field}.latency_ms", "must be finite and not negative")
    error = _flags(table["error"].to_pylist(), f"{field}.error")
    n = table.num_rows
    quality = np.full(n, np.nan)
    if {"label", "prediction"} <= names:
        labels = np.array(table["label"].to_pylist(), dtype=object)
        preds = np.array(table["prediction"].to_pylist(), dtype=object)
        known = np.array([a is not None and b is not None for a, b in zip(labels, preds,
                                                                           strict=True)])
        if known.any():
            quality[known] = quality_values(labels[known], preds[known])
        if "quality" in gates:  # as live: extreme values count as ±clip
            quality = np.clip(quality, -gates["quality"].clip, gates["quality"].clip)
    outcome = _numbers(table, metric, field) if metric is not None else np.full(n, np.nan)
    if np.isinf(outcome).any():
        raise _bad(f"{field}.{metric}", "must be finite (empty for no feedback)")
    if metric is not None:
        outcome = np.clip(outcome, -gates["uplift"].clip, gates["uplift"].clip)
    pools = {}
    for v in ("champion", "challenger"):
        mask = variant == v
        if mask.sum() < 2:
            raise _bad(f"{field}.variant", f"needs at least 2 {v} rows")
        pools[v] = Pool(latency[mask], error[mask], quality[mask], outcome[mask])
    other = sorted(set(variant) - {"champion", "challenger"})
    if other:
        raise _bad(f"{field}.variant", f"must be champion or challenger, got {other[0]!r}")
    return pools


def simulate(table: pa.Table, plan: Plan, limits: Thresholds, *, repeat: int = 1,
             seed: int = 0, rate: float = 10.0, batch: int = 50,
             max_requests: int = 100_000, field: str = "traffic") -> SimulationView:
    """Replay ``repeat`` times; the first replay's steps are shown in full."""
    checks: list[tuple[str, bool, str]] = [
        ("repeat", 1 <= repeat <= MAX_REPEAT, f"between 1 and {MAX_REPEAT}"),
        ("rate", math.isfinite(rate) and 0 < rate <= 1e6, "requests per second, 0 < r ≤ 1e6"),
        ("batch", 1 <= batch <= 100_000, "between 1 and 100000"),
        ("maxRequests", batch <= max_requests <= 100_000_000,
         "at least one batch, at most 100,000,000"),
    ]
    errors = [FieldError(f, p) for f, ok, p in checks if not ok]
    if errors:
        raise ValidationFailed("invalid simulation", errors)
    pools = pools_from(table, plan, field)
    runs = [replay(plan, pools, limits, np.random.default_rng([seed, i]), rate=rate,
                   batch=batch, max_requests=max_requests) for i in range(repeat)]
    first = runs[0]
    oc: dict[str, Any] | None = operating_characteristics(runs) if repeat > 1 else None
    return SimulationView(decision=first.decision, seconds=first.seconds,
                          requests=first.requests, steps=first.steps,
                          operating_characteristics=oc)
