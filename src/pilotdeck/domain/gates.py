"""Rollout gates: each answers ``pass``, ``fail`` or ``inconclusive`` from evidence.

A gate never fails for lack of data: too few samples is ``inconclusive``, which
holds the rollout at its weight. The statistical gates (error rate and latency
against the SLA, quality and business uplift against the champion) use the
anytime-valid tests of :mod:`pilotdeck.domain.sequential` with the plan's α
split evenly between them (Bonferroni), so the chance that an equal challenger
is ever rolled back, over every check of every step, stays at or below α.
Drift and fairness are thresholds the service measures on the challenger's
live traffic and hands in as results; checked after every batch they are not
covered by that α (a plan that adds them trades some false alarms for the
protection), which the README says too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field

from pilotdeck.domain.inputs import StorableModel
from pilotdeck.domain.sequential import Moments, difference_cs, rate_log_evalue

SLOW_SHARE = 0.01  # "p99 under T" is "at most 1 % of requests slower than T"
STATISTICAL = ("errorRate", "latency", "quality", "uplift")
GateName = Literal["errorRate", "latency", "quality", "uplift", "drift", "fairness"]


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


class GateSpec(StorableModel):
    """One gate of a plan. ``margin`` is the loss against the champion a quality or
    uplift gate tolerates (in the metric's units); ``minSamples`` the labelled or
    fed-back requests each variant needs before the gate may decide."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: GateName
    margin: float | None = Field(None, ge=0)
    metric: str = Field("revenue", pattern=r"^[a-z][a-z0-9_]{0,39}$",
                        description="The feedback outcome an uplift gate compares.")
    min_samples: int = Field(30, ge=2, le=10_000_000, alias="minSamples")
    max_share: float = Field(0.3, gt=0, le=1, alias="maxDriftedShare")
    sensitive: list[str] = Field(default_factory=list, max_length=8)
    max_gap: float = Field(0.1, gt=0, le=1, alias="maxGap")
    clip: float = Field(1e6, gt=0, le=1e12, description="Quality or outcome values beyond "
                        "±clip count as ±clip: one extreme value cannot blind the gate.")

    @property
    def tolerated(self) -> float:
        if self.margin is not None:
            return self.margin
        return 0.02 if self.name == "quality" else 0.0


@dataclass(frozen=True)
class GateResult:
    gate: str
    verdict: Verdict
    detail: str
    stats: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {"gate": self.gate, "verdict": self.verdict.value, "detail": self.detail,
                "stats": self.stats}


@dataclass(frozen=True)
class Evidence:
    """What the gates read: cumulative since the rollout started (so one
    time-uniform test spans every step), per variant ``champion``/``challenger``."""

    requests: dict[str, int]
    errors: dict[str, int]
    slow: dict[str, int]  # requests slower than the SLA's p99 target
    quality: dict[str, Moments]  # per labelled request: 1/0 correct, or -|error|
    outcome: dict[str, Moments]  # the uplift metric per request with feedback
    measured: dict[str, GateResult] = field(default_factory=dict)  # drift, fairness


@dataclass(frozen=True)
class Thresholds:
    """The SLA targets the error-rate and latency gates hold the challenger to."""

    max_error_rate: float
    p99_latency_ms: float


def _clamp(p: float) -> float:
    return min(max(p, 1e-6), 1 - 1e-6)


def _rate_gate(name: str, k: int, n: int, p0: float, alpha: float, what: str) -> GateResult:
    p0 = _clamp(p0)
    above = rate_log_evalue(k, n, p0, above=True)
    below = rate_log_evalue(k, n, p0, above=False)
    bar = math.log(1 / alpha)
    stats = {"n": n, "events": k, "rate": k / n if n else None, "threshold": p0,
             "eAbove": _e(above), "eBelow": _e(below), "alpha": alpha}
    shown = f"{k}/{n} {what}" if n else f"no {what.split()[-1]} data yet"
    if above >= bar:
        return GateResult(name, Verdict.FAIL, f"{shown}: above {p0:.2%} (e={_e(above):.3g} "
                                              f"≥ 1/α={1 / alpha:.3g})", stats)
    if below >= bar:
        return GateResult(name, Verdict.PASS, f"{shown}: below {p0:.2%}", stats)
    return GateResult(name, Verdict.INCONCLUSIVE, f"{shown}: not yet distinguishable from "
                                                  f"{p0:.2%}", stats)


def _e(log_e: float) -> float:
    return 0.0 if log_e == -math.inf else math.exp(min(log_e, 700.0))


def _difference_gate(spec: GateSpec, a: Moments, b: Moments, alpha: float,
                     design_n: float, unit: str) -> GateResult:
    margin = spec.tolerated
    stats: dict[str, Any] = {"championN": a.n, "challengerN": b.n, "margin": margin,
                             "alpha": alpha}
    if min(a.n, b.n) < spec.min_samples:
        return GateResult(spec.name, Verdict.INCONCLUSIVE,
                          f"too few samples: {b.n} challenger / {a.n} champion of "
                          f"{spec.min_samples} each", stats)
    cs = difference_cs(a, b, alpha, design_n)
    assert cs is not None  # both sides have ≥ 2 samples here
    stats.update(difference=cs.estimate, lower=cs.lower, upper=cs.upper,
                 champion=a.mean, challenger=b.mean)
    shown = (f"challenger − champion {unit} {cs.estimate:+.4g} "
             f"[{cs.lower:+.4g}, {cs.upper:+.4g}]")
    if cs.upper < -margin:
        return GateResult(spec.name, Verdict.FAIL, f"{shown}: worse by more than {margin:g}",
                          stats)
    if cs.lower > -margin:
        return GateResult(spec.name, Verdict.PASS, f"{shown}: not worse by more than "
                                                   f"{margin:g}", stats)
    return GateResult(spec.name, Verdict.INCONCLUSIVE, f"{shown}: not yet decided", stats)


def evaluate(gates: list[GateSpec], evidence: Evidence, limits: Thresholds, alpha: float,
             design_n: float) -> list[GateResult]:
    """Every gate's verdict on the evidence; α is shared by the statistical gates."""
    share = alpha / max(1, sum(g.name in STATISTICAL for g in gates))
    ch, cp = "challenger", "champion"
    out: list[GateResult] = []
    for g in gates:
        if g.name == "errorRate":
            out.append(_rate_gate(g.name, evidence.errors.get(ch, 0),
                                  evidence.requests.get(ch, 0), limits.max_error_rate, share,
                                  "failed requests"))
        elif g.name == "latency":
            out.append(_rate_gate(g.name, evidence.slow.get(ch, 0),
                                  evidence.requests.get(ch, 0), SLOW_SHARE, share,
                                  f"requests slower than {limits.p99_latency_ms:g} ms"))
        elif g.name == "quality":
            out.append(_difference_gate(g, evidence.quality.get(cp, Moments()),
                                        evidence.quality.get(ch, Moments()), share, design_n,
                                        "quality"))
        elif g.name == "uplift":
            out.append(_difference_gate(g, evidence.outcome.get(cp, Moments()),
                                        evidence.outcome.get(ch, Moments()), share, design_n,
                                        g.metric))
        else:
            out.append(evidence.measured.get(g.name) or GateResult(
                g.name, Verdict.INCONCLUSIVE, "not measured yet"))
    return out
