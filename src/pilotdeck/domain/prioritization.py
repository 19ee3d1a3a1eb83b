"""Impact x complexity prioritisation: rubric, quadrants, portfolio plan, sensitivity.

Every number is explainable: a score is the weighted mean of the manifest's
rubric inputs, and every recommendation carries the sentence that justifies it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.pilot import PilotManifest, PilotStatus, field_errors


class Quadrant(StrEnum):
    SCALE_NOW = "scale-now"
    REFERENCE_ARCHITECTURE = "build-reference-architecture"
    CONSOLIDATE = "consolidate-or-sunset"
    SUNSET = "sunset"


QUADRANT_LABELS = {
    Quadrant.SCALE_NOW: "Scale now",
    Quadrant.REFERENCE_ARCHITECTURE: "Build a reference architecture",
    Quadrant.CONSOLIDATE: "Consolidate or sunset",
    Quadrant.SUNSET: "Sunset",
}


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weight: float = Field(gt=0)
    description: str = ""


class Axis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    threshold: float
    criteria: dict[str, Criterion] = Field(min_length=1)


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int = 1
    max: int = 5


class PlanLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    scale_max: int = Field(default=3, ge=0, alias="scaleMax")
    sunset_max: int = Field(default=4, ge=0, alias="sunsetMax")
    pattern_min_pilots: int = Field(default=2, ge=2, alias="patternMinPilots")
    pattern_max: int = Field(default=5, ge=0, alias="patternMax")


class Rubric(BaseModel):
    """Criteria, weights, scale and thresholds; data, so organisations can replace it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = "default"
    scale: Scale = Field(default_factory=Scale)
    impact: Axis
    complexity: Axis
    plan: PlanLimits = Field(default_factory=PlanLimits)

    @model_validator(mode="after")
    def _thresholds_on_scale(self) -> Rubric:
        for axis in ("impact", "complexity"):
            t = getattr(self, axis).threshold
            if not self.scale.min <= t <= self.scale.max:
                raise ValueError(f"{axis}.threshold must lie on the scale, got {t}")
        return self

    @classmethod
    def from_data(cls, data: Any, source: str = "rubric") -> Rubric:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("invalid rubric", field_errors(exc, source)) from None

    def check_scores(self, m: PilotManifest) -> list[FieldError]:
        """Problems with a manifest's rubric inputs (missing or unknown criteria)."""
        errors: list[FieldError] = []
        for axis_name in ("impact", "complexity"):
            axis: Axis = getattr(self, axis_name)
            given: dict[str, int] = getattr(m.spec.scores, axis_name)
            for crit in axis.criteria:
                if crit not in given:
                    errors.append(FieldError(f"spec.scores.{axis_name}.{crit}",
                                             f"is required by the rubric {self.name!r}"))
            for crit, v in given.items():
                if crit not in axis.criteria:
                    known = ", ".join(axis.criteria)
                    errors.append(FieldError(f"spec.scores.{axis_name}.{crit}",
                                             f"is not a criterion of the rubric (known: {known})"))
                elif not self.scale.min <= v <= self.scale.max:
                    scale = f"{self.scale.min}..{self.scale.max}"
                    errors.append(FieldError(f"spec.scores.{axis_name}.{crit}",
                                             f"must be {scale}, got {v}"))
        return errors

    def with_weight(self, axis: str, criterion: str, factor: float) -> Rubric:
        ax: Axis = getattr(self, axis)
        crit = ax.criteria[criterion]
        criteria = dict(ax.criteria)
        criteria[criterion] = crit.model_copy(update={"weight": crit.weight * factor})
        return self.model_copy(update={axis: ax.model_copy(update={"criteria": criteria})})


def weighted(axis: Axis, scores: dict[str, int]) -> float:
    total = sum(c.weight for c in axis.criteria.values())
    return sum(c.weight * scores.get(name, 0) for name, c in axis.criteria.items()) / total


def quadrant_of(impact: float, complexity: float, rubric: Rubric) -> Quadrant:
    high_impact = impact >= rubric.impact.threshold
    high_complexity = complexity >= rubric.complexity.threshold
    if high_impact:
        return Quadrant.REFERENCE_ARCHITECTURE if high_complexity else Quadrant.SCALE_NOW
    return Quadrant.SUNSET if high_complexity else Quadrant.CONSOLIDATE


@dataclass(frozen=True)
class PilotPriority:
    name: str
    business_unit: str
    status: str
    impact: float
    complexity: float
    quadrant: Quadrant
    expected_value: float
    production_cost: float
    reason: str

    @property
    def net_value(self) -> float:
        return self.expected_value - self.production_cost

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "businessUnit": self.business_unit, "status": self.status,
            "impact": round(self.impact, 3), "complexity": round(self.complexity, 3),
            "quadrant": self.quadrant.value, "action": QUADRANT_LABELS[self.quadrant],
            "expectedValuePerYear": self.expected_value,
            "productionCostPerYear": self.production_cost,
            "netValuePerYear": self.net_value, "reason": self.reason,
        }


def _money(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.0f}k"
    return f"{v:.0f}"


