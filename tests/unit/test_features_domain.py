"""Feature definitions: validation of hostile names and bad types, merging of shared
views, entity coercion. Pure: no Feast needed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.features import (
    coerce_entity,
    merge,
    parse_entity_args,
    parse_features,
    parse_refs,
)
from tests.features.fixtures import churn_doc, offer_doc


def fails(data: Any, pilot: str | None = None) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        parse_features(data, pilot)
    return [f"{e.field}: {e.problem}" for e in exc.value.errors]


def test_a_good_document_parses_and_merges_with_reuse() -> None:
    cat = merge([parse_features(churn_doc()), parse_features(offer_doc())])
    assert cat.used_by == {"customer_stats": ["churn-prediction", "next-best-offer"]}
    assert cat.defined_by == {"customer_stats": "churn-prediction"}
    assert cat.entity_keys() == {"customer_id": "customer"}
    assert list(cat.services) == ["churn-prediction"]


@pytest.mark.parametrize("name", ["../etc", "a/b", "x y", "1abc", "", "a" * 64, "é", "a\x00"])
def test_hostile_view_and_entity_names_are_refused(name: str) -> None:
    doc = churn_doc()
    doc["featureViews"][0]["name"] = name
    assert any(p.startswith("featureViews[0].name") for p in fails(doc))
    doc = churn_doc()
    doc["entities"][0]["joinKeys"] = [name]
    assert any(p.startswith("entities[0].joinKeys[0]") for p in fails(doc))


@pytest.mark.parametrize("table", ["../x", "/abs", "a/b", "."])
def test_hostile_source_tables_are_refused(table: str) -> None:
    doc = churn_doc()
    doc["featureViews"][0]["source"] = {"table": table}
    assert any("source.table" in p for p in fails(doc))


def test_bad_types_and_fields_name_the_field() -> None:
    doc = churn_doc()
    doc["featureViews"][0]["features"][0]["dtype"] = "decimal"
    doc["featureViews"][0]["ttlSeconds"] = -1
    doc["featureViews"][0]["colour"] = "red"
    problems = fails(doc)
    assert any(p.startswith("featureViews[0].features[0].dtype") for p in problems)
    assert any(p.startswith("featureViews[0].ttlSeconds") for p in problems)
    assert "featureViews[0].colour: is not a known field (check the spelling)" in problems
    doc = churn_doc()
    doc["featureViews"][0]["source"] = {"table": "a", "dataset": "b"}
    assert any("exactly one" in p for p in fails(doc))
    assert fails([1, 2]) == [": must be a mapping with entities, featureViews and uses"]
    assert fails(churn_doc(), pilot="other") == ["pilot: does not match the pilot it is "
                                                 "filed under"]


def test_merge_refuses_conflicts_and_dangling_references() -> None:
    other = copy.deepcopy(churn_doc())
    other["pilot"] = "next-best-offer"
    other["featureViews"][0]["ttlSeconds"] = 60
    with pytest.raises(ValidationFailed) as exc:
        merge([parse_features(churn_doc()), parse_features(other)])
    assert "defined differently" in str(exc.value)
    with pytest.raises(ValidationFailed, match="unknown feature view"):
        merge([parse_features({"pilot": "a", "uses": ["nope"]})])
    doc = churn_doc()
    doc["service"] = {"features": ["customer_stats:nope"]}
    with pytest.raises(ValidationFailed, match="has no feature"):
        merge([parse_features(doc)])
    doc = churn_doc()
    doc["featureViews"][0]["entities"] = ["ghost"]
    with pytest.raises(ValidationFailed, match="unknown entity"):
        merge([parse_features(doc)])


def test_entity_values_are_coerced_or_refused_without_echo() -> None:
    entity = parse_features(churn_doc()).entities[0]
    assert coerce_entity(entity, "customer_id", "42") == 42
    for bad in ("forty-two", 1.5, True, None, 2**70, [1]):
        with pytest.raises(ValidationFailed) as exc:
            coerce_entity(entity, "customer_id", bad)
        assert exc.value.errors[0].field == "customer_id" and "forty" not in str(exc.value)


def test_cli_arguments_parse() -> None:
    assert parse_entity_args(["customer_id=42"]) == {"customer_id": "42"}
    with pytest.raises(ValidationFailed):
        parse_entity_args(["customer_id"])
    assert parse_refs(["v:f"]) == [("v", "f")]
    with pytest.raises(ValidationFailed):
        parse_refs(["v:f:g"])


def test_shared_feature_views_feed_the_standardise_plan() -> None:
    from importlib import resources

    import yaml

    from pilotdeck.domain.prioritization import Rubric, plan_portfolio
    from tests.unit.test_prioritization import demo

    rubric = Rubric.from_data(yaml.safe_load(resources.files("pilotdeck.data").joinpath(
        "rubric.yaml").read_text()), "rubric.yaml")
    strong = ["churn-prediction", "credit-risk-scoring", "demand-forecasting",
              "fraud-detection-realtime", "next-best-offer", "predictive-maintenance"]
    reuse = {"customer_stats": [*strong, "resume-screening"], "lonely": ["churn-prediction"]}
    plan = plan_portfolio(demo(), rubric, reuse)
    views = [p for p in plan.standardise if p.kind == "feature view"]
    assert [v.name for v in views] == ["customer_stats"]  # a view one pilot uses is no pattern
    assert list(views[0].pilots) == sorted(strong)  # the sunset pilot's use does not count
    assert "used by 6 high-impact pilots" in views[0].explanation
    assert not [p for p in plan_portfolio(demo(), rubric).standardise
                if p.kind == "feature view"]


def test_online_store_setting_is_parsed_and_never_echoed(tmp_path: Path) -> None:
    from pilotdeck.adapters.features.repo import online_config

    assert online_config("sqlite", tmp_path) == ("sqlite", {
        "type": "sqlite", "path": str(tmp_path / "online.db")})
    assert online_config("redis://:s3cret@10.1.2.3:6380/4", tmp_path) == ("redis", {
        "type": "redis", "connection_string": "10.1.2.3:6380,db=4,password=s3cret"})
    for bad in ("http://user:s3cret@h/", "redis://:s3cret@h:6379/x", "redis:///3", "postgres"):
        with pytest.raises(ValidationFailed) as exc:
            online_config(bad, tmp_path)
        assert exc.value.errors[0].field == "PILOTDECK_FEATURES_ONLINE"
        assert "s3cret" not in str(exc.value)
