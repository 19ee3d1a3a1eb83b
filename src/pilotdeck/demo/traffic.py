"""Demo traffic: requests routed as the gateway routes them, and their business outcomes.

The demo has no callers, so it replays a burst of them into the same prediction
and feedback logs the gateway writes: inputs drawn from the pilot's own data
generator (seeded), each request routed by its caller key through the
deployment's weights (the gateway's sticky router), the prediction made by the
registered model version that variant serves, and a business outcome computed
from the prediction and the true label — so a better model earns more, and the
programme report's revenue, cost savings and uplift come out of real model
behaviour. Latency is drawn from a seeded distribution (the demo measures no
network); everything else is deterministic for a given seed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from pilotdeck.demo.models import PROBLEMS
from pilotdeck.domain.serving import Router
from pilotdeck.platform import Platform

# (features, true label, prediction) -> (revenue, cost_saved); None: not recorded.
Outcome = Callable[[pd.DataFrame, np.ndarray, np.ndarray],
                   tuple[np.ndarray | None, np.ndarray | None]]


def fraud_outcome(X: pd.DataFrame, y: np.ndarray, pred: np.ndarray
                  ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A blocked fraud saves its amount; blocking a genuine payment costs a review."""
    flagged = np.asarray(pred).astype(float) >= 0.5
    saved = np.where(flagged & (y == 1), X["amount"].to_numpy(), 0.0)
    return None, np.round(saved - np.where(flagged & (y == 0), 3.0, 0.0), 2)


def demand_outcome(X: pd.DataFrame, y: np.ndarray, pred: np.ndarray
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Stock follows the forecast: units sold earn a margin, unsold units are
    marked down."""
    stock = np.maximum(np.asarray(pred, dtype=float), 0.0)
    sold = np.minimum(stock, y)
    return np.round(1.2 * sold - 0.4 * (stock - sold), 2), None


@dataclass(frozen=True)
class Replayed:
    requests: int
    by_variant: dict[str, int]


def replay(platform: Platform, pilot: str, n: int, seed: int, outcome: Outcome) -> Replayed:
    """Route ``n`` requests through ``pilot``'s current deployment, log them and
    their outcomes (feedback with the true label)."""
    problem = next(p for p in PROBLEMS if p.pilot == pilot)
    rng = np.random.default_rng(seed)
    X, y = problem.make(rng, n)
    spec = platform.models.deployment(pilot).spec
    router = Router(spec.variants)
    variants = np.array([router.pick(f"{pilot}:{seed}:{i}") for i in range(n)])
    pred = np.zeros(n)
    versions = np.zeros(n, dtype=int)
    for name in sorted(set(variants)):
        mask = variants == name
        v = spec.variant(name)
        assert v is not None
        versions[mask] = v.version
        model = platform.registry.load(pilot, v.version)
        pred[mask] = np.asarray(model.predict(X[mask]), dtype=float).ravel()
    if problem.kind == "classification":
        pred = pred.astype(int)
    revenue, saved = outcome(X, y, pred)
    latency = rng.lognormal(np.log(12.0), 0.35, n)
    now = datetime.now(UTC)
    ids = [f"demo-{pilot}-{seed}-{i}" for i in range(n)]
    columns = list(X.columns)
    values = X.to_numpy().tolist()
    scalar = (lambda v: int(v)) if problem.kind == "classification" else float
    preds = [{"request_id": ids[i], "ts": now, "pilot": pilot, "variant": str(variants[i]),
              "model_version": int(versions[i]),
              "inputs": _json({"columns": columns, "data": [values[i]]}),
              "outputs": _json([scalar(pred[i])]), "latency_ms": float(latency[i]),
              "cache_hit": False, "status": 200, "rows": 1} for i in range(n)]
    feedback = [{"request_id": ids[i], "ts": now, "pilot": pilot, "label": _json(scalar(y[i])),
                 "revenue": None if revenue is None else float(revenue[i]),
                 "cost_saved": None if saved is None else float(saved[i]),
                 "satisfaction": None} for i in range(n)]
    asyncio.run(_write(platform, preds, feedback))
    names, counts = np.unique(variants, return_counts=True)
    return Replayed(n, {str(k): int(c) for k, c in zip(names, counts, strict=True)})


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


async def _write(platform: Platform, preds: list[dict[str, Any]],
                 feedback: list[dict[str, Any]]) -> None:
    """Append through the lake's log writers, as the gateway does, and flush."""
    for writer, records in ((platform.lake.prediction_log(60, 10**9), preds),
                            (platform.lake.feedback_log(60, 10**9), feedback)):
        for r in records:
            writer.append(r)
        await writer.close()
