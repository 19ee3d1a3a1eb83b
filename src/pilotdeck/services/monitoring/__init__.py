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
from typing import Any

import pyarrow as pa

from pilotdeck.domain.ports.compute import ComputeEngine
from pilotdeck.domain.ports.lake import Lake, ReferenceProfile
from pilotdeck.services.monitoring import drift as _drift
from pilotdeck.services.monitoring import performance, profiles, report, windows
from pilotdeck.services.monitoring.profiles import profile_name

__all__ = ["MonitoringService", "profile_name"]

Progress = Callable[[int, int], None]


class MonitoringService:
    def __init__(self, lake: Lake, engines: Callable[[str], ComputeEngine],
                 cost_per_cpu_second: float = 0.0) -> None:
        self.lake = lake
        self.engines = engines
        self.cost_per_cpu_second = cost_per_cpu_second

    # -- profiles and table drift ------------------------------------------
    def build_profile(self, source: str | Path, name: str, *, engine: str = "local",
                      exact_limit: int = 100_000, chunk_rows: int = 200_000,
                      progress: Progress | None = None, seed: int = 0) -> dict[str, Any]:
        """Profile a table and store it as ``name`` (the reference for drift)."""
        return profiles.build(self.lake, self.engines(engine), str(source), name,
                              exact_limit=exact_limit, chunk_rows=chunk_rows,
                              progress=progress, seed=seed)

    def profile(self, name: str) -> ReferenceProfile:
        return self.lake.load_profile(name)

    def drift(self, reference: str | Path | None, current: str | Path | pa.Table, *,
              profile: str | ReferenceProfile | None = None, engine: str = "local",
              **options: Any) -> dict[str, Any]:
        """Column-by-column drift of ``current`` against a table or a stored profile
        (options: methods, thresholds, share, columns, workers, progress,
        stream_rows, sample_rows)."""
        stored = self.profile(profile) if isinstance(profile, str) else profile
        return _drift.drift(self.lake, reference, current, profile=stored,
                            engine=self.engines(engine), **options)

    # -- the prediction log --------------------------------------------------
    def logged_rows(self, pilot: str, since: datetime | None = None,
                    until: datetime | None = None, **filters: Any) -> pa.Table:
        """One row per scored row of the prediction log (features, prediction)."""
        return self.lake.rows(self.lake.requests(pilot, since, until, **filters))

    def window_drift(self, pilot: str, **options: Any) -> dict[str, Any]:
        return windows.window_drift(self.lake, pilot, **options)

    def quality(self, pilot: str, since: datetime | None = None,
                until: datetime | None = None, **options: Any) -> dict[str, Any]:
        return performance.quality(self.lake, pilot, since, until, **options)

    def fairness(self, pilot: str, sensitive: list[str], since: datetime | None = None,
                 until: datetime | None = None, **options: Any) -> dict[str, Any]:
        return performance.fairness(self.lake, pilot, sensitive, since, until, **options)

    def business_impact(self, pilot: str, since: datetime | None = None,
                        until: datetime | None = None, **options: Any) -> dict[str, Any]:
        return performance.business_impact(self.lake, pilot, since, until, **options)

    def health(self, pilot: str, since: datetime | None = None,
               until: datetime | None = None, **options: Any) -> dict[str, Any]:
        options.setdefault("cost_per_cpu_second", self.cost_per_cpu_second)
        return performance.health(self.lake, pilot, since, until, **options)

    def report(self, pilot: str, **options: Any) -> dict[str, Any]:
        options.setdefault("cost_per_cpu_second", self.cost_per_cpu_second)
        return report.build(self.lake, pilot, **options)
