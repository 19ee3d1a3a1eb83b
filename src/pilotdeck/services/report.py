"""One pilot's monitoring report: every view over one window, as JSON-ready data.

The API serves this dict; ``adapters/report_html.py`` turns the same dict into
a self-contained HTML page. A section whose inputs are missing (no reference
profile yet, no labels yet) carries an ``error`` and the rest still renders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pilotdeck.adapters import predlog
from pilotdeck.domain.drift import Dist, sturges_edges
from pilotdeck.domain.errors import PilotdeckError
from pilotdeck.services import performance, profiles, windows

MAX_DISTRIBUTIONS = 6


def _section(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except PilotdeckError as exc:
        return {"error": str(exc)}


def main_window(drift: dict[str, Any]) -> dict[str, Any]:
    """The window that carried the most traffic (its version's profile is shown)."""
    return max(drift["windows"], key=lambda w: w["rows"])  # type: ignore[no-any-return]


def _distributions(lake: Path, pilot: str, drift: dict[str, Any], since: datetime | None,
                   until: datetime | None) -> list[dict[str, Any]]:
    """Reference vs current shares of the most drifted columns (for the charts)."""
    if "error" in drift or not drift.get("windows"):
        return []
    main = main_window(drift)
    cols = sorted(main["columns"],
                  key=lambda c: (not c["drifted"], c["column"]))[:MAX_DISTRIBUTIONS]
    stored = profiles.load(main["profile"], lake / "profiles")
    rows = predlog.rows(predlog.requests(lake / "predictions", pilot, since, until,
                                         version=main["version"]))
    out = []
    for c in cols:
        name = c["column"]
        ref = stored.dist(name)
        values = [v for v in rows[name].to_pylist() if v is not None]
        if ref.kind == "num":
            cur = np.array(values, dtype=float)
            cur = np.sort(cur[np.isfinite(cur)])
            lo = min(x for x in (ref.min, cur[0] if len(cur) else None) if x is not None)
            hi = max(x for x in (ref.max, cur[-1] if len(cur) else None) if x is not None)
            edges = sturges_edges(lo, hi, max(ref.size + len(cur), 2))[:31]
            r: np.ndarray = (np.histogram(ref.values, edges)[0] if ref.values is not None
                             else np.zeros(len(edges) - 1))
            k = np.histogram(cur, edges)[0]
            out.append({"column": name, "kind": "num", "drifted": c["drifted"],
                        "edges": edges.tolist(),
                        "reference": (np.asarray(r) / max(np.sum(r), 1)).tolist(),
                        "current": (k / max(k.sum(), 1)).tolist()})
        else:
            cur_d = Dist.of_values("cat", np.array(values, dtype=object))
            keys = sorted(set(map(str, ref.keys if ref.keys is not None else []))
                          | set(map(str, cur_d.keys if cur_d.keys is not None else [])))
            rmap = dict(zip(map(str, ref.keys), ref.counts, strict=True)) \
                if ref.keys is not None and ref.counts is not None else {}
            cmap = dict(zip(map(str, cur_d.keys), cur_d.counts, strict=True)) \
                if cur_d.keys is not None and cur_d.counts is not None else {}
            out.append({"column": name, "kind": "cat", "drifted": c["drifted"], "keys": keys,
                        "reference": [rmap.get(x, 0) / max(ref.size, 1) for x in keys],
                        "current": [cmap.get(x, 0) / max(cur_d.size, 1) for x in keys]})
    return out


def build(lake: Path, pilot: str, *, since: datetime | None = None,
          until: datetime | None = None, sensitive: list[str] | None = None,
          every: str = "day", alerts: list[dict[str, Any]] | None = None,
          cost_per_cpu_second: float = 0.0,
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    step = progress or (lambda _name: None)
    step("drift")
    drift = _section(lambda: windows.window_drift(lake, pilot, since=since, until=until))
    drift_series = _section(lambda: windows.window_drift(lake, pilot, since=since,
                                                         until=until, by=every))
    step("distributions")
    dists = _section(lambda: _distributions(lake, pilot, drift, since, until))
    step("quality")
    quality = _section(lambda: performance.quality(lake, pilot, since, until,
                                                   by=["variant"], every=every))
    step("fairness")
    fairness = (_section(lambda: performance.fairness(lake, pilot, sensitive or [], since,
                                                      until))
                if sensitive else None)
    step("impact")
    impact = _section(lambda: performance.business_impact(lake, pilot, since, until))
    step("health")
    health = _section(lambda: performance.health(lake, pilot, since, until, by=["variant"],
                                                 cost_per_cpu_second=cost_per_cpu_second))
    return {"pilot": pilot, "generated": datetime.now(UTC).isoformat(),
            "window": {"since": since.isoformat() if since else None,
                       "until": until.isoformat() if until else None, "every": every},
            "drift": drift, "drift_over_time": drift_series, "distributions": dists,
            "quality": quality, "fairness": fairness, "impact": impact, "health": health,
            "alerts": alerts or []}
