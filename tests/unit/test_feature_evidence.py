"""The maturity model's shared-features practice is proved by the feature store's
reuse (which pilots use which view), not by the pilot's say-so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pilotdeck.domain.pilot import PilotManifest
from pilotdeck.services.evidence import FeatureEvidence

DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"


def manifest(name: str) -> PilotManifest:
    return PilotManifest.model_validate(yaml.safe_load((DEMO / f"{name}.yaml").read_text()))


def test_shared_features_are_evidence_of_reuse() -> None:
    reuse: dict[str, list[str]] = {"customer": ["churn-prediction", "next-best-offer"],
                                   "stores": ["demand-forecasting"]}
    ev = FeatureEvidence(lambda: reuse)
    none: Any = None
    [shared] = ev.collect(none, manifest("churn-prediction"))
    assert shared.key == "features.shared" and shared.satisfied and "customer" in shared.note
    [alone] = ev.collect(none, manifest("demand-forecasting"))
    assert not alone.satisfied and "0 shared" in alone.note
    assert ev.collect(none, manifest("fraud-detection-realtime")) == []  # uses none
