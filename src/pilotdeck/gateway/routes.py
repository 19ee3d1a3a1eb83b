"""The gateway's HTTP routes: predict, feedback, metrics, health and status."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from pilotdeck._version import __version__
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.inputs import Finite, Storable
from pilotdeck.domain.pilot import NAME_RE
from pilotdeck.gateway.predict import answer
from pilotdeck.gateway.request_ids import RequestIds
from pilotdeck.gateway.serving import Gateway
from pilotdeck.http import public, require
from pilotdeck.views.gateway import (
    CacheStats,
    FeedbackReceipt,
    GatewayHealth,
    GatewayStatus,
    LoadedModel,
    Prediction,
    PredictionLogStats,
    RouteStatus,
    VariantStatus,
)


def predict_doc() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object",
        "description": "MLflow scoring format: exactly one of the properties.",
        "properties": {
            "dataframe_split": {"type": "object", "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "data": {"type": "array", "items": {"type": "array"}}}},
            "dataframe_records": {"type": "array", "items": {"type": "object"}},
            "instances": {"type": "array"},
            "inputs": {"oneOf": [{"type": "object"}, {"type": "array"}]},
            "entities": {"type": "array", "items": {"type": "object"}, "description": (
                "Entity keys (and any other inputs) of a pilot with a feature service: "
                "its features are read from the online store.")}}}}}}}


class Feedback(BaseModel):
    """Outcomes of one prediction, keyed by its ``requestId``.

    Keys are camelCase; the snake_case names of earlier versions (``request_id``,
    ``cost_saved``) are accepted too, so existing clients keep working."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                            description="From the prediction's answer; accepted only "
                                        "for the pilot that answered it.")
    # A pilot name only: it becomes a directory of the lake (no "../" ever gets there).
    pilot: str = Field(min_length=1, max_length=63, pattern=NAME_RE.pattern)
    label: Annotated[Any, Storable] = Field(None, description="Ground truth: one value, or "
                                            "one per row.")
    # Finite only: one Infinity would turn every impact figure into Infinity/NaN.
    revenue: Finite | None = None
    cost_saved: Finite | None = None
    satisfaction: Finite | None = Field(None, ge=0, le=10)


router = APIRouter()


@router.post("/v1/pilots/{pilot}/predict", summary="Score rows with the pilot's deployment",
             response_model=Prediction, openapi_extra=predict_doc(),
             responses={503: {"description": "No variant can answer (breakers open)"},
                        504: {"description": "The online feature lookup exceeded its "
                                             "budget (entity requests)"},
                        409: {"description": "Online features are unavailable here"}})
async def predict(pilot: str, request: Request,
                  key: str | None = Query(None, description="Sticky routing key (or header "
                                          "X-Pilotdeck-Key)."),
                  who: Principal = require(Permission.GATEWAY_PREDICT)) -> Response:
    """Answered by the gateway's fast path (``gateway.fastpath``) before FastAPI
    sees the request; this route documents the endpoint and serves any app that
    mounts the router without it. Both call ``gateway.predict.answer``."""
    start = time.perf_counter()
    gw: Gateway = request.app.state.gateway
    return Response(await answer(gw, request.app.state.request_ids, pilot,
                                 await request.body(),
                                 request.headers.get("x-pilotdeck-key") or key, start),
                    media_type="application/json")


@router.post("/v1/feedback", status_code=202,
             summary="Attach a ground-truth label and business outcomes to a request id")
async def feedback(body: Feedback, request: Request,
                   who: Principal = require(Permission.GATEWAY_FEEDBACK)) -> FeedbackReceipt:
    """Accept feedback only for a pilot the token may call, that exists, and a
    request id this installation issued for that pilot; nothing is accepted and
    then dropped. The id check is an HMAC (see :mod:`pilotdeck.gateway.request_ids`):
    no store or disk read here or on the predict path."""
    gw: Gateway = request.app.state.gateway
    if not who.can(Permission.GATEWAY_FEEDBACK, body.pilot):
        raise Forbidden(f"{who.user} may not send feedback for this pilot")
    if body.pilot not in gw.state.pilots:
        raise NotFound("pilot", body.pilot)
    ids: RequestIds = request.app.state.request_ids
    if not ids.issued(body.request_id, body.pilot):
        raise ValidationFailed("unknown request id", [FieldError(
            "requestId", "was not issued by this gateway for a prediction of this pilot")])
    gw.feedback.append({"request_id": body.request_id, "ts": datetime.now(UTC), "pilot": body.pilot,
                        "label": orjson.dumps(body.label).decode(), "revenue": body.revenue,
                        "cost_saved": body.cost_saved, "satisfaction": body.satisfaction})
    return FeedbackReceipt(status="accepted", request_id=body.request_id)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {
                "type": "string", "description": "Prometheus text exposition format."}}}}})
async def metrics(request: Request, _: None = public()) -> Response:
    gw: Gateway = request.app.state.gateway
    gw.state.breaker_gauges()
    return Response(generate_latest(gw.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="Liveness")
async def health(request: Request, _: None = public()) -> GatewayHealth:
    """Anyone may ask whether the gateway is up, so the answer names no pilot
    (what is deployed is for ``/v1/gateway/status``, with ``models:read``)."""
    gw: Gateway = request.app.state.gateway
    return GatewayHealth(status="ok", routes=len(gw.state.routes),
                         last_refresh=gw.state.last_refresh)


@router.get("/v1/gateway/status", summary="Routes, breakers and cache hit rate")
async def status(request: Request, who: Principal = require(Permission.MODELS_READ)
                 ) -> GatewayStatus:
    gw: Gateway = request.app.state.gateway
    total = gw.cache_hits + gw.cache_misses
    return GatewayStatus(
        version=__version__,
        cache=CacheStats(backend=gw.cache.name, hits=gw.cache_hits, misses=gw.cache_misses,
                         hit_rate=gw.cache_hits / total if total else None),
        prediction_log=PredictionLogStats(written=gw.predictions.written,
                                          files=gw.predictions.files),
        load_errors=gw.state.load_errors,
        loaded_models=[LoadedModel.model_validate(m) for m in gw.state.loaded()],
        routes={p: RouteStatus(
            revision=r.revision,
            variants=[VariantStatus(name=v.name, version=v.version, weight=v.weight,
                                    breaker=("forced-open" if v.name in r.spec.force_open
                                             else r.variants[v.name].breaker.state.value),
                                    breaker_reason=r.variants[v.name].breaker.reason)
                      for v in r.spec.variants],
            shadow=[s.version for s in r.shadows])
            for p, r in gw.state.routes.items()},
    )
