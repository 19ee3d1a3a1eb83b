"""Staged maturity scoring, evidence versus answers, gaps and the shipped model."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.evidence import aggregate, manifest_evidence
from pilotdeck.domain.maturity import AssessmentInput, Evidence, MaturityModel, assess
from pilotdeck.domain.pilot import parse_manifest

MODEL = MaturityModel.from_data(
    yaml.safe_load(resources.files("pilotdeck.data").joinpath("maturity.yaml").read_text())
)


def dim(result: dict, dim_id: str) -> dict:  # type: ignore[type-arg]
    return next(d for d in result["dimensions"] if d["id"] == dim_id)


def test_shipped_model_covers_required_dimensions_with_five_levels() -> None:
    ids = {d.id for d in MODEL.dimensions}
    assert {"data-governance", "model-versioning", "monitoring", "risk-compliance",
            "deployment"} <= ids
    for d in MODEL.dimensions:
        assert sorted(d.levels) == [1, 2, 3, 4, 5] and all(d.levels.values())
        assert {p.level for p in d.practices} >= {2, 3, 4}


def test_levels_are_staged_a_gap_at_level_two_caps_the_dimension() -> None:
    answers = {p.id: True for d in MODEL.dimensions for p in d.practices
               if d.id == "deployment" and p.level != 2}
    r = assess(MODEL, AssessmentInput(answers=answers), {})
    assert dim(r, "deployment")["level"] == 1  # level-2 practices unanswered
    answers.update({"de-repeatable": True, "de-runbook": True})
    r = assess(MODEL, AssessmentInput(answers=answers), {})
    assert dim(r, "deployment")["level"] == 5
    assert dim(r, "deployment")["gap"] == 0


def test_overall_is_weakest_dimension_and_gap_to_target() -> None:
    r = assess(MODEL, AssessmentInput(scores={d.id: 4 for d in MODEL.dimensions} |
                                      {"monitoring": 2}, target=5), {})
    assert r["overall"]["level"] == 2
    assert r["overall"]["weakest"] == ["monitoring"]
    assert r["overall"]["gap"] == 3
    assert dim(r, "monitoring")["gap"] == 3 and dim(r, "deployment")["gap"] == 1
    assert dim(r, "monitoring")["source"] == "direct"


def test_evidence_overrides_a_claim_and_reports_the_discrepancy() -> None:
    inp = AssessmentInput(answers={"dg-sources-declared": True, "dg-owners": True})
    refuted = {"data.sources_declared": Evidence("data.sources_declared", True, "2 sources"),
               "data.owners_named": Evidence("data.owners_named", False, "1/2 owned")}
    d = dim(assess(MODEL, inp, refuted), "data-governance")
    assert d["level"] == 1
    assert d["discrepancies"] == ["dg-owners"]
    # Evidence can also satisfy an unanswered practice.
    proven = dict(refuted, **{"data.owners_named": Evidence("data.owners_named", True, "2/2")})
    d = dim(assess(MODEL, AssessmentInput(), proven), "data-governance")
    assert d["level"] == 2 and d["source"] == "evidence" and not d["discrepancies"]


def test_manifest_evidence_rewards_quality_baselines_and_lineage() -> None:
    base = {"apiVersion": "pilotdeck/v1", "kind": "Pilot",
            "metadata": {"name": "a", "businessUnit": "b", "owner": "o"},
            "spec": {"problem": "p", "dataSources": [{"name": "t"}]}}
    weak = parse_manifest(base)
    base["spec"]["dataSources"] = [{"name": "t", "owner": "x", "quality": 0.9,  # type: ignore
                                    "lineage": "crm export"}]
    strong = parse_manifest(base)
    level = {}
    for name, m in (("weak", weak), ("strong", strong)):
        ev = {e.key: e for e in manifest_evidence(m)}
        level[name] = dim(assess(MODEL, AssessmentInput(), ev), "data-governance")["level"]
    assert level["strong"] > level["weak"]
    assert level == {"weak": 1, "strong": 3}


def test_organisation_evidence_needs_most_pilots() -> None:
    yes = {"k": Evidence("k", True, "")}
    no = {"k": Evidence("k", False, "")}
    assert aggregate([yes, yes, yes, no])["k"].satisfied
    assert not aggregate([yes, yes, no, no])["k"].satisfied
    assert "2/4" in aggregate([yes, yes, no, no])["k"].note


def test_invalid_input_names_each_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        assess(MODEL, AssessmentInput(answers={"nope": True}, scores={"monitoring": 9},
                                      targets={"vibes": 3}), {})
    fields = {e.field for e in exc.value.errors}
    assert fields == {"answers.nope", "scores.monitoring", "targets.vibes"}