def _reason(p: PilotPriority, rubric: Rubric) -> str:
    ti, tc = rubric.impact.threshold, rubric.complexity.threshold
    i_cmp = ">=" if p.impact >= ti else "<"
    c_cmp = ">=" if p.complexity >= tc else "<"
    why = {
        Quadrant.SCALE_NOW: "quick win",
        Quadrant.REFERENCE_ARCHITECTURE: "valuable but complex: build the reusable pattern",
        Quadrant.CONSOLIDATE: "fold into a stronger pilot or stop",
        Quadrant.SUNSET: "costs more effort than it returns",
    }[p.quadrant]
    return (f"impact {p.impact:.2f} {i_cmp} {ti:g}, complexity {p.complexity:.2f} {c_cmp} {tc:g}:"
            f" {why}; net {_money(p.net_value)}/yr")


def score_pilot(m: PilotManifest, rubric: Rubric) -> PilotPriority:
    impact = weighted(rubric.impact, m.spec.scores.impact)
    complexity = weighted(rubric.complexity, m.spec.scores.complexity)
    p = PilotPriority(
        name=m.name, business_unit=m.metadata.business_unit, status=m.spec.status.value,
        impact=impact, complexity=complexity, quadrant=quadrant_of(impact, complexity, rubric),
        expected_value=m.spec.economics.expected_value_per_year,
        production_cost=m.spec.economics.production_cost_per_year, reason="",
    )
    return replace(p, reason=_reason(p, rubric))


def score_portfolio(manifests: list[PilotManifest], rubric: Rubric) -> list[PilotPriority]:
    """Score every live pilot (sunset ones are already decided), best first."""
    live = [m for m in manifests if m.spec.status is not PilotStatus.SUNSET]
    scored = [score_pilot(m, rubric) for m in live]
    return sorted(scored, key=lambda p: (-p.impact, p.complexity, p.name))


# -- portfolio plan -------------------------------------------------------------

@dataclass(frozen=True)
class Recommendation:
    pilot: str
    action: str  # scale | consolidate | sunset
    explanation: str


@dataclass(frozen=True)
class Pattern:
    kind: str  # framework | infrastructure | model | data
    name: str
    pilots: tuple[str, ...]
    explanation: str


@dataclass
class PortfolioPlan:
    scale: list[Recommendation] = field(default_factory=list)
    standardise: list[Pattern] = field(default_factory=list)
    consolidate: list[Recommendation] = field(default_factory=list)
    sunset: list[Recommendation] = field(default_factory=list)
    summary: str = ""

    def as_dict(self) -> dict[str, Any]:
        rec = lambda r: {"pilot": r.pilot, "action": r.action, "explanation": r.explanation}  # noqa: E731
        return {
            "summary": self.summary,
            "scale": [rec(r) for r in self.scale],
            "standardise": [
                {"kind": p.kind, "pattern": p.name, "pilots": list(p.pilots),
                 "explanation": p.explanation} for p in self.standardise
            ],
            "consolidate": [rec(r) for r in self.consolidate],
            "sunset": [rec(r) for r in self.sunset],
        }


def _stack_items(m: PilotManifest) -> set[tuple[str, str]]:
    s = m.spec.stack
    items = {("framework", x.lower()) for x in s.frameworks}
    items |= {("infrastructure", x.lower()) for x in s.infrastructure}
    items |= {("model", x.lower()) for x in s.models}
    items |= {("data", d.name.lower()) for d in m.spec.data_sources}
    return items


