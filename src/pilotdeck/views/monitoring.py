"""What monitoring returns: drift (of tables and of logged traffic), reference
profiles, model quality, fairness, business impact, health and the report.

Grouped results carry their grouping keys as optional fields (``model_version``,
``variant``, ``window``): a key is set when the result was grouped by it. Metrics
that do not apply (regression metrics of a classifier, intervals of one value)
are null rather than absent, so every result has one schema.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.domain.drift import Verdict
from pilotdeck.views.alerts import Alert
from pilotdeck.views.base import View

# -- drift ---------------------------------------------------------------------


class ColumnDrift(View):
    """One column's drift: the method, its statistic and the verdict."""

    column: str
    kind: str = Field(description="num | cat")
    method: str
    value: float | None = Field(description="p-value or distance; null when a side is empty")
    threshold: float
    drifted: bool
    stat: Literal["p_value", "distance"] = Field(
        description="p_value: drift when value < threshold; distance: when value >= threshold")


class QualityCheck(View):
    """Data-quality checks of one column's current side against its reference."""

    column: str
    kind: str
    missing_reference: float
    missing_current: float
    missing_change: float
    problems: list[str]
    constant_in_reference: bool = False
    # numeric columns
    reference_min: float | None = None
    reference_max: float | None = None
    out_of_range: float | None = Field(default=None, description="share of values outside "
                                                         "[referenceMin, referenceMax]")
    # categorical columns
    unseen_categories: list[str] | None = Field(default=None, description="the most frequent few")
    unseen_share: float | None = None


class DriftSide(View):
    """What one side of a comparison was: a table, a stored profile or a streamed
    summary of a table."""

    rows: int
    path: str | None = None
    profile: str | None = None
    exact: bool | None = Field(default=None, description="false when summarised from a sample")
    streamed: bool = False
    engine: str | None = None
    master: str | None = None


class TypeChange(View):
    column: str
    reference: str
    current: str


class SchemaChanges(View):
    missing_columns: list[str]
    new_columns: list[str]
    type_changes: list[TypeChange]


class MissingValues(View):
    """Missing shares of a column that has any."""

    column: str
    reference: float
    current: float


class DriftReport(View):
    """Column-by-column drift of a current table against a reference table or profile."""

    reference: DriftSide
    current: DriftSide
    columns: list[ColumnDrift]
    dataset_drift: bool
    drifted_columns: int
    columns_total: int
    share_drifted: float
    share_threshold: float
    schema_changes: SchemaChanges
    missing_values: list[MissingValues]
    quality: list[QualityCheck]
    quality_problems: int


class ProfileMeta(View):
    """A stored reference profile (its column summaries are not repeated here)."""

    name: str
    source: str
    rows: int
    exact: bool
    sample_rows: int
    created: str
    column_types: dict[str, str]


class WindowDrift(View):
    """Drift of one window of logged traffic against a reference profile."""

    window: str = Field(description="'all', the window's start (ISO) or the variant")
    version: int | None = Field(description="the version that served it; null with a "
                                            "named profile")
    profile: str
    rows: int
    verdict: Verdict = Field(
        description="'not enough data' when the window or the profile has fewer rows "
                    "than the minimum sample: then no column is tested and no alert fires")
    min_rows: int = Field(description="the minimum sample per side (setting "
                                      "PILOTDECK_DRIFT_MIN_ROWS)")
    dataset_drift: bool | None = Field(description="null when there is not enough data")
    drifted_columns: int
    columns_total: int
    share_drifted: float | None = Field(description="null when there is not enough data")
    columns: list[ColumnDrift]
    quality_problems: int


class WindowDriftReport(View):
    pilot: str
    profile: str | None = Field(description="the one profile every window was checked "
                                            "against, if one was")
    by: str | None
    rows: int
    windows: list[WindowDrift]
    skipped_versions: list[int | None] = Field(description="versions with no reference "
                                                           "profile: their traffic was not "
                                                           "checked")


# -- quality, fairness, impact, health -----------------------------------------


class QualityGroup(View):
    """Model quality of one group of labelled predictions."""

    model_version: int | None = None
    variant: str | None = None
    window: str | None = None
    task: str
    n: int
    # classification
    accuracy: float | None = None
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    roc_auc: float | None = None
    log_loss: float | None = None
    brier: float | None = None
    calibration_error: float | None = None
    # regression
    mae: float | None = None
    rmse: float | None = None
    mape: float | None = None
    r2: float | None = None


class QualityReport(View):
    pilot: str
    task: str | None
    labelled_rows: int = Field(description="Labelled live rows (a shadow's copies are not "
                               "counted again).")
    groups: list[QualityGroup]


class GroupMetrics(View):
    """fairlearn metrics of one group (or of every row), the larger label positive."""

    count: int
    accuracy: float
    selection_rate: float
    recall: float
    precision: float


