"""One pilot's monitoring report: every view over one window, in one view.

The API serves it as JSON; ``render/report_html.py`` turns the same view into
a self-contained HTML page. A section whose inputs are missing (no reference
profile yet, no labels yet) is a :class:`SectionError` and the rest still renders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pilotdeck.domain.columns import column_dist
from pilotdeck.domain.drift import MIN_ROWS, sturges_edges
from pilotdeck.domain.errors import PilotdeckError
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.serving import profile_name
from pilotdeck.services.monitoring import performance, windows
from pilotdeck.views.alerts import Alert
from pilotdeck.views.monitoring import (
    Distribution,
    MonitoringReport,
    ReportWindow,
    SectionError,
    VersionImportance,
    WindowDrift,
    WindowDriftReport,
)

MAX_DISTRIBUTIONS = 6
T = TypeVar("T")


def _section(fn: Callable[[], T]) -> T | SectionError:
    try:
        return fn()
    except PilotdeckError as exc:
        return SectionError(error=str(exc))


def main_window(drift: WindowDriftReport) -> WindowDrift:
    """The window that carried the most traffic (its version's profile is shown)."""
    return max(drift.windows, key=lambda w: w.rows)


def _distributions(lake: Lake, drift: WindowDriftReport | SectionError,
                   rows: pa.Table) -> list[Distribution]:
    """Reference vs current shares of the most drifted columns (for the charts)."""
    if isinstance(drift, SectionError) or not drift.windows:
        return []
    main = main_window(drift)
    cols = sorted(main.columns, key=lambda c: (not c.drifted, c.column))[:MAX_DISTRIBUTIONS]
    stored = lake.load_profile(main.profile)
    if main.version is not None:
        rows = rows.filter(pc.equal(rows["model_version"], main.version))
    out = []
    for c in cols:
        ref = stored.dist(c.column)
        cur = column_dist(rows[c.column], ref.kind)  # the same summary drift compared
        if ref.kind == "num":
            ends = [x for x in (ref.min, ref.max, cur.min, cur.max) if x is not None]
            edges = sturges_edges(min(ends), max(ends), max(ref.size + cur.size, 2))[:31]
            r, k = (np.histogram(d.values if d.values is not None else np.empty(0), edges)[0]
                    for d in (ref, cur))
            out.append(Distribution(column=c.column, kind=ref.kind, drifted=c.drifted,
                                    edges=edges.tolist(),
                                    reference=(r / max(r.sum(), 1)).tolist(),
                                    current=(k / max(k.sum(), 1)).tolist()))
        else:
            rmap = dict(zip(ref.keys, ref.counts, strict=True))  # type: ignore[arg-type]
            cmap = dict(zip(cur.keys, cur.counts, strict=True))  # type: ignore[arg-type]
            keys = sorted(set(rmap) | set(cmap))
            out.append(Distribution(column=c.column, kind=ref.kind, drifted=c.drifted,
                                    keys=[str(x) for x in keys],
                                    reference=[rmap.get(x, 0) / max(ref.size, 1)
                                               for x in keys],
                                    current=[cmap.get(x, 0) / max(cur.size, 1)
                                             for x in keys]))
    return out


def build(lake: Lake, pilot: str, *, since: datetime | None = None,
          until: datetime | None = None, sensitive: list[str] | None = None,
          every: str = "day", alerts: list[Alert] | None = None,
          cost_per_cpu_second: float = 0.0,
          progress: Callable[[str], None] | None = None,
          drift_min_rows: int = MIN_ROWS) -> MonitoringReport:
    step = progress or (lambda _name: None)
    step("drift")
    # The logged rows are read and expanded once, and every view below shares them.
    rows = lake.rows(lake.requests(pilot, since, until))
    drift = _section(lambda: windows.window_drift(lake, pilot, rows=rows,
                                                  min_rows=drift_min_rows))
    drift_series = _section(lambda: windows.window_drift(lake, pilot, by=every, rows=rows,
                                                         min_rows=drift_min_rows))
    step("distributions")
    dists = _section(lambda: _distributions(lake, drift, rows))
    step("quality")
    quality = _section(lambda: performance.quality(lake, pilot, by=["variant"], every=every,
                                                   rows=rows))
    step("fairness")
    fairness = (_section(lambda: performance.fairness(lake, pilot, sensitive or [],
                                                      rows=rows))
                if sensitive else None)
    step("impact")
    impact = _section(lambda: performance.business_impact(lake, pilot, since, until))
    step("health")
    health = _section(lambda: performance.health(lake, pilot, since, until, by=["variant"],
                                                 cost_per_cpu_second=cost_per_cpu_second))
    return MonitoringReport(
        pilot=pilot, generated=datetime.now(UTC).isoformat(),
        explanations=_explanations(lake, pilot, rows),
        window=ReportWindow(since=since.isoformat() if since else None,
                            until=until.isoformat() if until else None, every=every),
        drift=drift, drift_over_time=drift_series, distributions=dists, quality=quality,
        fairness=fairness, impact=impact, health=health, alerts=alerts or [])


def _explanations(lake: Lake, pilot: str, rows: pa.Table) -> list[VersionImportance]:
    """The stored global explanation of each version that answered in the window."""
    if "model_version" not in rows.column_names or not rows.num_rows:
        return []
    out = []
    for version in sorted({int(v) for v in rows["model_version"].to_pylist() if v}):
        data = lake.load_report("explanations", profile_name(pilot, version))
        if data is not None:
            out.append(VersionImportance(version=version, explainer=data["explainer"],
                                         output_space=data["outputSpace"],
                                         importance=data["importance"]))
    return out