def plan_portfolio(manifests: list[PilotManifest], rubric: Rubric,
                   feature_reuse: dict[str, list[str]] | None = None) -> PortfolioPlan:
    """Recommend which pilots to scale, which patterns to standardise, what to sunset.

    ``feature_reuse`` (feature view -> the pilots using it, from the feature store)
    makes shared feature views candidates like shared stack elements."""
    scored = {p.name: p for p in score_portfolio(manifests, rubric)}
    by_name = {m.name: m for m in manifests if m.name in scored}
    limits = rubric.plan
    plan = PortfolioPlan()

    quick = [p for p in scored.values() if p.quadrant is Quadrant.SCALE_NOW
             and p.status in (PilotStatus.PILOT.value, PilotStatus.SCALING.value)]
    quick.sort(key=lambda p: (-p.impact, -p.net_value, p.complexity, p.name))
    for rank, p in enumerate(quick[: limits.scale_max], start=1):
        plan.scale.append(Recommendation(p.name, "scale", (
            f"#{rank} quick win: impact {p.impact:.2f}, complexity {p.complexity:.2f}, "
            f"net value {_money(p.net_value)}/yr ({p.business_unit})")))
    for p in quick[limits.scale_max:]:
        plan.consolidate.append(Recommendation(p.name, "queue", (
            f"also a quick win (impact {p.impact:.2f}) but outside the top {limits.scale_max}: "
            "queue for the next wave")))

    # Patterns: stack elements shared by several pilots, weighted by the impact
    # of the pilots that would reuse them; high-impact complex pilots first.
    users: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, m in by_name.items():
        if scored[name].quadrant in (Quadrant.SCALE_NOW, Quadrant.REFERENCE_ARCHITECTURE):
            for item in _stack_items(m):
                users[item].append(name)
            for view, pilots in (feature_reuse or {}).items():
                if name in pilots:
                    users[("feature view", view)].append(name)
    candidates = [(item, sorted(ps)) for item, ps in users.items()
                  if len(ps) >= limits.pattern_min_pilots]
    candidates.sort(key=lambda c: (-sum(scored[n].impact for n in c[1]), -len(c[1]), c[0]))
    taken: set[frozenset[str]] = set()
    for (kind, element), pilots in candidates:
        key = frozenset(pilots) | {kind}
        if key in taken:  # same pilots, same kind: one pattern is enough
            continue
        taken.add(key)
        complex_users = [n for n in pilots if scored[n].quadrant is Quadrant.REFERENCE_ARCHITECTURE]
        value = sum(scored[n].expected_value for n in pilots)
        extra = (f"; anchor the reference architecture for {', '.join(complex_users)}"
                 if complex_users else "")
        plan.standardise.append(Pattern(kind, element, tuple(pilots), (
            f"{kind} '{element}' is used by {len(pilots)} high-impact pilots "
            f"({', '.join(pilots)}) worth {_money(value)}/yr{extra}")))
        if len(plan.standardise) >= limits.pattern_max:
            break

    low = [p for p in scored.values() if p.quadrant in (Quadrant.SUNSET, Quadrant.CONSOLIDATE)]
    low.sort(key=lambda p: (p.quadrant is not Quadrant.SUNSET, p.net_value, p.impact, p.name))
    strong = [p for p in scored.values() if p.quadrant in
              (Quadrant.SCALE_NOW, Quadrant.REFERENCE_ARCHITECTURE)]
    for p in low:
        m = by_name[p.name]
        partner = _best_partner(m, strong, by_name)
        if p.quadrant is Quadrant.CONSOLIDATE and partner is not None and p.net_value > 0:
            plan.consolidate.append(Recommendation(p.name, "consolidate", (
                f"low impact ({p.impact:.2f}) but cheap; shares {partner[1]} with "
                f"{partner[0]}: fold it into that pilot")))
        elif len(plan.sunset) < limits.sunset_max:
            plan.sunset.append(Recommendation(p.name, "sunset", (
                f"{QUADRANT_LABELS[p.quadrant].lower()} quadrant: impact {p.impact:.2f}, "
                f"complexity {p.complexity:.2f}, net value {_money(p.net_value)}/yr; "
                "free its team and budget for the scaled pilots")))
        else:
            plan.consolidate.append(Recommendation(p.name, "review", (
                f"low impact ({p.impact:.2f}); review next cycle (sunset list is full)")))

    plan.summary = (f"Scale {len(plan.scale)}, standardise {len(plan.standardise)} patterns, "
                    f"consolidate {sum(r.action == 'consolidate' for r in plan.consolidate)}, "
                    f"sunset {len(plan.sunset)} of {len(scored)} live pilots.")
    return plan


def _best_partner(m: PilotManifest, strong: list[PilotPriority],
                  by_name: dict[str, PilotManifest]) -> tuple[str, str] | None:
    """The strongest pilot sharing data or stack with ``m``, and what they share."""
    mine = _stack_items(m)
    best: tuple[float, str, str] | None = None
    for p in strong:
        shared = sorted(mine & _stack_items(by_name[p.name]))
        if not shared:
            continue
        same_bu = by_name[p.name].metadata.business_unit == m.metadata.business_unit
        score = len(shared) + (1 if same_bu else 0) + p.impact / 10
        if best is None or score > best[0]:
            what = ", ".join(f"{k} '{v}'" for k, v in shared[:2])
            best = (score, p.name, what)
    return (best[1], best[2]) if best else None


# -- sensitivity -----------------------------------------------------------------

@dataclass(frozen=True)
class QuadrantFlip:
    pilot: str
    axis: str
    criterion: str
    change: float  # e.g. +0.1 for +10 %
    from_quadrant: Quadrant
    to_quadrant: Quadrant

    def as_dict(self) -> dict[str, Any]:
        return {"pilot": self.pilot, "axis": self.axis, "criterion": self.criterion,
                "weightChange": f"{self.change:+.0%}", "from": self.from_quadrant.value,
                "to": self.to_quadrant.value}


def sensitivity(manifests: list[PilotManifest], rubric: Rubric,
                change: float = 0.10) -> list[QuadrantFlip]:
    """Which pilots change quadrant when any single weight moves by +/- ``change``."""
    base = {p.name: p.quadrant for p in score_portfolio(manifests, rubric)}
    flips: list[QuadrantFlip] = []
    for axis in ("impact", "complexity"):
        for crit in getattr(rubric, axis).criteria:
            for delta in (-change, change):
                moved = rubric.with_weight(axis, crit, 1 + delta)
                for p in score_portfolio(manifests, moved):
                    if p.quadrant is not base[p.name]:
                        flips.append(QuadrantFlip(p.name, axis, crit, delta,
                                                  base[p.name], p.quadrant))
    return sorted(flips, key=lambda f: (f.pilot, f.axis, f.criterion, f.change))
