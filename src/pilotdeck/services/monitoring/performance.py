"""Model quality, fairness, business impact and health from the gateway's logs.

Every view reads the prediction log of one pilot over a window, joins the
feedback by request id where it needs labels or outcomes, and groups by model
version, variant and (optionally) hour or day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pilotdeck.domain import performance as perf
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.views.monitoring import (
    OUTCOMES,
    Difference,
    FairnessGroup,
    FairnessReport,
    FairnessSlice,
    GroupMetrics,
    HealthGroup,
    HealthReport,
    ImpactGroup,
    ImpactReport,
    Latency,
    OutcomeSummary,
    QualityGroup,
    QualityReport,
)

EVERY = {"hour": "h", "day": "D"}
GROUPS = {"version": "model_version", "variant": "variant"}


def _group_keys(by: list[str], every: str | None) -> list[str]:
    bad = [b for b in by if b not in GROUPS]
    if bad or (every is not None and every not in EVERY):
        raise ValidationFailed("invalid grouping", [
            *[FieldError(f"by.{b}", f"must be one of {', '.join(GROUPS)}") for b in bad],
            *([FieldError("every", "must be hour or day")]
              if every is not None and every not in EVERY else [])])
    return [GROUPS[b] for b in by] + (["window"] if every else [])


def _with_window(df: pd.DataFrame, every: str | None) -> pd.DataFrame:
    """Add the ``window`` column (start of the hour/day, ISO) to group by."""
    if every and not df.empty:
        df["window"] = df["ts"].dt.floor(EVERY[every]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return df


def _groups(df: pd.DataFrame, keys: list[str]) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    if df.empty:
        return []
    if not keys:
        return [({}, df)]
    out = []
    for k, g in df.groupby(keys, sort=True):
        values = k if isinstance(k, tuple) else (k,)
        out.append(({key: (int(v) if key == "model_version" else v)
                     for key, v in zip(keys, values, strict=True)}, g))
    return out


def _with_shadow(keys: list[str], variant: str | None) -> bool:
    """Shadow versions are shown beside the live variants when results are grouped
    by version or variant; never mixed into an ungrouped figure (what alerts read)."""
    return variant is None and bool({"model_version", "variant"} & set(keys))


def labelled_rows(lake: Lake, pilot: str, since: datetime | None,
                  until: datetime | None, variant: str | None = None,
                  version: int | None = None, rows: pa.Table | None = None,
                  include_shadow: bool = False) -> pd.DataFrame:
    """Logged rows joined to their labels; ``rows`` when the caller already read them.

    A shadow's rows carry the live request's id, so its label joins to them too."""
    if rows is None:
        rows = lake.rows(lake.requests(pilot, since, until, variant=variant,
                                       version=version, include_shadow=include_shadow))
    return lake.labelled(pilot, rows).to_pandas()


def quality(lake: Lake, pilot: str, since: datetime | None = None,
            until: datetime | None = None, by: list[str] | None = None,
            every: str | None = None, task: str | None = None, variant: str | None = None,
            version: int | None = None, rows: pa.Table | None = None) -> QualityReport:
    """Quality per model version and variant (and hour/day) once labels arrived;
    shadow versions as variant ``shadow``."""
    keys = _group_keys(by if by is not None else ["version", "variant"], every)
    df = _with_window(labelled_rows(lake, pilot, since, until, variant, version, rows,
                                    include_shadow=_with_shadow(keys, variant)), every)
    task = task or (perf.task_of(df["label"].to_numpy()) if not df.empty else None)
    groups = [QualityGroup(**k, **perf.quality(g["label"].to_numpy(),
                                                g["prediction"].to_numpy(), task))
              for k, g in _groups(df, keys)]
    # A shadow's rows repeat the live request's: count each labelled request once.
    live = int((df["variant"] != "shadow").sum()) if "variant" in df.columns else len(df)
    return QualityReport(pilot=pilot, task=task, labelled_rows=live, groups=groups)


def fairness(lake: Lake, pilot: str, sensitive: list[str], since: datetime | None = None,
             until: datetime | None = None, slices: dict[str, Any] | None = None,
             version: int | None = None, rows: pa.Table | None = None) -> FairnessReport:
    """fairlearn's MetricFrame per group of the sensitive columns (several columns
    give their intersections), parity differences, and named edge-case slices."""
    df = labelled_rows(lake, pilot, since, until, rows=rows)
    if version is not None and not df.empty:
        df = df[df["model_version"] == version]
    return fairness_of(pilot, df, sensitive, slices)


def fairness_of(pilot: str, df: pd.DataFrame, sensitive: list[str],
                slices: dict[str, Any] | None = None) -> FairnessReport:
    """The fairness report of rows holding ``label``, ``prediction`` and the
    sensitive columns: logged traffic, or a version scored on a validation table."""
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
    )
    from sklearn import metrics as m

    missing = [c for c in sensitive if c not in df.columns]
    slices = slices or {}
    perf.check_slices(slices, [c for c in df.columns])
    if missing:
        raise ValidationFailed("invalid sensitive features", [
            FieldError(f"sensitive.{c}", "is not an input column of the rows") for c in missing])
    if df.empty:
        return FairnessReport(pilot=pilot, rows=0, sensitive=sensitive, groups=[], slices=[])
    y = perf.as_labels(df["label"].to_numpy())
    pred = perf.as_labels(df["prediction"].to_numpy())
    classes = sorted(set(y.tolist()) | set(pred.tolist()))
    positive = classes[-1]
    yt, yp = (y == positive).astype(int), (pred == positive).astype(int)
    sf = df[sensitive].astype(str)
    metrics = {"count": lambda t, p: float(len(t)), "accuracy": m.accuracy_score,
               "selection_rate": lambda t, p: float(np.mean(p)),
               "recall": lambda t, p: m.recall_score(t, p, zero_division=0),
               "precision": lambda t, p: m.precision_score(t, p, zero_division=0)}
    mf = MetricFrame(metrics=metrics, y_true=yt, y_pred=yp, sensitive_features=sf)
    groups = []
    for idx, row in mf.by_group.iterrows():
        values = idx if isinstance(idx, tuple) else (idx,)
        groups.append(FairnessGroup(
            group=dict(zip(sensitive, [str(v) for v in values], strict=True)),
            **_metrics(row.items())))
    data = {c: df[c].to_numpy() for c in df.columns}
    slice_rows = []
    for name, conds in slices.items():
        mask = perf.slice_mask(data, conds, name)
        if mask.any():
            slice_rows.append(FairnessSlice(
                slice=name, rows=int(mask.sum()),
                accuracy=float(m.accuracy_score(yt[mask], yp[mask])),
                selection_rate=float(yp[mask].mean())))
        else:
            slice_rows.append(FairnessSlice(slice=name, rows=0))
    return FairnessReport(
        pilot=pilot, rows=len(df), positive_label=positive, sensitive=sensitive,
        groups=groups,
        overall=GroupMetrics(**_metrics(mf.overall.items())),
        demographic_parity_difference=float(
            demographic_parity_difference(yt, yp, sensitive_features=sf)),
        equalized_odds_difference=float(
            equalized_odds_difference(yt, yp, sensitive_features=sf)),
        accuracy_gap=float(mf.difference()["accuracy"]),
        slices=slice_rows,
    )


def _metrics(items: Any) -> dict[str, Any]:
    """MetricFrame's (name, value) pairs as view fields: the count a whole number."""
    return {k: int(v) if k == "count" else float(v) for k, v in items}


