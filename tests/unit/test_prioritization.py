"""Rubric scoring, quadrants, the portfolio plan and the sensitivity check."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.pilot import PilotManifest, parse_manifest
from pilotdeck.domain.prioritization import (
    Quadrant,
    Rubric,
    plan_portfolio,
    quadrant_of,
    score_pilot,
    score_portfolio,
    sensitivity,
)

RUBRIC = Rubric.from_data(
    yaml.safe_load(resources.files("pilotdeck.data").joinpath("rubric.yaml").read_text())
)
DEMO = Path(__file__).resolve().parents[2] / "src/pilotdeck/demo/pilots"


def demo() -> list[PilotManifest]:
    return [parse_manifest(yaml.safe_load(p.read_text()), str(p))
            for p in sorted(DEMO.glob("*.yaml"))]


def pilot(name: str, impact: tuple[int, int, int], complexity: tuple[int, int, int, int],
          value: float = 100_000, cost: float = 10_000, **spec: object) -> PilotManifest:
    return parse_manifest({
        "apiVersion": "pilotdeck/v1", "kind": "Pilot",
        "metadata": {"name": name, "businessUnit": "BU", "owner": "o"},
        "spec": {"problem": "p", **spec,
                 "economics": {"expectedValuePerYear": value, "productionCostPerYear": cost},
                 "scores": {"impact": dict(zip(["value", "strategicFit", "reach"], impact,
                                               strict=True)),
                            "complexity": dict(zip(["data", "integration", "regulatory",
                                                    "skills"], complexity, strict=True))}},
    })


def test_weighted_scores_by_hand() -> None:
    p = score_pilot(pilot("a", (5, 4, 3), (2, 2, 1, 2)), RUBRIC)
    assert p.impact == pytest.approx(0.5 * 5 + 0.3 * 4 + 0.2 * 3)
    assert p.complexity == pytest.approx(0.3 * 2 + 0.3 * 2 + 0.2 * 1 + 0.2 * 2)
    assert p.quadrant is Quadrant.SCALE_NOW
    assert "quick win" in p.reason and "impact 4.30 >= 3" in p.reason


@pytest.mark.parametrize(("impact", "complexity", "quadrant"), [
    (3.0, 2.99, Quadrant.SCALE_NOW),
    (3.0, 3.0, Quadrant.REFERENCE_ARCHITECTURE),
    (2.99, 2.99, Quadrant.CONSOLIDATE),
    (2.99, 3.0, Quadrant.SUNSET),
])
def test_quadrant_boundaries(impact: float, complexity: float, quadrant: Quadrant) -> None:
    assert quadrant_of(impact, complexity, RUBRIC) is quadrant


@settings(max_examples=200)
@given(st.lists(st.integers(1, 5), min_size=3, max_size=3),
       st.lists(st.integers(1, 5), min_size=4, max_size=4),
       st.floats(0.1, 10))
def test_scores_stay_on_scale_and_are_invariant_to_weight_units(
        imp: list[int], cx: list[int], factor: float) -> None:
    m = pilot("p", tuple(imp), tuple(cx))  # type: ignore[arg-type]
    base = score_pilot(m, RUBRIC)
    assert 1 <= base.impact <= 5 and 1 <= base.complexity <= 5
    scaled = RUBRIC
    for axis in ("impact", "complexity"):
        for crit in getattr(RUBRIC, axis).criteria:
            scaled = scaled.with_weight(axis, crit, factor)
    again = score_pilot(m, scaled)
    assert again.impact == pytest.approx(base.impact)
    assert again.quadrant is base.quadrant or abs(base.impact - 3) < 1e-9 or \
        abs(base.complexity - 3) < 1e-9


def test_rubric_rejects_bad_config_with_field_paths() -> None:
    data = yaml.safe_load(resources.files("pilotdeck.data").joinpath("rubric.yaml").read_text())
    data["impact"]["criteria"]["value"]["weight"] = -1
    data["complexity"]["threshold"] = 9
    with pytest.raises(ValidationFailed) as exc:
        Rubric.from_data(data, "my-rubric.yaml")
    fields = {e.field for e in exc.value.errors}
    assert "impact.criteria.value.weight" in fields


def test_check_scores_names_missing_and_unknown_criteria() -> None:
    m = parse_manifest({
        "apiVersion": "pilotdeck/v1", "kind": "Pilot",
        "metadata": {"name": "x", "businessUnit": "b", "owner": "o"},
        "spec": {"problem": "p", "scores": {"impact": {"value": 3, "vibes": 5},
                                            "complexity": {}}},
    })
    errs = {e.field: e.problem for e in RUBRIC.check_scores(m)}
    assert "is required by the rubric" in errs["spec.scores.impact.reach"]
    assert "not a criterion" in errs["spec.scores.impact.vibes"]
    assert "spec.scores.complexity.data" in errs


def test_demo_portfolio_fills_every_quadrant_and_plan_is_typical() -> None:
    ms = demo()
    scored = score_portfolio(ms, RUBRIC)
    assert {p.quadrant for p in scored} == set(Quadrant)
    assert "legacy-faq-bot" not in {p.name for p in scored}  # already sunset
    plan = plan_portfolio(ms, RUBRIC)
    assert 2 <= len(plan.scale) <= 3
    assert 3 <= len(plan.standardise) <= 5
    assert 2 <= len(plan.sunset) <= 4
    quadrant = {p.name: p.quadrant for p in scored}
    assert all(quadrant[r.pilot] is Quadrant.SCALE_NOW for r in plan.scale)
    assert all(quadrant[r.pilot] in (Quadrant.SUNSET, Quadrant.CONSOLIDATE)
               for r in plan.sunset)
    assert all(r.explanation for r in plan.scale + plan.sunset + plan.consolidate)
    for pat in plan.standardise:
        assert len(pat.pilots) >= 2 and pat.name in pat.explanation


def test_plan_prefers_higher_impact_and_skips_production_pilots() -> None:
    ms = [pilot("big", (5, 5, 5), (1, 1, 1, 1)), pilot("small", (4, 3, 3), (1, 1, 1, 1)),
          pilot("done", (5, 5, 5), (1, 1, 1, 1), status="production"),
          pilot("mid", (4, 4, 4), (2, 2, 2, 2)), pilot("fourth", (3, 3, 3), (2, 2, 2, 2))]
    plan = plan_portfolio(ms, RUBRIC)
    assert [r.pilot for r in plan.scale] == ["big", "mid", "small"]
    assert any(r.pilot == "fourth" and r.action == "queue" for r in plan.consolidate)


def test_consolidate_names_the_partner_it_shares_data_with() -> None:
    strong = pilot("strong", (5, 5, 5), (1, 1, 1, 1),
                   dataSources=[{"name": "crm"}], stack={"frameworks": ["sklearn"]})
    weak = pilot("weak", (2, 2, 2), (1, 1, 1, 1), value=50_000, cost=10_000,
                 dataSources=[{"name": "crm"}])
    plan = plan_portfolio([strong, weak], RUBRIC)
    rec = next(r for r in plan.consolidate if r.pilot == "weak")
    assert rec.action == "consolidate" and "strong" in rec.explanation and "crm" in rec.explanation


def test_sensitivity_finds_borderline_pilots_only() -> None:
    border = pilot("border", (4, 2, 2), (2, 2, 2, 2))  # impact exactly 3.0
    safe = pilot("safe", (5, 5, 5), (1, 1, 1, 1))
    flips = sensitivity([border, safe], RUBRIC)
    assert {f.pilot for f in flips} == {"border"}
    value_down = [f for f in flips if f.criterion == "value" and f.change < 0]
    assert value_down and value_down[0].to_quadrant is Quadrant.CONSOLIDATE
    # Recompute that flip independently.
    moved = RUBRIC.with_weight("impact", "value", 0.9)
    assert score_pilot(border, moved).impact < 3.0
