"""Replay traffic through a rollout plan, with the real gates and the real decision rule.

Each replay takes each variant's recorded requests in a random order, each at
most once (a small table runs out and holds), at the current step's weight,
checks the gates after every batch and acts as the controller would: proceed,
hold, roll back, promote. Time is simulated from a request rate, so a plan's
pauses and maximum step durations mean what they mean live. Repeating the replay
gives the plan's operating characteristics: how often it promotes, rolls back or
is still holding, and how long it takes to decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist, median
from typing import Any

import numpy as np

from pilotdeck.domain.gates import (
    STATISTICAL,
    Evidence,
    GateResult,
    GateSpec,
    Thresholds,
    Verdict,
    evaluate,
)
from pilotdeck.domain.rollout import Action, Phase, Plan, decide
from pilotdeck.domain.sequential import Moments, naive_z

VARIANTS = ("champion", "challenger")


@dataclass(frozen=True)
class Pool:
    """One variant's recorded requests: NaN where a request has no label/outcome."""

    latency_ms: np.ndarray
    error: np.ndarray
    quality: np.ndarray
    outcome: np.ndarray

    def __len__(self) -> int:
        return len(self.latency_ms)


_COLUMNS = ("requests", "errors", "slow", "qn", "qs", "qss", "on", "os", "oss")


def _sums(pool: Pool, idx: np.ndarray, counts: np.ndarray, slow_ms: float) -> np.ndarray:
    """Per batch, the sums the gates read (one row per batch, columns as _COLUMNS),
    batch j taking the next ``counts[j]`` requests of ``idx``. Summing many batches
    at once keeps the replay loop to the gates' arithmetic."""
    q, o = pool.quality[idx], pool.outcome[idx]
    qok, ook = ~np.isnan(q), ~np.isnan(o)
    q, o = np.where(qok, q, 0.0), np.where(ook, o, 0.0)
    per_request = np.column_stack([np.ones(len(idx)), pool.error[idx],
                                   pool.latency_ms[idx] > slow_ms, qok, q, q * q, ook, o,
                                   o * o]).astype(float)
    cum = np.vstack([np.zeros((1, len(_COLUMNS))), np.cumsum(per_request, axis=0)])
    ends = np.cumsum(counts)
    return cum[ends] - cum[ends - counts]


class _Tally:
    """Running sums per variant since the rollout started."""

    def __init__(self) -> None:
        self.sums = {v: np.zeros(len(_COLUMNS)) for v in VARIANTS}

    def evidence(self) -> Evidence:
        s = {v: self.sums[v].tolist() for v in VARIANTS}
        return Evidence(requests={v: int(s[v][0]) for v in VARIANTS},
                        errors={v: int(s[v][1]) for v in VARIANTS},
                        slow={v: int(s[v][2]) for v in VARIANTS},
                        quality={v: Moments(int(s[v][3]), s[v][4], s[v][5]) for v in VARIANTS},
                        outcome={v: Moments(int(s[v][6]), s[v][7], s[v][8]) for v in VARIANTS})


Evaluator = Callable[[list[GateSpec], Evidence, Thresholds, float, float], list[GateResult]]


@dataclass(frozen=True)
class Replay:
    decision: str  # promoted | rolled-back | held
    seconds: float
    requests: int
    steps: list[dict[str, Any]]


