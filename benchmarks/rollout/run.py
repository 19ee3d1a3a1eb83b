"""Rollout gates benchmark: operating characteristics of a plan, anytime-valid vs naive.

Replays synthetic traffic through the default-shaped plan (5 → 25 → 50 → 100 %,
each step at least 5 simulated minutes at 10 requests/s, a check after every
batch of 50 requests) with the same gates twice:

- **anytime-valid**: pilotdeck's gates (normal-mixture confidence sequences for
  quality and uplift, exact e-processes for error rate and latency);
- **naive**: a fixed-α two-sample z-test re-run at every check, what canary
  tools without sequential statistics do (same α, same split between gates).

Scenarios: A/A (the challenger is the champion: every rollback is a false
alarm), a clearly better challenger, a slightly better one, a clearly worse one.
Prints the share promoted / rolled back / held and the median requests to a
decision. The claim checked: under A/A the anytime-valid rollbacks stay at or
below α while the naive ones exceed it.

    make bench-rollout
    python benchmarks/rollout/run.py --replays 200
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from pilotdeck.domain.gates import Thresholds
from pilotdeck.domain.rollout import Plan
from pilotdeck.domain.simulation import (
    Pool,
    naive_evaluate,
    operating_characteristics,
    replay,
)

PLAN = {"pauseSeconds": 300, "minSamples": 100, "alpha": 0.05, "designSamples": 1000,
        "gates": [{"name": "errorRate"}, {"name": "latency"},
                  {"name": "quality", "margin": 0.02}, {"name": "uplift", "margin": 0.5}]}
LIMITS = Thresholds(max_error_rate=0.01, p99_latency_ms=250)


def pool(rng: np.random.Generator, n: int, accuracy: float, revenue: float) -> Pool:
    return Pool(rng.gamma(4, 5, n), rng.random(n) < 0.001,
                (rng.random(n) < accuracy).astype(float), rng.normal(revenue, 10, n))


def run(replays: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    champion = pool(rng, 100_000, 0.80, 10.0)
    scenarios = {
        "A/A (equal)": champion,
        "clearly better (+8 pts, +3 revenue)": pool(rng, 100_000, 0.88, 13.0),
        "slightly better (+2 pts, +1 revenue)": pool(rng, 100_000, 0.82, 11.0),
        "clearly worse (-10 pts)": pool(rng, 100_000, 0.70, 10.0),
    }
    plan = Plan.parse(PLAN)
    out = []
    for name, challenger in scenarios.items():
        pools = {"champion": champion, "challenger": challenger}
        for label, evaluator in (("anytime-valid", None), ("naive z-test", naive_evaluate)):
            start = time.perf_counter()
            runs = [replay(plan, pools, LIMITS, np.random.default_rng([seed, i]),
                           max_requests=60_000,
                           **({"evaluator": evaluator} if evaluator else {}))
                    for i in range(replays)]
            oc = operating_characteristics(runs)
            checks = sum(r.requests for r in runs) / 50
            out.append({"scenario": name, "gates": label, **oc,
                        "usPerCheck": (time.perf_counter() - start) / checks * 1e6})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replays", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rows = run(args.replays, args.seed)
    print(f"{args.replays} replays per row; α = {PLAN['alpha']}; plan 5/25/50/100 %, "
          "≥ 300 s and ≥ 100 challenger requests per step, a check every 50 requests")
    print(f"{'scenario':38} {'gates':14} {'promoted':>9} {'rolled back':>12} {'held':>6} "
          f"{'median requests':>16} {'µs/check':>9}")
    for r in rows:
        med = r["medianRequestsToDecision"]
        shown = f"{med:,.0f}" if med is not None else "-"
        print(f"{r['scenario']:38} {r['gates']:14} {r['promoted']:9.1%} {r['rolledBack']:12.1%} "
              f"{r['held']:6.1%} {shown:>16} {r['usPerCheck']:9.0f}")
    aa = {r["gates"]: r["rolledBack"] for r in rows if r["scenario"].startswith("A/A")}
    alpha = PLAN["alpha"]
    print(f"\nA/A false rollbacks: anytime-valid {aa['anytime-valid']:.1%} "
          f"({'≤' if aa['anytime-valid'] <= alpha else '>'} α = {alpha:.0%}), naive "
          f"{aa['naive z-test']:.1%} ({aa['naive z-test'] / alpha:.1f}x α)")


if __name__ == "__main__":
    main()
