"""A pilot with everything the dashboard's pilot and governance pages can show:
a maturity assessment, a version registered with a reference table (so a drift
profile and a global explanation), a fairness report, requests logged in the last
day with labels and business outcomes, a readiness waiver and a control attestation
that lapse soon. Shared by the data tests and the browser walk."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import local_admin
from pilotdeck.platform import Platform
from tests.lake_logs import write_logs

ADMIN = local_admin("tester")
FEATURES = ["tenure", "spend", "calls", "segment"]  # segment: the sensitive column too
REQUESTS = 240


def save_model(home: Path) -> tuple[Path, Path]:
    """A logistic regression on FEATURES; its model dir and its labelled reference table."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from pilotdeck.adapters.registry import save_sklearn

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=FEATURES[:3])
    X["segment"] = rng.integers(0, 2, size=200).astype(float)
    y = (X.tenure - X.spend > 0).astype(int)
    save_sklearn(LogisticRegression().fit(X, y), home / "lr", X)
    reference = home / "reference.parquet"
    X.assign(label=y).to_parquet(reference)
    return home / "lr", reference


def assess(platform: Platform, pilot: str) -> None:
    from pilotdeck.domain.maturity import AssessmentInput

    platform.assessments.assess(pilot, AssessmentInput(target=4), ADMIN)


def register(platform: Platform, pilot: str, home: Path, versions: int = 2) -> None:
    """``versions`` versions of the model; the first with the reference table (profile,
    explanation) and a fairness report by ``segment``."""
    model, reference = save_model(home)
    platform.models.register(pilot, ADMIN, path=model, metrics={"auc": 0.81},
                             reference=reference)
    for _ in range(versions - 1):
        platform.models.register(pilot, ADMIN, path=model, metrics={"auc": 0.81})
    platform.fairness.evaluate(pilot, 1, reference, "label", ["segment"], ADMIN)


def log_traffic(platform: Platform, pilot: str, n: int = REQUESTS, seed: int = 5) -> None:
    """``n`` one-row requests to champion v1 over the last day, each with a label and
    the outcomes, through the lake's own log writers."""
    import numpy as np
    import orjson

    rng = np.random.default_rng(seed)
    now = utcnow()
    preds, feedback = [], []
    for i in range(n):
        row = [float(x) for x in rng.normal(size=3)] + [float(i % 2)]
        label = int(row[0] - row[1] > 0)
        prediction = label if rng.random() < 0.8 else 1 - label
        ts = now - timedelta(hours=20) + timedelta(seconds=60 * i)
        rid = f"dash-{i}"
        preds.append({"request_id": rid, "ts": ts, "pilot": pilot, "variant": "champion",
                      "model_version": 1,
                      "inputs": orjson.dumps({"columns": FEATURES, "data": [row]}).decode(),
                      "outputs": orjson.dumps([prediction]).decode(), "latency_ms": 4.0,
                      "cache_hit": False, "status": 200, "rows": 1})
        feedback.append({"request_id": rid, "ts": ts + timedelta(minutes=5), "pilot": pilot,
                         "label": str(label), "revenue": float(rng.normal(10, 2)),
                         "cost_saved": 1.5, "satisfaction": float(rng.integers(3, 6))})
    write_logs(platform, preds, feedback)


def sign_soon_lapsing(platform: Platform, pilot: str) -> None:
    """A waiver for 10 days and a control attestation for 5 (the board's)."""
    from pilotdeck.auth.roles import Principal, Role

    board = Principal("board:amara", Role.GOVERNANCE_BOARD)
    platform.readiness.attestations.attest(
        pilot, "runbook", "waived", "the runbook is being rewritten", board,
        expires_at=utcnow() + timedelta(days=10))
    platform.approvals.attest(pilot, "human-oversight", "doc-42", board, valid_days=5)


def populate(platform: Platform, pilot: str, home: Path, *, deploy: bool = True) -> Any:
    """Everything above for ``pilot``; champion v1 at 100 % when ``deploy``."""
    from pilotdeck.domain.serving import DeploymentSpec
    from tests.governance import minimal_risk

    assess(platform, pilot)
    register(platform, pilot, home)
    minimal_risk(platform, pilot)
    if deploy:
        platform.models.deploy(pilot, DeploymentSpec.parse(
            {"variants": [{"name": "champion", "version": 1, "weight": 100}]}), ADMIN)
    log_traffic(platform, pilot)
    sign_soon_lapsing(platform, pilot)
