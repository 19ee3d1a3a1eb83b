"""Risk assessment: a questionnaire (data), the EU AI Act tiers and the controls
each tier demands; pure, no I/O.

The questionnaire is the organisation's to replace, but three questions are
fixed by the Act and checked on load, so a replaced file cannot quietly lower
a tier: ``prohibitedPractice`` (any Article 5 practice → ``prohibited``),
``annexIIIArea`` (any Annex III area → ``high``) and ``interactsWithPeople``
(``yes`` → at least ``limited``, the transparency obligations). An
organisation may raise tiers further with its own rules. The first option of
every question is its lowest-risk answer (weight 0, no tier), so "the safe
default" is always the first one a form shows.

The numeric score (0-100) sums the weights of the answers to the other
questions against their maximum, overall and per dimension (bias, privacy…);
it ranks pilots within a tier, it never sets one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.pilot import field_errors

Tier = Literal["minimal", "limited", "high", "prohibited"]
TIERS: tuple[Tier, ...] = ("minimal", "limited", "high", "prohibited")  # low → high
ACT_QUESTIONS: dict[str, tuple[str, Tier]] = {
    # question id: (its lowest-risk option, the tier every other option sets at least)
    "prohibitedPractice": ("none", "prohibited"),
    "annexIIIArea": ("none", "high"),
    "interactsWithPeople": ("no", "limited"),
}
ID_PATTERN = r"^[a-zA-Z][a-zA-Z0-9-]{0,62}$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Option(_M):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    weight: int = Field(default=0, ge=0, le=10, description="Risk points this answer adds.")
    tier: Tier | None = Field(default=None, description="The tier this answer sets at least.")


class Question(_M):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    dimension: str = Field(default="regulatory", pattern=ID_PATTERN)
    help: str = ""
    options: list[Option] = Field(min_length=2)

    @model_validator(mode="after")
    def _first_is_lowest(self) -> Question:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question {self.id!r} repeats an option id")
        first = self.options[0]
        if first.weight != 0 or first.tier is not None:
            raise ValueError(f"question {self.id!r}: the first option must be the lowest-risk "
                             "answer (weight 0, no tier)")
        return self

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Control(_M):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    approvers: int | None = Field(default=None, ge=1, le=5,
                                  description="For an approval: distinct approvers needed.")


class TierPolicy(_M):
    review_days: int = Field(alias="reviewDays", ge=1, le=3650,
                             description="An assessment in this tier expires after this.")
    deployable: bool = True
    controls: list[Control] = Field(default_factory=list)


class Rule(_M):
    """The organisation's own rule: when every listed answer matches, raise the tier."""

    tier: Tier
    when: dict[str, str] = Field(min_length=1)
    reason: str = Field(min_length=1)


class Questionnaire(_M):
    name: str
    version: int = Field(default=1, ge=1)
    questions: list[Question] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    tiers: dict[Tier, TierPolicy]

    @model_validator(mode="after")
    def _the_act_holds(self) -> Questionnaire:
        by_id = {q.id: q for q in self.questions}
        if len(by_id) != len(self.questions):
            raise ValueError("question ids must be unique")
        for qid, (first, tier) in ACT_QUESTIONS.items():
            q = by_id.get(qid)
            if q is None:
                raise ValueError(f"the EU AI Act question {qid!r} is required")
            if q.options[0].id != first:
                raise ValueError(f"question {qid!r} must start with the option {first!r}")
            weak = [o.id for o in q.options[1:] if _rank(o.tier) < _rank(tier)]
            if weak:
                raise ValueError(f"question {qid!r}: options {weak} must set tier {tier!r} "
                                 "or higher")
        for rule in self.rules:
            for qid, oid in rule.when.items():
                if qid not in by_id or by_id[qid].option(oid) is None:
                    raise ValueError(f"rule {rule.reason!r} names an unknown answer "
                                     f"{qid}={oid}")
        missing = set(TIERS) - set(self.tiers)
        if missing:
            raise ValueError(f"a policy is needed for every tier; missing {sorted(missing)}")
        if self.tiers["prohibited"].deployable:
            raise ValueError("the prohibited tier can never be deployable")
        return self

    @classmethod
    def from_data(cls, data: Any, source: str = "risk questionnaire") -> Questionnaire:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("invalid risk questionnaire",
                                   field_errors(exc, source)) from None

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


def _rank(tier: Tier | None) -> int:
    return -1 if tier is None else TIERS.index(tier)


@dataclass(frozen=True)
class RiskResult:
    """What one set of answers means: the tier, why, the score and the controls."""

    tier: Tier
    score: float
    dimensions: dict[str, float]
    rationale: list[str]
    required_controls: list[Control]
    review_days: int
    deployable: bool


def check_answers(questionnaire: Questionnaire, answers: Any) -> dict[str, str]:
    """The answers as ``{question: option}``; every problem listed at once
    (missing ids, unknown questions, options a question does not have)."""
    if not isinstance(answers, dict):
        raise ValidationFailed("invalid risk answers", [FieldError(
            "answers", "must be a mapping of question id to option id")])
    errors: list[FieldError] = []
    for key, value in answers.items():
        q = questionnaire.question(str(key))
        if q is None:
            errors.append(FieldError(f"answers.{key}"[:120], "is not a question"))
        elif not isinstance(value, str) or q.option(value) is None:
            errors.append(FieldError(f"answers.{key}", "must be one of "
                                     + ", ".join(o.id for o in q.options)))
    missing = [q.id for q in questionnaire.questions if q.id not in answers]
    errors += [FieldError(f"answers.{qid}", "is missing (every question needs an answer)")
               for qid in missing]
    if errors:
        raise ValidationFailed("invalid risk answers", errors)
    return {str(k): str(v) for k, v in answers.items()}


def assess(questionnaire: Questionnaire, answers: Any) -> RiskResult:
    """Classify one pilot from its answers (see the module docstring for the rules)."""
    chosen = check_answers(questionnaire, answers)
    tier: Tier = "minimal"
    reasons: dict[Tier, list[str]] = {t: [] for t in TIERS}
    points: dict[str, list[int]] = {}
    for q in questionnaire.questions:
        opt = q.option(chosen[q.id])
        assert opt is not None  # check_answers guarantees it
        if opt.tier is not None:
            reasons[opt.tier].append(f"{q.id} = {opt.id}: {opt.text}")
            tier = max(tier, opt.tier, key=_rank)
        if q.id not in ACT_QUESTIONS:
            got, top = points.setdefault(q.dimension, [0, 0]), max(o.weight for o in q.options)
            got[0] += opt.weight
            got[1] += top
    for rule in questionnaire.rules:
        if all(chosen.get(k) == v for k, v in rule.when.items()):
            answers_text = ", ".join(f"{k} = {v}" for k, v in rule.when.items())
            reasons[rule.tier].append(f"organisation rule ({answers_text}): {rule.reason}")
            tier = max(tier, rule.tier, key=_rank)
    rationale = reasons[tier] or ["no answer places the system above the minimal tier"]
    total = [sum(v[0] for v in points.values()), sum(v[1] for v in points.values())]
    policy = questionnaire.tiers[tier]
    return RiskResult(
        tier=tier, score=_pct(*total), rationale=rationale,
        dimensions={d: _pct(*v) for d, v in sorted(points.items())},
        required_controls=list(policy.controls), review_days=policy.review_days,
        deployable=policy.deployable)


def _pct(got: int, top: int) -> float:
    return round(100.0 * got / top, 1) if top else 0.0
