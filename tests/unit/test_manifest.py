"""Manifest validation: every problem named by field path, in the user's words."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.pilot import parse_manifest

GOOD: dict[str, Any] = {
    "apiVersion": "pilotdeck/v1",
    "kind": "Pilot",
    "metadata": {"name": "churn-prediction", "businessUnit": "Retail", "owner": "ana@x.example"},
    "spec": {
        "problem": "Reduce churn",
        "team": ["Ana", {"name": "Raj", "role": "data scientist"}],
        "dataSources": [{"name": "crm_events", "kind": "table", "quality": 0.8}],
        "scores": {"impact": {"value": 5}, "complexity": {"data": 2}},
    },
}


def bad(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    node = doc
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return doc


def errors_of(doc: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        parse_manifest(doc, "x.yaml")
    assert all(e.source == "x.yaml" for e in exc.value.errors)
    return [(e.field, e.problem) for e in exc.value.errors]


def test_good_manifest_parses_and_team_strings_become_members() -> None:
    m = parse_manifest(GOOD)
    assert m.name == "churn-prediction"
    assert [t.name for t in m.spec.team] == ["Ana", "Raj"]
    assert m.spec.status.value == "pilot"


@pytest.mark.parametrize(
    ("path", "value", "field", "problem"),
    [
        ("spec.scores.impact.value", 7, "spec.scores.impact.value", "must be 1..5, got 7"),
        ("spec.scores.impact.value", 0, "spec.scores.impact.value", "must be 1..5, got 0"),
        ("spec.scores.impact.value", True, "spec.scores.impact.value", "whole number"),
        ("spec.scores.complexity.data", 2.5, "spec.scores.complexity.data", "whole number"),
        ("spec.dataSources.0.quality", 1.5, "spec.dataSources[0].quality", "must be 0..1"),
        ("spec.status", "live", "spec.status", "'pilot', 'scaling', 'production' or 'sunset'"),
        ("metadata.name", "Churn Prediction", "metadata.name", "lower-case"),
        ("spec.economics", {"productionCostPerYear": -5}, "spec.economics.productionCostPerYear",
         "must be >= 0"),
        ("spec.scroes", {}, "spec.scroes", "not a known field"),
        ("kind", "Service", "kind", "'Pilot'"),
        ("apiVersion", "pilotdeck/v9", "apiVersion", "'pilotdeck/v1'"),
    ],
)
def test_bad_fields_are_named_with_the_problem(path: str, value: Any, field: str,
                                               problem: str) -> None:
    errs = errors_of(bad(path, value))
    assert any(f == field and problem in p for f, p in errs), errs


def test_missing_required_fields_and_all_problems_reported_at_once() -> None:
    doc = copy.deepcopy(GOOD)
    del doc["metadata"]["owner"]
    del doc["spec"]["problem"]
    doc["spec"]["scores"]["impact"]["value"] = 9
    errs = dict(errors_of(doc))
    assert errs["metadata.owner"] == "is required"
    assert errs["spec.problem"] == "is required"
    assert "spec.scores.impact.value" in errs


def test_non_mapping_document_is_rejected() -> None:
    assert errors_of(["not", "a", "mapping"])[0][1].startswith("a manifest must be a mapping")


def test_errors_never_echo_string_inputs() -> None:
    secret = "Jane Doe, 1 Secret Street"
    errs = errors_of(bad("spec.status", secret))
    assert all(secret not in p for _, p in errs)


def test_digest_ignores_key_order_and_changes_with_content() -> None:
    a = parse_manifest(GOOD)
    reordered = {"spec": GOOD["spec"], "metadata": GOOD["metadata"], "kind": "Pilot",
                 "apiVersion": "pilotdeck/v1"}
    assert parse_manifest(reordered).digest() == a.digest()
    assert parse_manifest(bad("spec.problem", "Other")).digest() != a.digest()
    # Round trip through the document form is stable (export then import is a no-op).
    assert parse_manifest(a.document()).digest() == a.digest()
