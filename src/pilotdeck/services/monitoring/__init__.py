"""Monitoring as one service: drift, profiles, windows over the prediction log,
quality, fairness, business impact, health and the report.

It reads everything through the lake port and runs heavy summaries on a
compute engine; callers never build a lake path. The modules beside this one
hold the computations (each testable on its own); this class wires them to the
platform's lake, engines and settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.datasets import PinnedTable, is_ref
from pilotdeck.domain.drift import MIN_ROWS
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.compute import ComputeEngine
from pilotdeck.domain.ports.lake import Lake, ReferenceProfile
from pilotdeck.services.lineage_nodes import file_node
from pilotdeck.services.monitoring import drift as _drift
from pilotdeck.services.monitoring import performance, profiles, report, windows
from pilotdeck.services.monitoring.profiles import profile_name
from pilotdeck.views.alerts import Alert
from pilotdeck.views.monitoring import (
    DriftReport,
    FairnessReport,
    HealthReport,
    ImpactReport,
    MonitoringReport,
    ProfileMeta,
    QualityReport,
    WindowDriftReport,
)

__all__ = ["MonitoringService", "profile_name"]


def _table_nodes(source: object) -> list[str]:
    """A table as a lineage node: a dataset version, or a file by path (an in-memory
    table has none)."""
    if isinstance(source, PinnedTable):
        return [str(source)]
    if isinstance(source, str | Path):
        node = file_node(source)
        return [node] if node else []
    return []

if TYPE_CHECKING:
    from pilotdeck.services.lineage import LineageService

Progress = Callable[[int, int], None]
Resolver = Callable[..., "str | PinnedTable"]


class MonitoringService:
    def __init__(self, lake: Lake, engines: Callable[[str | None], ComputeEngine],
                 cost_per_cpu_second: float = 0.0, drift_min_rows: int = MIN_ROWS,
                 lineage: Callable[[], LineageService] | None = None) -> None:
        self.lake = lake
        self.engines = engines
        self.cost_per_cpu_second = cost_per_cpu_second
        self.drift_min_rows = drift_min_rows
        self.lineage = lineage
        # The catalogue's resolver (``dataset:NAME[@V]`` -> an access-checked version);
        # set by the composition root. Without it only plain paths are read.
        self.resolve: Resolver | None = None

    def _table(self, source: str | Path | PinnedTable, who: Principal | None, field: str,
               via: str) -> str | PinnedTable:
        if isinstance(source, PinnedTable):
            return source
        if self.resolve is not None:
            return self.resolve(source, who, field=field, via=via)
        if is_ref(str(source)):
            raise ValidationFailed("no dataset catalogue", [FieldError(
                field, "dataset references need the platform's catalogue")])
        return str(source)

    # -- profiles and table drift ------------------------------------------
    def build_profile(self, source: str | Path | PinnedTable, name: str, *,
                      engine: str | None = None, exact_limit: int = 100_000,
                      chunk_rows: int = 200_000, progress: Progress | None = None,
                      seed: int = 0, who: Principal | None = None) -> ProfileMeta:
        """Profile a table and store it as ``name`` (the reference for drift)."""
        table = self._table(source, who, "--input", "profile")
        meta = profiles.build(self.lake, self.engines(engine), table, name,
                              exact_limit=exact_limit, chunk_rows=chunk_rows,
                              progress=progress, seed=seed)
        if self.lineage is not None:  # table -> profile.build -> profile:NAME
            self.lineage().record("profile.build", _table_nodes(table),
                                  [f"profile:{name}"], facets={"rows": meta.rows})
        return meta

    def profile(self, name: str) -> ReferenceProfile:
        return self.lake.load_profile(name)

    def drift(self, reference: str | Path | PinnedTable | None,
              current: str | Path | PinnedTable | pa.Table, *,
              profile: str | ReferenceProfile | None = None, engine: str | None = None,
              methods: dict[str, str] | None = None,
              thresholds: dict[str, float] | None = None, share: float = 0.5,
              columns: list[str] | None = None, workers: int | None = None,
              progress: Progress | None = None, stream_rows: int = _drift.STREAM_ROWS,
              sample_rows: int | None = None, who: Principal | None = None) -> DriftReport:
        """Column-by-column drift of ``current`` against a table or a stored profile.

        ``methods``/``thresholds`` override the default test per column; ``share``
        of drifted columns makes dataset drift; a current table of more than
        ``stream_rows`` rows (or any, on a non-local ``engine``) is summarised
        first, keeping a sample of ``sample_rows`` rows."""
        stored = self.profile(profile) if isinstance(profile, str) else profile
        if reference is not None:
            reference = self._table(reference, who, "--reference", "drift")
        if not isinstance(current, pa.Table):
            current = self._table(current, who, "--current", "drift")
        out = _drift.drift(self.lake, reference, current, profile=stored,
                           engine=self.engines(engine), methods=methods,
                           thresholds=thresholds, share=share, columns=columns,
                           workers=workers, progress=progress, stream_rows=stream_rows,
                           sample_rows=sample_rows)
        if self.lineage is not None:  # reference (table or profile) + current -> drift.check
            ref = ([f"profile:{stored.name}"] if stored is not None
                   else _table_nodes(reference) if reference is not None else [])
            self.lineage().record("drift.check", ref + _table_nodes(current), [], facets={
                "datasetDrift": out.dataset_drift, "driftedShare": out.share_drifted})
        return out

    # -- the prediction log --------------------------------------------------
    def logged_rows(self, pilot: str, since: datetime | None = None,
                    until: datetime | None = None, *, variant: str | None = None,
                    version: int | None = None) -> pa.Table:
        """One row per scored row of the prediction log (features, prediction)."""
        return self.lake.rows(self.lake.requests(pilot, since, until, variant=variant,
                                                 version=version))

    def recent_rows(self, pilot: str, since: datetime, limit: int) -> tuple[pa.Table, bool]:
        """The scored rows of the newest ``limit`` requests since ``since``, and whether
        older ones were left out: a bounded sample for pages that must answer quickly
        (expanding the log's JSON is what costs, so the cut is made before it)."""
        requests = self.lake.requests(pilot, since)  # ordered by time
        cut = requests.num_rows > limit
        if cut:
            requests = requests.slice(requests.num_rows - limit)
        return self.lake.rows(requests), cut

    def window_drift(self, pilot: str, *, profile: str | None = None,
                     version: int | None = None, since: datetime | None = None,
                     until: datetime | None = None, variant: str | None = None,
                     by: str | None = None, share: float = 0.5,
                     rows: pa.Table | None = None) -> WindowDriftReport:
        """Logged inputs per window (``by`` hour, day or variant) against each
        serving version's profile, or against one named ``profile``."""
        return windows.window_drift(self.lake, pilot, profile=profile, version=version,
                                    since=since, until=until, variant=variant, by=by,
                                    share=share, rows=rows, min_rows=self.drift_min_rows)

    def quality(self, pilot: str, since: datetime | None = None,
                until: datetime | None = None, *, by: list[str] | None = None,
                every: str | None = None, task: str | None = None,
                variant: str | None = None, version: int | None = None,
                rows: pa.Table | None = None) -> QualityReport:
        return performance.quality(self.lake, pilot, since, until, by=by, every=every,
                                   task=task, variant=variant, version=version, rows=rows)

    def fairness(self, pilot: str, sensitive: list[str], since: datetime | None = None,
                 until: datetime | None = None, *, slices: dict[str, Any] | None = None,
                 version: int | None = None, rows: pa.Table | None = None) -> FairnessReport:
        return performance.fairness(self.lake, pilot, sensitive, since, until,
                                    slices=slices, version=version, rows=rows)

    def business_impact(self, pilot: str, since: datetime | None = None,
                        until: datetime | None = None, *, by: str = "variant",
                        baseline: str = "champion") -> ImpactReport:
        return performance.business_impact(self.lake, pilot, since, until, by=by,
                                           baseline=baseline)

    def health(self, pilot: str, since: datetime | None = None,
               until: datetime | None = None, *, every: str | None = None,
               by: list[str] | None = None, variant: str | None = None,
               version: int | None = None,
               cost_per_cpu_second: float | None = None) -> HealthReport:
        """``cost_per_cpu_second`` defaults to the platform's setting."""
        return performance.health(
            self.lake, pilot, since, until, every=every, by=by, variant=variant,
            version=version,
            cost_per_cpu_second=(self.cost_per_cpu_second if cost_per_cpu_second is None
                                 else cost_per_cpu_second))

    def report(self, pilot: str, *, since: datetime | None = None,
               until: datetime | None = None, sensitive: list[str] | None = None,
               every: str = "day", alerts: list[Alert] | None = None,
               cost_per_cpu_second: float | None = None,
               progress: Callable[[str], None] | None = None) -> MonitoringReport:
        return report.build(
            self.lake, pilot, since=since, until=until, sensitive=sensitive, every=every,
            alerts=alerts, progress=progress, drift_min_rows=self.drift_min_rows,
            cost_per_cpu_second=(self.cost_per_cpu_second if cost_per_cpu_second is None
                                 else cost_per_cpu_second))
