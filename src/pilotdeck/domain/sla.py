"""A pilot's service-level agreement as data: what "working" means in production.

The SLA is what the runbook promises, what ``pilotdeck sla`` measures, what alert
rules can watch and what the staged rollout's error-rate and latency gates hold a
challenger to. Every target is optional except availability and latency, which
every served pilot has; a floor that is not set is not checked.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.inputs import StorableModel
from pilotdeck.domain.pilot import field_errors


class Floor(StorableModel):
    """A quality or business floor: ``metric`` (a model-quality metric such as
    ``accuracy`` or ``auc``, or a feedback outcome such as ``revenue`` per request)
    must stay at or above ``min``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    metric: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    min: float


# Floors are minimums, so only metrics where higher is better (``auc`` is ROC AUC).
QUALITY_FLOORS = ("accuracy", "precision", "recall", "f1", "roc_auc", "auc", "r2")
BUSINESS_FLOORS = ("revenue", "cost_saved", "satisfaction")  # feedback outcomes


class SLA(StorableModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    availability_pct: float = Field(99.5, gt=0, le=100, alias="availabilityPct",
                                    description="Share of requests answered without a "
                                                "server error, in percent.")
    p99_latency_ms: float = Field(250.0, gt=0, le=600_000, alias="p99LatencyMs")
    max_error_rate: float = Field(0.01, ge=0, le=1, alias="maxErrorRate",
                                  description="Share of requests that may fail (5xx).")
    accuracy: Floor | None = Field(None, description="Model-quality floor once labels "
                                                     "arrive.")
    business: Floor | None = Field(None, description="Business-outcome floor per request "
                                                     "from feedback.")
    window_hours: float = Field(24 * 7, gt=0, le=24 * 366, alias="windowHours",
                                description="The window compliance is measured over.")
    escalation: str = Field("", max_length=500, description="Who is paged when it breaks.")
    min_requests: int = Field(1, ge=1, le=10**9, alias="minRequests",
                              description="Fewer requests (or labelled/fed-back ones, for "
                                          "the floors) in the window: not enough data to "
                                          "judge a target.")

    @field_validator("accuracy")
    @classmethod
    def _quality_floor(cls, v: Floor | None) -> Floor | None:
        if v is not None and v.metric not in QUALITY_FLOORS:
            raise ValueError(f"metric must be one of {', '.join(QUALITY_FLOORS)}")
        return v

    @field_validator("business")
    @classmethod
    def _business_floor(cls, v: Floor | None) -> Floor | None:
        if v is not None and v.metric not in BUSINESS_FLOORS:
            raise ValueError(f"metric must be one of {', '.join(BUSINESS_FLOORS)}")
        return v

    @classmethod
    def parse(cls, data: Any) -> SLA:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("invalid SLA", field_errors(exc)) from None

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
