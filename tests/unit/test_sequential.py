"""The anytime-valid tests behind rollout gates, against the published boundary, a
numerical integration of the mixture, and their error rates under repeated looks;
and the plan rules and simulation built on them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.gates import Thresholds
from pilotdeck.domain.rollout import Action, Phase, Plan, decide
from pilotdeck.domain.sequential import (
    Moments,
    best_rho,
    difference_cs,
    normal_log_mixture,
    normal_mixture_bound,
    rate_log_evalue,
)
from pilotdeck.domain.simulation import Pool, naive_evaluate, operating_characteristics, replay


def _confseq_two_sided_bound(v: float, alpha: float, v_opt: float) -> float:
    """confseq 0.0.11 ``TwoSidedNormalMixture`` (uniform_boundaries.h, lines 413-422),
    transcribed: the published implementation of Howard et al. (2021), eq. (14)."""
    rho = v_opt / (2 * math.log(1 / alpha) + math.log(1 + 2 * math.log(1 / alpha)))
    return math.sqrt((v + rho) * (math.log(1 + v / rho) + 2 * math.log(1 / alpha)))


@pytest.mark.parametrize(("v", "alpha", "v_opt"), [(10, 0.05, 100), (1000, 0.05, 1000),
                                                   (1e5, 0.01, 500), (3.5, 0.2, 1)])
def test_the_boundary_is_the_published_one(v: float, alpha: float, v_opt: float) -> None:
    assert normal_mixture_bound(v, alpha, best_rho(v_opt, alpha)) == pytest.approx(
        _confseq_two_sided_bound(v, alpha, v_opt), rel=1e-12)
    # Waudby-Smith et al. (2024) write the same boundary with rho' = 1 / rho.
    r = 1 / best_rho(v_opt, alpha)
    ws = v * math.sqrt(2 * (v * r + 1) / (v * v * r) * math.log(math.sqrt(v * r + 1) / alpha))
    assert normal_mixture_bound(v, alpha, best_rho(v_opt, alpha)) == pytest.approx(ws)


def test_the_mixture_is_the_integral_it_claims_and_crosses_at_the_boundary() -> None:
    rho, v, s = 7.0, 40.0, 15.0
    integral, _ = integrate.quad(
        lambda lam: math.exp(lam * s - lam * lam * v / 2) * stats.norm.pdf(lam, 0,
                                                                           1 / math.sqrt(rho)),
        -np.inf, np.inf)
    assert normal_log_mixture(s, v, rho) == pytest.approx(math.log(integral), rel=1e-9)
    u = normal_mixture_bound(v, 0.05, rho)
    assert normal_log_mixture(u, v, rho) == pytest.approx(math.log(1 / 0.05))


def test_the_rate_evalue_is_the_truncated_mixture() -> None:
    k, n, p0 = 7, 300, 0.01
    a, b = 1.0, 99.0
    for above, (lo, hi) in ((True, (p0, 1.0)), (False, (0.0, p0))):
        def weight(q: float) -> float:
            return float(stats.beta.pdf(q, a, b))

        mass, _ = integrate.quad(weight, lo, hi, points=[p0])
        num, _ = integrate.quad(lambda q: math.exp(
            k * math.log(q / p0) + (n - k) * math.log((1 - q) / (1 - p0))) * weight(q),
            lo, hi, points=[p0, k / n], limit=200)
        assert rate_log_evalue(k, n, p0, above) == pytest.approx(math.log(num / mass),
                                                                 rel=1e-6)


def test_rate_tests_keep_alpha_when_checked_after_every_request() -> None:
    """At the threshold (the hardest null), the e-process crosses 1/α at any of
    2,000 looks in at most α of 400 sequences (Ville), in either direction."""
    rng = np.random.default_rng(7)
    alpha, p0, crossed = 0.05, 0.02, {True: 0, False: 0}
    for _ in range(400):
        seq = rng.random(2000) < p0
        ks = np.cumsum(seq)
        for above in (True, False):
            if any(rate_log_evalue(int(ks[i]), i + 1, p0, above) >= math.log(1 / alpha)
                   for i in range(49, 2000, 50)):
                crossed[above] += 1
    assert crossed[True] / 400 <= alpha + 0.02 and crossed[False] / 400 <= alpha + 0.02


def test_the_difference_sequence_covers_and_narrows() -> None:
    rng = np.random.default_rng(3)
    misses = 0
    for _ in range(300):
        a, b = rng.normal(0, 1, 3000), rng.normal(0.1, 1, 3000)
        for n in range(100, 3001, 100):
            cs = difference_cs(_m(a[:n]), _m(b[:n]), 0.05, 1000)
            assert cs is not None
            if not cs.lower <= 0.1 <= cs.upper:
                misses += 1
                break
    assert misses / 300 <= 0.05 + 0.02
    wide = difference_cs(_m(a[:100]), _m(b[:100]), 0.05, 1000)
    narrow = difference_cs(_m(a), _m(b), 0.05, 1000)
    assert wide and narrow and narrow.upper - narrow.lower < (wide.upper - wide.lower) / 3
    assert difference_cs(Moments(1, 1.0, 1.0), _m(b), 0.05) is None


def _m(x: np.ndarray) -> Moments:
    return Moments(len(x), float(x.sum()), float((x * x).sum()))


def test_plan_shorthand_reaches_a_max_that_is_not_a_multiple() -> None:
    plan = Plan.parse({"stepWeight": 20, "maxWeight": 70, "pauseSeconds": 5})
    assert [s.weight for s in plan.steps] == [20, 40, 60, 70]
    assert [s.weight for s in Plan.parse({}).steps] == [5, 25, 50, 100]
    assert [s.weight for s in Plan.parse({"stepWeight": 25}).steps] == [25, 50, 75, 100]
    assert [s.weight for s in Plan.parse({"stepWeight": 0.7, "maxWeight": 2.1}).steps] == [
        0.7, 1.4, 2.1]  # 0.7 x 3 is not quite 2.1 in floating point
    for bad in ({"steps": [{"weight": 50}, {"weight": 20}]},
                {"steps": [{"weight": 10}], "stepWeight": 5},
                {"alpha": float("nan")}, {"gates": [{"name": "quality"}, {"name": "quality"}]},
                {"steps": [{"weight": 10, "require": ["drift"]}]}, {"steps": [{"weight": 0}]}):
        with pytest.raises(ValidationFailed):
            Plan.parse(bad)


def test_the_decision_rule() -> None:
    from pilotdeck.domain.gates import GateResult, Verdict

    plan = Plan.parse({"steps": [{"weight": 10, "pauseSeconds": 60, "minSamples": 5},
                                 {"weight": 100, "pauseSeconds": 0, "minSamples": 0}],
                       "maxStepSeconds": 600, "onTimeout": "rollback"})
    ok, bad, unsure = (GateResult("quality", v, "x") for v in Verdict)
    assert decide(plan, 0, Phase.RUNNING, 10, 50, [bad], []).action is Action.ROLLBACK
    assert decide(plan, 0, Phase.WAITING, 10, 50, [bad], []).action is Action.ROLLBACK
    assert decide(plan, 0, Phase.PAUSED, 100, 50, [ok], []).action is Action.WAIT
    assert decide(plan, 0, Phase.RUNNING, 10, 50, [ok], []).action is Action.WAIT
    assert decide(plan, 0, Phase.RUNNING, 100, 2, [ok], []).action is Action.HOLD
    assert decide(plan, 0, Phase.RUNNING, 100, 50, [unsure], []).action is Action.HOLD
    assert decide(plan, 0, Phase.RUNNING, 100, 50, [ok], ["runbook"]).action is Action.HOLD
    assert decide(plan, 0, Phase.RUNNING, 100, 50, [ok], []).action is Action.PROCEED
    assert decide(plan, 1, Phase.RUNNING, 0, 0, [ok], []).action is Action.PROMOTE
    late = decide(plan, 0, Phase.RUNNING, 700, 50, [unsure], [])
    assert late.action is Action.ROLLBACK and "maxStepSeconds" in late.reason


# -- simulation ---------------------------------------------------------------
def _pool(rng: np.random.Generator, n: int, accuracy: float, revenue: float,
          errors: float = 0.001) -> Pool:
    return Pool(rng.gamma(4, 5, n), rng.random(n) < errors,
                (rng.random(n) < accuracy).astype(float), rng.normal(revenue, 10, n))


PLAN = {"steps": [{"weight": w, "pauseSeconds": 60, "minSamples": 100} for w in (5, 25, 50)],
        "gates": [{"name": "errorRate"}, {"name": "latency"},
                  {"name": "quality", "margin": 0.02}, {"name": "uplift", "margin": 1.0}],
        "designSamples": 500}
LIMITS = Thresholds(0.01, 250)


def test_aa_traffic_is_rolled_back_at_most_alpha_and_the_naive_gate_is_not() -> None:
    """500 A/A replays with a check after every batch of 100 requests: the
    anytime-valid gates roll back at most α (+ slack for 500 draws); the fixed-α
    z-test checked as often rolls back far more."""
    rng = np.random.default_rng(11)
    same = _pool(rng, 20_000, 0.8, 10)
    pools = {"champion": same, "challenger": same}
    plan = Plan.parse(PLAN)
    av = [replay(plan, pools, LIMITS, np.random.default_rng(i), batch=100, max_requests=6000)
          for i in range(500)]
    naive = [replay(plan, pools, LIMITS, np.random.default_rng(i), batch=100,
                    max_requests=6000, evaluator=naive_evaluate) for i in range(500)]
    av_oc, naive_oc = operating_characteristics(av), operating_characteristics(naive)
    assert av_oc["rolledBack"] <= 0.05 + 0.02
    assert naive_oc["rolledBack"] > 0.05 + 0.02 > av_oc["rolledBack"]


def test_better_is_promoted_worse_rolled_back_first_and_tiny_holds() -> None:
    rng = np.random.default_rng(5)
    base = _pool(rng, 50_000, 0.8, 10)
    plan = Plan.parse(PLAN)
    better = [replay(plan, {"champion": base, "challenger": _pool(rng, 50_000, 0.92, 14)},
                     LIMITS, np.random.default_rng(i), batch=100) for i in range(20)]
    assert {r.decision for r in better} == {"promoted"}
    assert [s["step"] for s in better[0].steps] == [1, 2, 3]
    worse_pool = _pool(rng, 20_000, 0.55, 10)
    worse = [replay(plan, {"champion": base, "challenger": worse_pool}, LIMITS,
                    np.random.default_rng(i), batch=100) for i in range(20)]
    assert {r.decision for r in worse} == {"rolled-back"}
    assert {r.steps[-1]["step"] for r in worse} == {1}
    tiny = replay(plan, {"champion": base, "challenger": base}, LIMITS,
                  np.random.default_rng(0), batch=10, max_requests=200)
    assert tiny.decision == "held"
    few = _pool(rng, 30, 0.99, 20)  # a clearly better but tiny table: never resampled
    small = replay(plan, {"champion": _pool(rng, 600, 0.5, 10), "challenger": few}, LIMITS,
                   np.random.default_rng(0), batch=10)
    assert small.decision == "held" and "ran out" in small.steps[-1]["reason"]


def test_the_decision_rule_holds_its_promises_for_any_evidence() -> None:
    """Property: a failing gate always rolls back, in every phase; nothing moves
    forward while a step is young, short of samples, blocked or unsure; a hold never
    becomes a failure before maxStepSeconds."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pilotdeck.domain.gates import GateResult, Verdict

    verdicts = st.lists(st.sampled_from(list(Verdict)), min_size=1, max_size=4)

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(verdicts, st.sampled_from(list(Phase)), st.floats(0, 1000), st.integers(0, 500),
           st.booleans(), st.sampled_from(["rollback", "proceed", "pause"]),
           st.integers(0, 1))
    def check(vs: list[Verdict], phase: Phase, age: float, samples: int, blocked: bool,
              on_timeout: str, step: int) -> None:
        plan = Plan.parse({"steps": [{"weight": 10, "pauseSeconds": 100, "minSamples": 50},
                                     {"weight": 60, "pauseSeconds": 100, "minSamples": 50}],
                           "maxStepSeconds": 600, "onTimeout": on_timeout})
        results = [GateResult(f"g{i}", v, "x") for i, v in enumerate(vs)]
        d = decide(plan, step, phase, age, samples, results, ["runbook"] if blocked else [])
        failed = Verdict.FAIL in vs
        if failed:
            assert d.action is Action.ROLLBACK
            return
        forward = {Action.PROCEED, Action.PROMOTE, Action.CONFIRM}
        if phase is not Phase.RUNNING or age < 100:
            assert d.action is Action.WAIT
        unsure = samples < 50 or blocked or Verdict.INCONCLUSIVE in vs
        if unsure and age < 600:
            assert d.action not in forward and d.action is not Action.ROLLBACK
        if d.action is Action.ROLLBACK:
            assert on_timeout == "rollback" and age >= 600
        if d.action in (Action.PROMOTE,):
            assert step == 1

    check()


def test_one_extreme_outcome_does_not_blind_the_uplift_gate() -> None:
    """A client can send any finite outcome; clipped to ±clip, one 1e300 is one large
    value, not an infinite sum that leaves the gate undecidable for the rollout."""
    import pyarrow as pa

    from pilotdeck.services.rollout_sim import simulate

    rng = np.random.default_rng(3)
    n = 20_000
    variant = np.where(np.arange(n) % 2 == 0, "champion", "challenger")
    revenue = rng.normal(np.where(variant == "champion", 10.0, 14.0), 3)
    revenue[1] = 1e300  # the challenger's second request
    table = pa.table({"variant": variant, "latency_ms": np.full(n, 5.0),
                      "error": np.zeros(n, dtype=bool), "revenue": revenue})
    plan = Plan.parse({"steps": [{"weight": 50, "pauseSeconds": 0, "minSamples": 50}],
                       "gates": [{"name": "uplift", "clip": 1000, "minSamples": 30}]})
    out = simulate(table, plan, LIMITS, batch=20)
    assert out.decision == "promoted", out.steps[-1]
    stats = out.steps[-1]["gates"][0]["stats"]
    assert all(np.isfinite(stats[k]) for k in ("difference", "lower", "upper"))