def replay(plan: Plan, pools: dict[str, Pool], limits: Thresholds, rng: np.random.Generator,
           *, rate: float = 10.0, batch: int = 50, max_requests: int = 100_000,
           evaluator: Evaluator = evaluate) -> Replay:
    """One replay of the plan; ``evaluator`` is the gate rule (the naive one in the
    benchmark). Confirmation steps count as confirmed at once.

    Each variant's recorded requests are taken in a random order, each at most
    once: the table is the traffic, so a small table runs out (and the replay
    holds) instead of being resampled into evidence it does not contain."""
    tally, steps, total, clock = _Tally(), [], 0, 0.0
    step, age, at_step, checks = 0, 0.0, 0, 0
    results: list[GateResult] = []
    order = {v: rng.permutation(len(pools[v])) for v in VARIANTS}
    used = dict.fromkeys(VARIANTS, 0)
    while total < max_requests:
        chunk = max(1, min(64, (max_requests - total) // batch))
        n_ch = rng.binomial(batch, plan.steps[step].weight / 100, size=chunk)
        counts = {"challenger": n_ch, "champion": batch - n_ch}
        fits = np.ones(chunk, dtype=bool)
        for v in VARIANTS:
            fits &= np.cumsum(counts[v]) <= len(pools[v]) - used[v]
        k = int(fits.sum())  # the batches the table still has requests for
        if k == 0:
            steps.append(_step_record(plan, step, at_step, checks, results, "hold",
                                      "the traffic table ran out of requests"))
            return Replay("held", clock, total, steps)
        drawn = {}
        for v in VARIANTS:
            c = counts[v][:k]
            idx = order[v][used[v]:used[v] + int(c.sum())]
            drawn[v] = _sums(pools[v], idx, c, limits.p99_latency_ms)
        moved = False
        for j in range(k):
            for v in VARIANTS:
                tally.sums[v] += drawn[v][j]
                used[v] += int(counts[v][j])
            total, clock, age = total + batch, clock + batch / rate, age + batch / rate
            at_step, checks = at_step + int(n_ch[j]), checks + 1
            results = evaluator(plan.gates, tally.evidence(), limits, plan.alpha,
                                plan.design_samples)
            d = decide(plan, step, Phase.RUNNING, age, at_step, results, [])
            if d.action in (Action.WAIT, Action.HOLD):
                continue
            steps.append(_step_record(plan, step, at_step, checks, results, d.action.value,
                                      d.reason))
            if d.action is Action.ROLLBACK:
                return Replay("rolled-back", clock, total, steps)
            if d.action is Action.PAUSE:
                return Replay("held", clock, total, steps)
            if d.action is Action.PROMOTE or (d.action is Action.CONFIRM
                                              and step == len(plan.steps) - 1):
                return Replay("promoted", clock, total, steps)
            step, age, at_step, checks, moved = step + 1, 0.0, 0, 0, True
            break  # the rest of the chunk was drawn at the old weight
        if not moved and total >= max_requests:
            break
    steps.append(_step_record(plan, step, at_step, checks, results, "hold",
                              f"traffic budget of {max_requests} requests spent"))
    return Replay("held", clock, total, steps)


def _step_record(plan: Plan, step: int, samples: int, checks: int,
                 results: list[GateResult], action: str, reason: str) -> dict[str, Any]:
    return {"step": step + 1, "weight": plan.steps[step].weight, "challengerRequests": samples,
            "checks": checks, "action": action, "reason": reason,
            "gates": [r.document() for r in results]}


def operating_characteristics(runs: list[Replay]) -> dict[str, Any]:
    n = len(runs)
    share = {d: sum(r.decision == d for r in runs) / n
             for d in ("promoted", "rolled-back", "held")}
    decided = [r for r in runs if r.decision != "held"]
    return {"replays": n, "promoted": share["promoted"], "rolledBack": share["rolled-back"],
            "held": share["held"],
            "medianSecondsToDecision": median(r.seconds for r in decided) if decided else None,
            "medianRequestsToDecision": median(r.requests for r in decided) if decided else None}


def naive_evaluate(gates: list[GateSpec], evidence: Evidence, limits: Thresholds,
                   alpha: float, design_n: float) -> list[GateResult]:
    """The gate most canary tools use: a fixed-α z-test, re-run at every check
    (with the same α split). Shown beside the anytime-valid gates in the
    benchmark: checked this often, it rolls back equal challengers far more
    often than α."""
    share = alpha / max(1, sum(g.name in STATISTICAL for g in gates))
    z = NormalDist().inv_cdf(1 - share / 2)
    out = []
    for g in gates:
        if g.name not in ("quality", "uplift"):
            continue
        m = evidence.quality if g.name == "quality" else evidence.outcome
        a, b = m.get("champion", Moments()), m.get("challenger", Moments())
        stat = naive_z(a, b) if min(a.n, b.n) >= g.min_samples else None
        if stat is None or math.isnan(stat):
            out.append(GateResult(g.name, Verdict.INCONCLUSIVE, "too few samples"))
        else:
            out.append(GateResult(g.name, Verdict.FAIL if stat < -z else Verdict.PASS,
                                  f"z={stat:.2f}"))
    return out
