"""Anytime-valid tests for rollout gates: safe to check after every batch.

A classical test checked after every batch rejects a true null far more often
than its α (a 5 % z-test looked at 50 times rejects an A/A comparison about a
third of the time). The rollout controller checks continuously, so its gates
use tests whose error guarantee holds uniformly over time:

* **Mean differences** (model quality, business uplift, challenger minus
  champion): the two-sided *normal-mixture* confidence sequence of Howard,
  Ramdas, McAuliffe and Sekhon (2021, "Time-uniform, nonparametric,
  nonasymptotic confidence sequences", Ann. Statist., eq. (14); the same
  boundary as confseq's ``TwoSidedNormalMixture``) applied in the asymptotic
  form of Waudby-Smith et al. (2024, "Time-uniform central limit theory and
  asymptotic confidence sequences"), with the plug-in variance. It is the
  mixture SPRT of Johari et al. (2017, "Always valid inference") written as an
  interval.
* **Rates against a threshold** (error rate against the SLA, the share of
  requests slower than the SLA's p99): an exact e-process, the likelihood
  ratio against the threshold mixed over a Beta prior truncated to the
  alternative; a non-negative supermartingale under every rate on the null's
  side, so by Ville's inequality it passes 1/α with probability at most α, at
  any stopping time (no normal approximation: small counts stay honest).

The maintained implementations (confseq, savvi) could not be used: confseq has
no wheel for this Python and needs Boost to build; savvi pulls in cvxpy for
regressions we do not need. The formulas are short and are tested against
the published boundary and by numerical integration of the mixture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


def best_rho(v_opt: float, alpha: float) -> float:
    """The mixture variance that makes the boundary tightest at intrinsic time
    ``v_opt`` (Howard et al. 2021, eq. (15); confseq ``best_rho``)."""
    if v_opt <= 0 or not 0 < alpha < 1:
        raise ValueError("v_opt must be > 0 and alpha in (0, 1)")
    la = math.log(1 / alpha)
    return v_opt / (2 * la + math.log(1 + 2 * la))


def normal_mixture_bound(v: float, alpha: float, rho: float) -> float:
    """The two-sided normal-mixture boundary u(v): P(∃t: |S_t| ≥ u(V_t)) ≤ α for a
    sum S_t whose variance process is V_t (1-sub-Gaussian increments)."""
    return math.sqrt((v + rho) * (math.log(1 + v / rho) + 2 * math.log(1 / alpha)))


def normal_log_mixture(s: float, v: float, rho: float) -> float:
    """log of the mixture martingale ∫ exp(λs - λ²v/2) dN(0, 1/ρ)(λ): crosses
    log(1/α) exactly where |s| crosses :func:`normal_mixture_bound`."""
    return 0.5 * math.log(rho / (v + rho)) + s * s / (2 * (v + rho))


@dataclass(frozen=True)
class Moments:
    """Running sufficient statistics of one variant's per-request values."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def var(self) -> float:
        if self.n < 2:
            return math.nan
        return max(self.total_sq - self.total * self.total / self.n, 0.0) / (self.n - 1)

    def add(self, n: int, total: float, total_sq: float) -> Moments:
        return Moments(self.n + n, self.total + total, self.total_sq + total_sq)


@dataclass(frozen=True)
class Interval:
    estimate: float
    lower: float
    upper: float


def difference_cs(champion: Moments, challenger: Moments, alpha: float,
                  design_n: float = 1000.0) -> Interval | None:
    """An asymptotic confidence sequence for mean(challenger) - mean(champion),
    valid at every check at once; None until each side has two values.

    The difference of means is scaled to unit variance per effective sample
    (n_eff = 1 / (1/n_a + 1/n_b)) and bounded with the normal mixture tuned to be
    tightest at ``design_n`` effective samples (a choice made before the data,
    as validity requires)."""
    if champion.n < 2 or challenger.n < 2:
        return None
    n_a, n_b = champion.n, challenger.n
    var_diff = champion.var / n_a + challenger.var / n_b
    estimate = challenger.mean - champion.mean
    n_eff = 1 / (1 / n_a + 1 / n_b)
    sigma = math.sqrt(var_diff * n_eff)  # the pooled per-sample standard deviation
    if sigma == 0:
        return Interval(estimate, estimate, estimate)
    half = sigma * normal_mixture_bound(n_eff, alpha, best_rho(design_n, alpha)) / n_eff
    return Interval(estimate, estimate - half, estimate + half)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@lru_cache(maxsize=256)
def _prior(p0: float) -> tuple[float, float]:
    """Beta(1, b) with mean p0 (b ≥ 1): most of its mass near the threshold, where
    the evidence is hardest to gather, yet a clearly higher rate is found fast."""
    return 1.0, max(1.0, (1 - p0) / p0)


@lru_cache(maxsize=1)
def _incomplete_beta() -> tuple[Any, Any]:
    from scipy.special import betainc, betaincc  # lazily: the domain is imported at start-up

    return betainc, betaincc


def rate_log_evalue(k: int, n: int, p0: float, above: bool) -> float:
    """log of the e-process against "rate ≤ p0" (``above``: evidence that the rate
    is above p0) or against "rate ≥ p0" (evidence that it is below), after ``k``
    events in ``n`` trials: the likelihood ratio q vs p0 mixed over a Beta prior
    truncated to the alternative side of p0."""
    if not 0 < p0 < 1:
        raise ValueError("p0 must be in (0, 1)")
    if n == 0:
        return 0.0
    a, b = _prior(p0)
    betainc, betaincc = _incomplete_beta()
    tail = betaincc if above else betainc
    post = float(tail(a + k, b + n - k, p0))
    prior = float(tail(a, b, p0))
    if post <= 0.0:  # the posterior has no mass on the alternative side: no evidence
        return -math.inf
    return (_log_beta(a + k, b + n - k) + math.log(post) - _log_beta(a, b) - math.log(prior)
            - k * math.log(p0) - (n - k) * math.log1p(-p0))


def naive_z(champion: Moments, challenger: Moments) -> float | None:
    """The classical two-sample z statistic (for the benchmark's naive gate only:
    checked repeatedly, its error rate is not the α it is compared with)."""
    if champion.n < 2 or challenger.n < 2:
        return None
    se = math.sqrt(champion.var / champion.n + challenger.var / challenger.n)
    if se == 0:
        return 0.0
    return (challenger.mean - champion.mean) / se
