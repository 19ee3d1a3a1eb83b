"""Alert rules: what to watch, when it is wrong, and what to do about it (pure).

A rules file (YAML) looks like::

    rules:
      - name: challenger-errors
        pilot: churn-prediction
        metric: health.error_rate        # see METRICS
        scope: {variant: challenger}     # optional: variant and/or version
        window: 1h                       # look back this far
        comparison: ">"
        threshold: 0.05
        severity: critical               # info | warning | critical
        actions:
          - {type: rollback, variant: challenger}
          - {type: webhook, url: "https://hooks.example/alerts"}

An alert is identified by its fingerprint (rule, pilot, scope): while it stays
open, evaluations that fire again only update it, so a rule that keeps firing
notifies and acts once.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.pilot import field_errors
from pilotdeck.domain.when import parse_window

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne}

# metric -> what it measures (the evaluator in services/alerts.py computes each)
METRICS = {
    "drift.share_drifted": "share of input columns drifted vs the version's profile",
    "drift.dataset_drift": "1 when the dataset drifted, else 0",
    "quality.accuracy": "accuracy from feedback labels",
    "quality.f1": "F1 from feedback labels",
    "quality.precision": "precision from feedback labels",
    "quality.recall": "recall from feedback labels",
    "quality.roc_auc": "ROC AUC (score predictions)",
    "quality.mae": "mean absolute error (regression)",
    "quality.rmse": "root mean squared error (regression)",
    "quality.r2": "R squared (regression)",
    "health.error_rate": "share of requests that failed",
    "health.latency_p50": "median latency, ms",
    "health.latency_p95": "95th percentile latency, ms",
    "health.latency_p99": "99th percentile latency, ms",
    "health.cache_hit_rate": "share of requests answered from the cache",
    "health.requests": "number of requests",
    "fairness.demographic_parity_difference": "demographic parity difference",
    "fairness.equalized_odds_difference": "equalised odds difference",
    "impact.revenue": "mean revenue per request",
    "impact.cost_saved": "mean cost saved per request",
    "impact.satisfaction": "mean satisfaction per request",
    "dataset.quality_failed": "1 when the dataset's latest quality check failed, else 0 "
                              "(needs 'dataset'; the window is not used)",
    "dataset.quality_failed_checks": "checks failed by the dataset's latest quality check",
    "sla.availability": "availability over the rule's window, percent of requests "
                        "without a 5xx (the pilot's SLA; shadow traffic excluded)",
    "sla.p99_latency_ms": "99th percentile latency over the window, ms (the pilot's SLA)",
    "sla.error_rate": "share of requests that failed (5xx) over the window (the pilot's SLA)",
    "sla.accuracy": "the SLA's accuracy-floor metric over the window's labelled requests",
    "sla.business": "the SLA's business-floor outcome per request over the window",
    "sla.breached": "1 when any target of the pilot's SLA is breached over the rule's "
                    "window, else 0 (needs an SLA: pilotdeck sla set)",
}


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Scope(_M):
    variant: str | None = None
    version: int | None = Field(None, ge=1)


class Action(_M):
    type: Literal["webhook", "open_breaker", "rollback"]
    url: str | None = Field(None, pattern=r"^https?://")
    variant: str = "challenger"

    @model_validator(mode="after")
    def _rules(self) -> Action:
        if self.type == "webhook" and not self.url:
            raise ValueError("a webhook action needs a url")
        if self.type in ("open_breaker", "rollback") and self.variant == "champion":
            raise ValueError("the champion is the fallback: it cannot be rolled back or "
                             "have its breaker opened by an alert")
        return self


class AlertRule(_M):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    pilot: str
    metric: str
    scope: Scope = Field(default_factory=lambda: Scope.model_validate({}))
    window: str = "1h"
    comparison: str = ">"
    threshold: float
    severity: Literal["info", "warning", "critical"] = "warning"
    actions: list[Action] = Field(default_factory=list)
    sensitive: list[str] = Field(default_factory=list, description="fairness metrics only")
    min_rows: int = Field(1, ge=1, alias="minRows",
                          description="do not judge a window with fewer rows")
    dataset: str | None = Field(None, pattern=r"^[a-z][a-z0-9_-]{0,62}$",
                                description="dataset metrics only: the catalogued dataset")

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"must be one of {', '.join(sorted(METRICS))}")
        return v

    @field_validator("comparison")
    @classmethod
    def _comparison(cls, v: str) -> str:
        if v not in COMPARISONS:
            raise ValueError(f"must be one of {' '.join(COMPARISONS)}")
        return v

    @field_validator("window")
    @classmethod
    def _window(cls, v: str) -> str:
        parse_window(v, "window")
        return v

    @model_validator(mode="after")
    def _fairness(self) -> AlertRule:
        if self.metric.startswith("fairness.") and not self.sensitive:
            raise ValueError("fairness metrics need 'sensitive' columns")
        return self

    @model_validator(mode="after")
    def _sla(self) -> AlertRule:
        if self.metric.startswith("sla.") and (self.scope.variant or self.scope.version):
            raise ValueError("SLA metrics measure the pilot's whole live traffic: no scope")
        return self

    @model_validator(mode="after")
    def _dataset(self) -> AlertRule:
        if self.metric.startswith("dataset.") and not self.dataset:
            raise ValueError("dataset metrics need 'dataset' (the dataset to watch)")
        if self.dataset and not self.metric.startswith("dataset."):
            raise ValueError("'dataset' is for dataset metrics only")
        return self

    def fires(self, value: float) -> bool:
        return COMPARISONS[self.comparison](value, self.threshold)

    def fingerprint(self) -> str:
        key = f"{self.name}|{self.pilot}|{self.scope.variant}|{self.scope.version}"
        if self.dataset:  # only then: existing rules keep their fingerprints
            key += f"|{self.dataset}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


class RuleSet(_M):
    rules: list[AlertRule] = Field(default_factory=list)


def parse_rules(data: Any, source: str = "rules") -> list[AlertRule]:
    """Rules from parsed YAML; every problem as FIELD.PATH: problem, names unique."""
    try:
        rules = RuleSet.model_validate(data if data is not None else {}).rules
    except ValidationError as exc:
        raise ValidationFailed(f"invalid alert rules in {source}", field_errors(exc)) from None
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        from pilotdeck.domain.errors import FieldError

        raise ValidationFailed(f"invalid alert rules in {source}", [
            FieldError("rules", f"rule names must be unique: {', '.join(dupes)}")])
    return rules
