"""Drift of what a pilot was actually asked: prediction-log windows vs a profile.

The features the gateway logged in ``[since, until)`` are compared with the
reference profile of the version that served them (``PILOT.vN``, stored when the
version was registered with a reference dataset), per hour, per day or per
variant; or, with ``profile``, all of them with one named profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pilotdeck.domain.drift import MIN_ROWS, NOT_ENOUGH_DATA, enough_rows, verdict
from pilotdeck.domain.errors import FieldError, NotFound, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.services.monitoring.drift import drift
from pilotdeck.services.monitoring.profiles import profile_name
from pilotdeck.views.monitoring import WindowDrift, WindowDriftReport

BY = ("hour", "day", "variant")
META = {"request_id", "ts", "variant", "model_version", "row", "prediction"}


def _split(rows: pa.Table, by: str | None) -> list[tuple[str, pa.Table]]:
    if by is None:
        return [("all", rows)]
    if by == "variant":
        keys = rows["variant"]
    else:
        start = pc.cast(pc.floor_temporal(rows["ts"], unit=by), pa.timestamp("s", tz="UTC"))
        keys = pc.strftime(start, format="%Y-%m-%dT%H:%M:%SZ")  # whole seconds: no ".000000"
    out = []
    for key in sorted(set(keys.to_pylist())):
        out.append((key, rows.filter(pc.equal(keys, key))))
    return out


def window_drift(lake: Lake, pilot: str, *, profile: str | None = None,
                 version: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, variant: str | None = None,
                 by: str | None = None, share: float = 0.5,
                 rows: pa.Table | None = None, min_rows: int = MIN_ROWS) -> WindowDriftReport:
    """Drift of each window's logged features against the reference profile.

    ``rows`` are logged rows already read (``lake.rows``) for callers that
    need them for several views; the filters then apply to them as given. A
    window (or profile) with fewer than ``min_rows`` rows gets the verdict "not
    enough data" and no drift verdict."""
    if by is not None and by not in BY:
        raise ValidationFailed("invalid window", [
            FieldError("by", f"must be one of {', '.join(BY)}")])
    if rows is None:
        rows = lake.rows(lake.requests(pilot, since, until,
                                             variant=variant, version=version))
    if profile is not None:  # every row against the named profile
        plan = [(None, profile, rows)]
    else:  # each version's rows against that version's own profile
        versions = sorted(set(rows["model_version"].to_pylist()))
        plan = [(v, profile_name(pilot, v),
                 rows.filter(pc.equal(rows["model_version"], v))) for v in versions]
    out: list[WindowDrift] = []
    skipped: list[int | None] = []
    for v, name, part_rows in plan:
        try:
            stored = lake.load_profile(name)
        except NotFound:
            if profile is not None or len(plan) == 1:
                raise ValidationFailed("no reference profile", [FieldError(
                    "profile", f"{name!r} does not exist: register the version with a "
                               "reference dataset, or build one with `pilotdeck monitor "
                               "profile`")]) from None
            skipped.append(v)  # an older version registered without a reference
            continue
        features = [c for c in part_rows.column_names if c not in META and c in stored.columns]
        for key, part in _split(part_rows, by):
            common: dict[str, Any] = {"window": key, "version": v, "profile": name,
                                      "rows": part.num_rows, "min_rows": min_rows}
            if not enough_rows(stored.rows, part.num_rows, min_rows):
                out.append(WindowDrift(**common, verdict=NOT_ENOUGH_DATA, dataset_drift=None,
                                       drifted_columns=0, columns_total=len(features),
                                       share_drifted=None, columns=[], quality_problems=0))
                continue
            result = drift(lake, None, part.select(features), profile=stored, share=share)
            out.append(WindowDrift(
                **common, dataset_drift=result.dataset_drift,
                verdict=verdict(stored.rows, part.num_rows, min_rows, result.dataset_drift),
                drifted_columns=result.drifted_columns,
                columns_total=result.columns_total, share_drifted=result.share_drifted,
                columns=result.columns, quality_problems=result.quality_problems))
    if plan and not out:
        raise ValidationFailed("no reference profile", [FieldError(
            "profile", f"none of versions {skipped} has a reference profile")])
    if profile is None and len({w.profile for w in out}) == 1:
        profile = out[0].profile  # one profile served every window: say which
    return WindowDriftReport(pilot=pilot, profile=profile, by=by, rows=rows.num_rows,
                             windows=out, skipped_versions=skipped)