def business_impact(lake: Lake, pilot: str, since: datetime | None = None,
                    until: datetime | None = None, by: str = "variant",
                    baseline: str = "champion") -> ImpactReport:
    """Revenue, cost saved and satisfaction per request from feedback, per variant
    (or version), with 95 % intervals, and each group's difference to the baseline."""
    key = _group_keys([by], None)[0]
    reqs = lake.requests(pilot, since, until).select(
        ["request_id", "variant", "model_version"]).to_pandas()
    fb = lake.feedback(pilot).to_pandas()
    df = reqs.merge(fb, on="request_id", how="inner")
    groups: dict[Any, pd.DataFrame] = dict(iter(df.groupby(key))) if not df.empty else {}
    base_key: Any = int(baseline) if key == "model_version" and baseline.isdigit() else baseline
    out = []
    for k, g in sorted(groups.items(), key=lambda kv: str(kv[0])):
        entry: dict[str, Any] = {by: int(k) if key == "model_version" else k,
                                 "requests": len(g)}
        for o in OUTCOMES:
            vals = g[o].to_numpy(dtype=float)
            vs = (Difference(**perf.difference_ci(
                      vals, groups[base_key][o].to_numpy(dtype=float)))
                  if k != base_key and base_key in groups else None)
            entry[o] = OutcomeSummary(**perf.mean_ci(vals), vs_baseline=vs)
        out.append(ImpactGroup(**entry))
    return ImpactReport(pilot=pilot, by=by, baseline=baseline, groups=out)


def health(lake: Lake, pilot: str, since: datetime | None = None,
           until: datetime | None = None, every: str | None = None,
           cost_per_cpu_second: float = 0.0, by: list[str] | None = None,
           variant: str | None = None, version: int | None = None) -> HealthReport:
    """Latency percentiles, error rate, cache hit rate and estimated cost per
    version and variant (shadows as variant ``shadow``), from every logged request
    (failures included)."""
    keys = _group_keys(by if by is not None else ["version", "variant"], every)
    reqs = lake.requests(pilot, since, until, variant=variant, version=version,
                         ok_only=False, include_shadow=_with_shadow(keys, variant))
    df = _with_window(reqs.select(["ts", "variant", "model_version", "latency_ms",
                                   "cache_hit", "status", "rows"]).to_pandas(), every)
    out = []
    for k, g in _groups(df, keys):
        lat = g["latency_ms"].to_numpy(dtype=float)
        served = g[~g["cache_hit"]]
        p50, p95, p99 = (float(np.percentile(lat, q)) for q in (50, 95, 99))
        out.append(HealthGroup(
            **k, requests=len(g), rows=int(g["rows"].sum()),
            error_rate=float((g["status"] >= 500).mean()),
            cache_hit_rate=float(g["cache_hit"].mean()),
            latency_ms=Latency(p50=p50, p95=p95, p99=p99),
            # Wall time of computed requests as CPU time: an upper bound.
            estimated_cost=float(served["latency_ms"].sum() / 1000 * cost_per_cpu_second)))
    return HealthReport(pilot=pilot, groups=out)
