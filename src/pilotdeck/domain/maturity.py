"""Capability maturity: the model (dimensions, levels, practices) and its scoring.

Scoring is staged: a dimension reaches level N when every practice of levels
2..N is satisfied. A practice is satisfied by *evidence* when an evidence
provider covers it, otherwise by the questionnaire answer; a "yes" that the
evidence contradicts is reported as a discrepancy rather than silently trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.pilot import field_errors

LEVELS = (1, 2, 3, 4, 5)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LevelInfo(_M):
    name: str
    summary: str


class Practice(_M):
    id: str
    level: int = Field(ge=2, le=5)
    question: str
    evidence: str | None = None


class Dimension(_M):
    id: str
    name: str
    levels: dict[int, str]
    practices: list[Practice]

    @model_validator(mode="after")
    def _five_levels(self) -> Dimension:
        if sorted(self.levels) != list(LEVELS):
            raise ValueError(f"dimension {self.id!r} needs descriptors for levels 1..5")
        return self


class MaturityModel(_M):
    name: str
    version: int = 1
    target_level: int = Field(default=4, ge=1, le=5, alias="targetLevel")
    levels: dict[int, LevelInfo]
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> MaturityModel:
        ids = [d.id for d in self.dimensions]
        if len(set(ids)) != len(ids):
            raise ValueError("dimension ids must be unique")
        pids = [p.id for d in self.dimensions for p in d.practices]
        if len(set(pids)) != len(pids):
            raise ValueError("practice ids must be unique")
        return self

    @classmethod
    def from_data(cls, data: Any, source: str = "maturity model") -> MaturityModel:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("invalid maturity model", field_errors(exc, source)) from None

    def dimension(self, dim_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dim_id:
                return d
        known = ", ".join(d.id for d in self.dimensions)
        raise ValidationFailed("unknown dimension",
                               [FieldError(dim_id, f"is not a dimension (known: {known})")])

    def practice_ids(self) -> set[str]:
        return {p.id for d in self.dimensions for p in d.practices}


@dataclass(frozen=True)
class Evidence:
    """What the platform knows about one evidence key, with a human-readable note."""

    key: str
    satisfied: bool
    note: str


@dataclass
class AssessmentInput:
    """Questionnaire answers, direct level scores and targets for one scope."""

    answers: dict[str, bool] = field(default_factory=dict)
    scores: dict[str, int] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)
    target: int | None = None

    def validate(self, model: MaturityModel) -> None:
        errors: list[FieldError] = []
        known = model.practice_ids()
        for pid in self.answers:
            if pid not in known:
                errors.append(FieldError(f"answers.{pid}", "is not a practice of the model"))
        dims = {d.id for d in model.dimensions}
        for name, mapping in (("scores", self.scores), ("targets", self.targets)):
            for dim, v in mapping.items():
                if dim not in dims:
                    errors.append(FieldError(f"{name}.{dim}", "is not a dimension of the model"))
                elif isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 5:
                    errors.append(FieldError(f"{name}.{dim}", f"must be 1..5, got {v!r}"))
        if self.target is not None and not 1 <= self.target <= 5:
            errors.append(FieldError("target", f"must be 1..5, got {self.target}"))
        if errors:
            raise ValidationFailed("invalid assessment", errors)


def _practice_status(p: Practice, inp: AssessmentInput,
                     evidence: dict[str, Evidence]) -> dict[str, Any]:
    ev = evidence.get(p.evidence) if p.evidence else None
    answer = inp.answers.get(p.id)
    if ev is not None:
        status = {"satisfied": ev.satisfied, "source": "evidence", "note": ev.note}
        if answer is True and not ev.satisfied:
            status["discrepancy"] = "answered yes, but the platform's evidence says no"
    elif answer is not None:
        status = {"satisfied": answer, "source": "answer", "note": ""}
    else:
        status = {"satisfied": False, "source": "unanswered", "note": ""}
    return {"id": p.id, "level": p.level, "question": p.question, **status}


def score_dimension(dim: Dimension, inp: AssessmentInput, evidence: dict[str, Evidence],
                    target: int) -> dict[str, Any]:
    practices = [_practice_status(p, inp, evidence) for p in dim.practices]
    if dim.id in inp.scores:
        level = inp.scores[dim.id]
        score, source = float(level), "direct"
    else:
        level = 1
        for lv in (2, 3, 4, 5):
            at = [p for p in practices if p["level"] == lv]
            if at and all(p["satisfied"] for p in at):
                level = lv
            elif at:
                break
        nxt = [p for p in practices if p["level"] == level + 1]
        frac = sum(p["satisfied"] for p in nxt) / len(nxt) if nxt else 0.0
        score = min(level + frac * 0.99, 5.0)
        kinds = {p["source"] for p in practices if p["satisfied"]}
        source = "evidence" if kinds == {"evidence"} else ("mixed" if "evidence" in kinds
                                                           else "answers")
    return {
        "id": dim.id, "name": dim.name, "level": level, "score": round(score, 2),
        "target": target, "gap": max(0, target - level), "source": source,
        "descriptor": dim.levels[level],
        "nextDescriptor": dim.levels.get(level + 1),
        "practices": practices,
        "discrepancies": [p["id"] for p in practices if "discrepancy" in p],
    }


def assess(model: MaturityModel, inp: AssessmentInput,
           evidence: dict[str, Evidence]) -> dict[str, Any]:
    """Score every dimension; the overall level is the weakest dimension's level.

    Staged maturity (as in CMMI): a programme is only as mature as its weakest
    capability, so the overall level is the minimum, while ``score`` is the mean
    for trend lines.
    """
    inp.validate(model)
    default_target = inp.target or model.target_level
    dims = [score_dimension(d, inp, evidence, inp.targets.get(d.id, default_target))
            for d in model.dimensions]
    level = min(d["level"] for d in dims)
    mean = sum(d["score"] for d in dims) / len(dims)
    return {
        "model": model.name,
        "overall": {
            "level": level, "levelName": model.levels[level].name if level in model.levels else "",
            "score": round(mean, 2), "target": default_target,
            "gap": max(0, default_target - level),
            "weakest": [d["id"] for d in dims if d["level"] == level],
        },
        "dimensions": dims,
        "evidence": {k: {"satisfied": e.satisfied, "note": e.note} for k, e in evidence.items()},
    }
