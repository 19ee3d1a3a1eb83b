"""What the feature-store service answers: views with their reuse, runs, lookups."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["AppliedFeatures", "FeatureColumn", "FeatureDataset", "FeatureViewInfo",
           "Materialization", "OnlineFeatures"]


class FeatureColumn(View):
    name: str
    dtype: str


class FeatureViewInfo(View):
    name: str
    entities: list[str]
    join_keys: list[str]
    source: str = Field(description="table:NAME or dataset:NAME")
    timestamp_field: str
    ttl_seconds: int
    features: list[FeatureColumn]
    defined_by: str = Field(description="The pilot whose document defines the view.")
    used_by: list[str] = Field(description="Pilots that use the view.")
    reuse: int = Field(description="How many pilots use the view (shared when > 1).")


class AppliedFeatures(View):
    entities: list[str]
    views: list[FeatureViewInfo]
    pilots: list[str]
    online_store: str = Field(description="sqlite or redis")


class Materialization(View):
    views: list[str]
    start: str | None = Field(description="None: incremental from each view's last run.")
    end: str
    seconds: float


class OnlineFeatures(View):
    """One row per entity asked for; a feature is None when the store has no value."""

    features: list[str]
    rows: list[dict[str, Any]]


class FeatureDataset(View):
    name: str
    path: str = Field(description="Where the Parquet training set was written.")
    rows: int
    columns: list[str]
