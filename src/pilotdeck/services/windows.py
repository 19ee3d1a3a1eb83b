"""Drift of what a pilot was actually asked: prediction-log windows vs a profile.

The features the gateway logged in ``[since, until)`` are compared with the
reference profile of the serving version (``PILOT.vN``, stored when the version
was registered with a reference dataset), per hour, per day or per variant.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pilotdeck.adapters import predlog
from pilotdeck.domain.errors import FieldError, NotFound, ValidationFailed
from pilotdeck.services import profiles
from pilotdeck.services.monitoring import drift

BY = ("hour", "day", "variant")
META = {"request_id", "ts", "variant", "model_version", "row", "prediction"}


def profile_name(pilot: str, version: int) -> str:
    return f"{pilot}.v{version}"


def _split(rows: pa.Table, by: str | None) -> list[tuple[str, pa.Table]]:
    if by is None:
        return [("all", rows)]
    if by == "variant":
        keys = rows["variant"]
    else:
        keys = pc.strftime(pc.floor_temporal(rows["ts"], unit=by), format="%Y-%m-%dT%H:%M:%SZ")
    out = []
    for key in sorted(set(keys.to_pylist())):
        out.append((key, rows.filter(pc.equal(keys, key))))
    return out


def window_drift(lake: Path, pilot: str, *, profile: str | None = None,
                 version: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, variant: str | None = None,
                 by: str | None = None, share: float = 0.5) -> dict[str, Any]:
    """Drift of each window's logged features against the reference profile."""
    if by is not None and by not in BY:
        raise ValidationFailed("invalid window", [FieldError("by", f"must be one of {BY}")])
    reqs = predlog.requests(lake / "predictions", pilot, since, until, variant=variant,
                            version=version)
    rows = predlog.rows(reqs)
    if profile is None:
        versions = sorted(set(rows["model_version"].to_pylist()))
        if not versions:
            return {"pilot": pilot, "profile": None, "windows": [], "rows": 0}
        if len(versions) > 1 and version is None:
            raise ValidationFailed("several versions served in the window", [FieldError(
                "version", f"choose one of {versions} or name a --profile")])
        profile = profile_name(pilot, versions[-1])
    try:
        stored = profiles.load(profile, lake / "profiles")
    except NotFound:
        raise ValidationFailed("no reference profile", [FieldError(
            "profile", f"{profile!r} does not exist: register the version with a reference "
                       "dataset, or build one with `pilotdeck monitor profile`")]) from None
    features = [c for c in rows.column_names if c not in META and c in stored.columns]
    out = []
    for key, part in _split(rows, by):
        result = drift(None, part.select(features), profile=stored, share=share)
        out.append({"window": key, "rows": part.num_rows, **{
            k: result[k] for k in ("dataset_drift", "drifted_columns", "columns_total",
                                   "share_drifted", "columns", "quality_problems")}})
    return {"pilot": pilot, "profile": profile, "by": by, "rows": rows.num_rows,
            "windows": out}
