"""Maturity from the platform's own evidence: a pilot registered, A/B-served,
profiled and watched by alert rules is scored on that, not on a blank form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pilotdeck.config import Settings
from pilotdeck.domain.maturity import AssessmentInput
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.governance import minimal_risk
from tests.integration.conftest import ADMIN

PILOT = "churn-prediction"


def practices(result: Any) -> dict[str, Any]:
    return {p["id"]: p for d in result.dump()["dimensions"] for p in d["practices"]}


def test_registry_serving_monitoring_and_alerting_count_as_evidence(
        tmp_path: Path, demo_pilots: Path, trained: dict[str, Any]) -> None:
    rules = tmp_path / "alerts.yaml"
    p = Platform(Settings(home=tmp_path / "home", alert_rules=rules))
    try:
        p.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
        minimal_risk(p, PILOT)
        before = p.assessments.assess(PILOT, AssessmentInput(), ADMIN, save=False)
        dims = {d.id: d for d in before.dimensions}
        assert dims["model-versioning"].level == 1  # "Models live in notebooks"
        assert practices(before)["de-shared-serving"]["satisfied"] is False

        reference = tmp_path / "reference.parquet"
        trained["X"].to_parquet(reference)
        for name in ("lr", "hgb"):
            p.models.register(PILOT, ADMIN, path=trained["dir"] / name,
                              metrics={"auc": 0.8}, datasets=["crm_events@v1"],
                              reference=reference)
        p.models.deploy(PILOT, DeploymentSpec.parse({"variants": [
            {"name": "champion", "version": 1, "weight": 90},
            {"name": "challenger", "version": 2, "weight": 10}]}), ADMIN)
        rules.write_text(f"rules:\n  - {{name: auc-low, pilot: {PILOT}, "
                         "metric: quality.roc_auc, window: 1d, threshold: 0.7, "
                         "comparison: '<'}\n")

        after = p.assessments.assess(PILOT, AssessmentInput(), ADMIN, save=False)
        dims = {d.id: d for d in after.dimensions}
        assert dims["model-versioning"].level >= 3
        assert "notebooks" not in dims["model-versioning"].descriptor
        got = practices(after)
        for pid in ("mv-experiments", "mv-registry", "mv-lineage", "de-shared-serving",
                    "de-staged-rollout", "mo-health", "mo-drift", "mo-alerts"):
            assert got[pid]["satisfied"] and got[pid]["source"] == "evidence", (pid, got[pid])
        assert "auc-low" in got["mo-alerts"]["note"]
        assert "2 live variant(s)" in got["de-staged-rollout"]["note"]
        org = p.assessments.assess(None, AssessmentInput(), ADMIN, save=False)
        assert org.dump()["evidence"]["models.registered"]["satisfied"]  # its only pilot
    finally:
        p.close()
