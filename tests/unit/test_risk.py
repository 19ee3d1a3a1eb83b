"""Risk questionnaire rules: the Act's tiers, the organisation's rules, the score."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.risk import Questionnaire, assess, check_answers

SHIPPED = yaml.safe_load(resources.files("pilotdeck.data").joinpath("risk.yaml").read_text())


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return Questionnaire.from_data(SHIPPED)


def lowest(q: Questionnaire, **answers: str) -> dict[str, str]:
    return {**{x.id: x.options[0].id for x in q.questions}, **answers}


def test_the_shipped_questionnaire_has_the_acts_questions_and_options(q: Questionnaire) -> None:
    ids = {x.id: [o.id for o in x.options] for x in q.questions}
    assert ids["prohibitedPractice"] == [
        "none", "social-scoring", "manipulation", "exploiting-vulnerabilities",
        "predictive-policing-profiling", "untargeted-facial-scraping",
        "emotion-recognition-work-education", "biometric-categorisation-sensitive",
        "realtime-remote-biometric-id"]
    assert ids["annexIIIArea"] == [
        "none", "biometrics", "critical-infrastructure", "education", "employment",
        "essential-services", "law-enforcement", "migration", "justice-democracy"]
    assert ids["interactsWithPeople"] == ["no", "yes"]
    dims = {x.dimension for x in q.questions}
    assert {"bias", "privacy", "security", "explainability", "autonomy"} <= dims


def test_all_lowest_answers_are_minimal_with_score_zero(q: Questionnaire) -> None:
    r = assess(q, lowest(q))
    assert (r.tier, r.score, r.required_controls, r.deployable) == ("minimal", 0.0, [], True)
    assert r.rationale == ["no answer places the system above the minimal tier"]


@pytest.mark.parametrize(("answers", "tier"), [
    ({"interactsWithPeople": "yes"}, "limited"),
    ({"annexIIIArea": "essential-services"}, "high"),
    ({"annexIIIArea": "employment", "interactsWithPeople": "yes"}, "high"),
    ({"prohibitedPractice": "social-scoring", "annexIIIArea": "education"}, "prohibited"),
])
def test_the_highest_tier_any_answer_sets_wins(q: Questionnaire, answers: dict[str, str],
                                               tier: str) -> None:
    r = assess(q, lowest(q, **answers))
    assert r.tier == tier
    named = [k for k, v in answers.items() if any(f"{k} = {v}" in line for line in r.rationale)]
    assert named, f"the rationale {r.rationale} names none of {answers}"


def test_controls_follow_the_tier(q: Questionnaire) -> None:
    high = assess(q, lowest(q, annexIIIArea="essential-services"))
    assert {c.id for c in high.required_controls} >= {
        "fairness-report", "explainability", "human-oversight-plan", "approval",
        "reassessment", "prediction-log-retained"}
    assert next(c for c in high.required_controls if c.id == "approval").approvers == 2
    assert high.review_days == 90
    limited = assess(q, lowest(q, interactsWithPeople="yes"))
    assert {c.id: c.approvers for c in limited.required_controls} == {
        "user-disclosure": None, "approval": 1}
    assert not assess(q, lowest(q, prohibitedPractice="manipulation")).deployable


def test_an_organisation_rule_raises_the_tier_and_says_so(q: Questionnaire) -> None:
    r = assess(q, lowest(q, personalData="special-category", automatedDecisions="fully-automated"))
    assert r.tier == "high" and r.rationale[0].startswith("organisation rule")


def test_the_score_sums_weights_per_dimension(q: Questionnaire) -> None:
    r = assess(q, lowest(q, personalData="personal", biasExposure="likely"))
    assert r.dimensions["privacy"] == pytest.approx(66.7) and r.dimensions["bias"] == 100.0
    top = sum(max(o.weight for o in x.options) for x in q.questions)
    assert r.score == pytest.approx(round(100 * 5 / top, 1))


def test_an_incomplete_answer_file_lists_every_missing_id(q: Questionnaire) -> None:
    partial = lowest(q)
    for key in ("annexIIIArea", "biasExposure"):
        del partial[key]
    with pytest.raises(ValidationFailed) as exc:
        check_answers(q, {**partial, "colour": "blue", "personalData": "lots"})
    fields = {e.field: e.problem for e in exc.value.errors}
    assert "missing" in fields["answers.annexIIIArea"] and "missing" in fields[
        "answers.biasExposure"]
    assert fields["answers.colour"] == "is not a question"
    assert fields["answers.personalData"].startswith("must be one of none, pseudonymised")


def _replaced(**change: Any) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(SHIPPED))
    for q in data["questions"]:
        if q["id"] in change:
            change[q["id"]](q)
    return data


@pytest.mark.parametrize(("change", "problem"), [
    ({"annexIIIArea": lambda q: q["options"][5].pop("tier")}, "must set tier 'high'"),
    ({"prohibitedPractice": lambda q: q["options"][1].update(tier="high")},
     "must set tier 'prohibited'"),
    ({"interactsWithPeople": lambda q: q.update(id="talksToPeople")},
     "'interactsWithPeople' is required"),
    ({"personalData": lambda q: q["options"].reverse()}, "first option must be the lowest"),
])
def test_a_replaced_questionnaire_cannot_lower_the_acts_tiers(change: dict[str, Any],
                                                              problem: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        Questionnaire.from_data(_replaced(**change), "org.yaml")
    assert any(problem in e.problem for e in exc.value.errors), exc.value.errors


def test_the_prohibited_tier_can_never_be_deployable() -> None:
    data = yaml.safe_load(yaml.safe_dump(SHIPPED))
    data["tiers"]["prohibited"]["deployable"] = True
    with pytest.raises(ValidationFailed, match="invalid risk questionnaire"):
        Questionnaire.from_data(data)
