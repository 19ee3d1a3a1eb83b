"""The programme report: value, cost, ROI, time to scale and adoption (camelCase JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.domain.programme import Ledger
from pilotdeck.views.base import View


class Measured(View):
    """A measured amount (feedback outcomes) and its 95 % interval when it is an
    uplift against a control group (null: an exact sum, or nothing measured)."""

    total: float
    ci_low: float | None = None
    ci_high: float | None = None


class Value(View):
    total: float
    measured: float = Field(description="From feedback outcomes.")
    estimated: float = Field(description="From the manifests' business case (expected value "
                             "per year, prorated), where nothing was measured.")


class Cost(View):
    total: float
    inference: float = Field(description="Estimated: wall time of computed requests x "
                             "cost per CPU-second (an upper bound).")
    platform: float = Field(description="The configured platform cost, allocated.")
    run: float = Field(description="Estimated: the manifests' production cost per year, "
                       "prorated over the time each pilot ran.")


class Figures(View):
    revenue: Measured
    cost_savings: Measured
    value: Value
    cost: Cost
    net_value: float
    roi: float | None = Field(description="Net value / cost; null when nothing cost anything.")
    business_case: float = Field(description="Expected value over the time the pilots ran.")
    realised_share: float | None = Field(description="Measured value / business case.")
    requests: int
    feedback: int
    basis: list[str] = Field(description="measured-uplift, measured-outcome, "
                             "estimated-business-case: how the value was obtained.")


def figures(ledger: Ledger) -> dict[str, Any]:
    """A ledger's numbers as the fields of :class:`Figures`."""
    def measured(a: Any) -> Measured:
        lo, hi = a.ci
        return Measured(total=a.value, ci_low=lo, ci_high=hi)

    return {"revenue": measured(ledger.revenue), "cost_savings": measured(ledger.cost_saved),
            "value": Value(total=ledger.value, measured=ledger.measured_value,
                           estimated=ledger.estimated_value),
            "cost": Cost(total=ledger.cost, inference=ledger.inference,
                         platform=ledger.platform, run=ledger.run),
            "net_value": ledger.net, "roi": ledger.roi, "business_case": ledger.business_case,
            "realised_share": ledger.realised_share, "requests": ledger.requests,
            "feedback": ledger.feedback, "basis": sorted(ledger.bases)}


class PeriodFigures(Figures):
    period: str
    start: str
    end: str


class Difference(View):
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = None
    significant: bool


class Uplift(View):
    """Per-request uplift over the window (informational: totals use each period's)."""

    against: str = Field(description="baseline (a control group) or champion")
    variant: str = Field(description="ai (every AI variant) or the challenger's name")
    revenue: Difference
    cost_saved: Difference


class PilotROI(Figures):
    pilot: str
    business_unit: str
    status: str
    currency: str
    uplift: Uplift | None = None
    time_to_scale_days: float | None = None
    periods: list[PeriodFigures]


class UnitROI(Figures):
    business_unit: str
    pilots: int


class PilotTimeToScale(View):
    pilot: str
    business_unit: str
    created_at: str | None
    scaled_at: str | None
    days: float | None
    age_days: float | None = Field(description="Days since creation (to the sunset, if "
                                   "it was sunset before scaling).")
    within_target: bool | None = Field(description="null: not scaled yet and still in time, "
                                       "or sunset before scaling.")
    sunset: bool


class TimeToScale(View):
    target_days: int
    median_days: float | None
    scaled: int
    within_target: int
    pilots: list[PilotTimeToScale]


class CostPerScaledPilot(View):
    period: str
    cost: float
    scaled_pilots: int = Field(description="Pilots that reached 100 % by the period's end.")
    cost_per_scaled_pilot: float | None


class UnitAdoption(View):
    business_unit: str
    pilots: int = Field(description="Pilots not sunset.")
    in_production: int
    scaling: int
    rate: float | None = Field(description="In production / pilots.")
    requests: int
    users: int | None = Field(description="Null: the log records no user or client id.")


class Adoption(UnitAdoption):
    business_unit: str = "all"
    users_note: str
    by_business_unit: list[UnitAdoption]


class SunsetPilot(View):
    pilot: str
    business_unit: str
    sunset_at: str | None
    money_freed_per_year: float


class Sunset(View):
    pilots: list[SunsetPilot]
    money_freed_per_year: float = Field(description="Their production cost per year.")


class ProgrammeReport(Figures):
    """The whole programme from ``since`` to ``until``, by month or quarter."""

    period: str
    since: str
    until: str
    currency: str
    platform_cost_rule: str
    unallocated_platform_cost: float
    periods: list[PeriodFigures]
    by_business_unit: list[UnitROI]
    by_pilot: list[PilotROI]
    time_to_scale_days: TimeToScale
    cost_per_scaled_pilot: list[CostPerScaledPilot]
    adoption: Adoption
    sunset: Sunset
    measures: dict[str, str] = Field(description="What each number is: measured, "
                                     "estimated or allocated, and from what.")
    notes: list[str]
