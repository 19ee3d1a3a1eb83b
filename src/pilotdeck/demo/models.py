"""Train small real scikit-learn models on generated data for four demo pilots.

Nothing is downloaded: the data is generated with a fixed seed, written to the
lakehouse as Parquet (the lineage the registry records), and the models are
saved as MLflow models, registered, aliased and deployed 90/10.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pilotdeck.adapters.registry import save_sklearn
from pilotdeck.auth.roles import Principal
from pilotdeck.demo.governance import sign_off
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform


@dataclass(frozen=True)
class DemoProblem:
    pilot: str
    kind: str  # classification | regression
    make: Callable[[np.random.Generator, int], tuple[pd.DataFrame, np.ndarray]]


def _churn(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame({
        "tenure_months": rng.integers(1, 72, n).astype(float),
        "monthly_spend": rng.gamma(4, 15, n),
        "support_calls": rng.poisson(1.5, n).astype(float),
        "age": rng.integers(18, 80, n).astype(float),
        "contract_months": rng.choice([1.0, 12.0, 24.0], n),
    })
    logit = (-0.04 * X.tenure_months + 0.6 * X.support_calls - 0.05 * X.contract_months
             + 0.01 * X.monthly_spend - 0.5)
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _credit(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame({
        "annual_revenue": rng.lognormal(12, 0.8, n),
        "debt_ratio": rng.beta(2, 5, n),
        "years_in_business": rng.integers(0, 40, n).astype(float),
        "loan_amount": rng.lognormal(10.5, 0.7, n),
        "prior_defaults": rng.poisson(0.2, n).astype(float),
    })
    logit = (3 * X.debt_ratio + 0.9 * X.prior_defaults - 0.05 * X.years_in_business
             + 0.4 * np.log(X.loan_amount / X.annual_revenue + 1e-6) - 1)
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _handoff(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The support assistant's escalation model: hand the chat to a person?"""
    X = pd.DataFrame({
        "messages": rng.poisson(6, n).astype(float),
        "sentiment": rng.uniform(-1, 1, n),
        "wait_minutes": rng.gamma(2, 3, n),
        "repeat_contact": (rng.random(n) < 0.3).astype(float),
    })
    logit = -1.8 * X.sentiment + 0.15 * X.messages + 0.9 * X.repeat_contact - 1.5
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _fraud(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame({
        "amount": rng.lognormal(3.5, 1.2, n),
        "hour": rng.integers(0, 24, n).astype(float),
        "merchant_risk": rng.beta(1, 8, n),
        "distance_km": rng.exponential(20, n),
        "txn_last_hour": rng.poisson(1, n).astype(float),
    })
    night = ((X.hour < 6) | (X.hour > 22)).astype(float)
    logit = (-5 + 6 * X.merchant_risk + 0.02 * X.distance_km + 0.8 * X.txn_last_hour
             + night + 0.002 * X.amount)
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _demand(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame({
        "day_of_week": rng.integers(0, 7, n).astype(float),
        "promo": rng.integers(0, 2, n).astype(float),
        "price": rng.uniform(1, 10, n),
        "temperature": rng.normal(15, 8, n),
        "store_size": rng.choice([1.0, 2.0, 3.0], n),
    })
    y = (50 * X.store_size + 30 * X.promo - 4 * X.price + 8 * (X.day_of_week >= 5)
         + 0.5 * np.maximum(X.temperature - 20, 0) ** 2 + rng.normal(0, 5, n))
    return X, y.to_numpy()


REGIONS = ["north", "south", "east", "west"]
# Owner teams of the demo's training datasets, and which hold personal data.
TEAMS = {"churn-prediction": "crm", "credit-risk-scoring": "risk-analytics",
         "fraud-detection-realtime": "fraud-ops"}
PII = {"credit-risk-scoring"}

PROBLEMS = [DemoProblem("churn-prediction", "classification", _churn),
            DemoProblem("credit-risk-scoring", "classification", _credit),
            DemoProblem("fraud-detection-realtime", "classification", _fraud),
            DemoProblem("demand-forecasting", "regression", _demand),
            DemoProblem("customer-support-assistant", "classification", _handoff)]


def _candidates(kind: str) -> list[tuple[str, Any]]:
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "classification":
        return [("logistic-regression", make_pipeline(StandardScaler(),
                                                      LogisticRegression(max_iter=500))),
                ("hist-gradient-boosting", HistGradientBoostingClassifier(max_iter=80)),
                ("random-forest", RandomForestClassifier(n_estimators=40, max_depth=8,
                                                         random_state=0))]
    return [("ridge", make_pipeline(StandardScaler(), Ridge())),
            ("hist-gradient-boosting", HistGradientBoostingRegressor(max_iter=80))]


def _metrics(kind: str, model: Any, X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    from sklearn import metrics as m

    if kind == "classification":
        p = model.predict_proba(X)[:, 1]
        return {"roc_auc": float(m.roc_auc_score(y, p)),
                "accuracy": float(m.accuracy_score(y, model.predict(X)))}
    pred = model.predict(X)
    return {"mae": float(m.mean_absolute_error(y, pred)), "r2": float(m.r2_score(y, pred))}


def register_fitted(platform: Platform, pilot: str, model: Any, X: pd.DataFrame,
                    who: Principal, **details: Any) -> Any:
    """Save a fitted scikit-learn model in MLflow's format (its signature from ``X``)
    and register it as the pilot's next version."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_sklearn(model, Path(tmp) / "model", X)
        return platform.models.register(pilot, who, path=path, **details)


def train_and_register(platform: Platform, who: Principal,
                       progress: Callable[[str], None] | None = None) -> list[str]:
    """Train, register and deploy the demo models; skips pilots that have versions."""
    done: list[str] = []
    for i, problem in enumerate(PROBLEMS):
        if platform.models.versions(problem.pilot):
            continue
        rng = np.random.default_rng(100 + i)
        X, y = problem.make(rng, 4000)
        table = platform.lake.table_dir(f"{problem.pilot.replace('-', '_')}_training")
        # ``region`` is not a model input: it is the group fairness is measured by.
        X.assign(label=y, region=rng.choice(REGIONS, len(X))).to_parquet(
            table / "v1.parquet", index=False)
        # The training data is a catalogued dataset with a quality baseline; the
        # credit data is personal (pii: readable only with a grant).
        name = table.name.removesuffix("_training") + "_train"
        platform.datasets.register(
            name, table / "v1.parquet", who, owner=TEAMS.get(problem.pilot, "data-platform"),
            tags=(["pii"] if problem.pilot in PII else []) + ["domain:training"],
            description=f"training data of {problem.pilot}")
        platform.dataset_quality.baseline(name, who)
        dataset = f"dataset:{name}@0"
        train, test = slice(0, 3000), slice(3000, None)
        versions = []
        for name, model in _candidates(problem.kind):
            if progress:
                progress(f"{problem.pilot}: {name}")
            model.fit(X.iloc[train], y[train])
            v = register_fitted(
                platform, problem.pilot, model, X.iloc[train], who, datasets=[dataset],
                metrics=_metrics(problem.kind, model, X.iloc[test], y[test]),
                description=f"{name} trained on {dataset}",
                reference=table / "v1.parquet")  # profile PILOT.vN for drift
            versions.append(v.version)
        platform.models.set_alias(problem.pilot, "champion", versions[0], who)
        platform.models.set_alias(problem.pilot, "challenger", versions[1], who)
        spec = {"variants": [{"name": "champion", "version": versions[0], "weight": 90},
                             {"name": "challenger", "version": versions[1], "weight": 10}],
                "shadow": versions[2:]}
        for live in versions[:2]:  # what a high-risk tier asks before live traffic
            if "fairness-report" in platform.governance.status(problem.pilot, live).missing:
                platform.fairness.evaluate(problem.pilot, live, table / "v1.parquet", "label",
                                           ["region"], who)
        sign_off(platform, problem.pilot, versions[:2], who)  # the board, for risky pilots
        platform.models.deploy(problem.pilot, DeploymentSpec.parse(spec), who)
        done.append(problem.pilot)
    return done
