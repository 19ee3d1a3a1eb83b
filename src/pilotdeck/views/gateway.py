"""What the inference gateway answers: predictions, feedback receipts, its status.

The request bodies stay MLflow's (``dataframe_split``, ``dataframe_records``,
``instances``, ``inputs``) and so does the ``predictions`` key of the answer;
pilotdeck's own keys are camelCase like everywhere else.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["CacheStats", "FeedbackReceipt", "GatewayHealth", "GatewayStatus", "LoadedModel",
           "Prediction", "PredictionLogStats", "RouteStatus", "VariantStatus"]


class Prediction(View):
    """One scoring answer (the gateway writes it with orjson; this documents it)."""

    predictions: list[Any] = Field(description="One prediction per row, as MLflow returns "
                                                "them.")
    request_id: str = Field(description="Send it back with feedback to join outcomes.")
    variant: str = Field(description="champion, challenger, ... or 'fallback-default'.")
    model_version: int = Field(description="The version that answered (0: the safe default).")
    cached: bool


class FeedbackReceipt(View):
    status: Literal["accepted"]
    request_id: str


class GatewayHealth(View):
    status: Literal["ok"]
    routes: int = Field(description="How many pilots have a route loaded (which ones is "
                                    "for /v1/gateway/status: health is public).")
    last_refresh: float = Field(description="Unix time of the last routing refresh (0: none).")


class CacheStats(View):
    backend: str
    hits: int
    misses: int
    hit_rate: float | None


class PredictionLogStats(View):
    written: int = Field(description="Rows written to the lake so far.")
    files: int


class LoadedModel(View):
    pilot: str
    version: int
    unused_seconds: float | None = Field(
        description="Seconds since it left every deployment (unloaded after a grace period).")


class VariantStatus(View):
    name: str
    version: int
    weight: float
    breaker: str = Field(description="closed | open | half-open | forced-open")
    breaker_reason: str


class RouteStatus(View):
    revision: int
    variants: list[VariantStatus]
    shadow: list[int] = Field(description="Versions that get copies of the traffic.")


class GatewayStatus(View):
    version: str
    cache: CacheStats
    prediction_log: PredictionLogStats
    load_errors: dict[str, str] = Field(description="Pilots whose models failed to load.")
    loaded_models: list[LoadedModel]
    routes: dict[str, RouteStatus]