class FairnessGroup(View):
    group: dict[str, str] = Field(description="sensitive column -> value")
    count: int
    accuracy: float
    selection_rate: float
    recall: float
    precision: float


class FairnessSlice(View):
    slice: str
    rows: int
    accuracy: float | None = None
    selection_rate: float | None = None


class FairnessReport(View):
    """fairlearn's MetricFrame per group, parity differences and named slices; the
    metrics are null when no labelled row was found."""

    pilot: str
    rows: int
    sensitive: list[str]
    positive_label: str | None = None
    groups: list[FairnessGroup]
    overall: GroupMetrics | None = None
    demographic_parity_difference: float | None = None
    equalized_odds_difference: float | None = None
    accuracy_gap: float | None = None
    slices: list[FairnessSlice]


class Difference(View):
    """A group's mean minus the baseline's, with a Welch confidence interval."""

    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = None
    significant: bool


class OutcomeSummary(View):
    """Mean, sum and a 95 % interval of one outcome per request."""

    n: int
    sum: float
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    vs_baseline: Difference | None = None


OUTCOMES = ("revenue", "cost_saved", "satisfaction")


class ImpactGroup(View):
    variant: str | None = None
    version: int | None = None
    requests: int
    revenue: OutcomeSummary
    cost_saved: OutcomeSummary
    satisfaction: OutcomeSummary

    def key(self) -> str | int | None:
        """The group's variant or version, whichever it was grouped by."""
        return self.variant if self.variant is not None else self.version

    def outcome(self, name: str) -> OutcomeSummary:
        """One of :data:`OUTCOMES` by name."""
        if name not in OUTCOMES:
            raise KeyError(name)
        value: OutcomeSummary = getattr(self, name)
        return value


class ImpactReport(View):
    pilot: str
    by: str = Field(description="variant | version: which key the groups carry")
    baseline: str
    groups: list[ImpactGroup]


class Latency(View):
    p50: float
    p95: float
    p99: float


class HealthGroup(View):
    model_version: int | None = None
    variant: str | None = None
    window: str | None = None
    requests: int
    rows: int
    error_rate: float
    cache_hit_rate: float
    latency_ms: Latency
    estimated_cost: float = Field(description="wall time of computed requests as CPU "
                                              "time, times the cost per CPU second")


class HealthReport(View):
    pilot: str
    groups: list[HealthGroup]


# -- the report ----------------------------------------------------------------


class SectionError(View):
    """A report section whose inputs are missing (no profile yet, no labels yet)."""

    error: str


class Distribution(View):
    """Reference vs current shares of one column (for the report's charts)."""

    column: str
    kind: str
    drifted: bool
    edges: list[float] | None = Field(default=None, description="numeric columns: bin edges")
    keys: list[str] | None = Field(default=None, description="categorical columns: the values")
    reference: list[float]
    current: list[float]


class ReportWindow(View):
    since: str | None
    until: str | None
    every: str


class VersionImportance(View):
    version: int
    explainer: str
    output_space: str
    importance: dict[str, float] = Field(description="Mean |SHAP| per feature.")


class MonitoringReport(View):
    """Every monitoring view of one pilot over one window."""

    pilot: str
    generated: str
    window: ReportWindow
    drift: WindowDriftReport | SectionError
    drift_over_time: WindowDriftReport | SectionError
    distributions: list[Distribution] | SectionError
    quality: QualityReport | SectionError
    fairness: FairnessReport | SectionError | None = Field(
        description="null when no sensitive columns were given")
    impact: ImpactReport | SectionError
    health: HealthReport | SectionError
    alerts: list[Alert]
    explanations: list[VersionImportance] = Field(
        default_factory=list, description="Stored global explanations of the versions "
        "that answered in the window: what drives each model.")


__all__ = [
    "OUTCOMES", "ColumnDrift", "Difference", "Distribution", "DriftReport", "DriftSide",
    "FairnessGroup", "FairnessReport", "FairnessSlice", "GroupMetrics", "HealthGroup",
    "HealthReport", "ImpactGroup", "ImpactReport", "Latency", "MissingValues",
    "MonitoringReport", "OutcomeSummary", "ProfileMeta", "QualityCheck", "QualityGroup",
    "QualityReport", "ReportWindow", "SchemaChanges", "SectionError", "TypeChange",
    "VersionFairness", "VersionImportance", "WindowDrift", "WindowDriftReport",
]


class VersionFairness(View):
    """A version scored on a labelled table and its fairness report: the evidence a
    high-risk tier's ``fairness-report`` control asks for before live traffic."""

    pilot: str
    version: int
    data: str = Field(description="The table it was scored on (its file name).")
    label: str
    computed_at: str
    computed_by: str
    report: FairnessReport
