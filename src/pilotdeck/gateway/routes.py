"""The gateway's HTTP routes: predict, feedback, metrics, health and status."""

from __future__ import annotations

import time
import uuid
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
from pilotdeck.gateway.faults import InputRejected
from pilotdeck.gateway.features import parse_entities
from pilotdeck.gateway.request_ids import RequestIds
from pilotdeck.gateway.schema import PayloadTooLarge, decode, unsigned_rows, validate
from pilotdeck.gateway.serving import Gateway, ModelUnavailable
from pilotdeck.gateway.state import PilotRoute, ServedModel
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


async def routed(request: Request, pilot: str, key: str | None
                 ) -> tuple[Gateway, PilotRoute, list[str] | None, Any, str]:
    """The pilot's route, the decoded body and the variant the sticky key picks:
    the same for predict and for explain, so an explanation is of the answer."""
    gw: Gateway = request.app.state.gateway
    route = gw.state.routes.get(pilot)
    if route is None:
        raise NotFound("deployment of pilot", pilot)
    body = await request.body()
    if len(body) > gw.settings.max_body_bytes:
        raise PayloadTooLarge(f"body of {len(body)} bytes; at most {gw.settings.max_body_bytes}")
    lookup = gw.state.entity_lookups.get(pilot)
    entities = parse_entities(body, lookup, gw.settings.max_rows,
                              gw.state.feature_lookups.unavailable)
    if entities is not None and lookup is not None:  # entity keys: features fetched online
        columns, raw_rows = None, await gw.state.feature_lookups.rows(lookup, entities,
                                                                      gw.metrics)
    else:
        columns, raw_rows = decode(body, gw.settings.max_rows)
    return gw, route, columns, raw_rows, route.router.pick(
        request.headers.get("x-pilotdeck-key") or key)


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
    start = time.perf_counter()
    gw, route, columns, raw_rows, variant = await routed(request, pilot, key)
    served = route.variants[variant]
    allow = frozenset(route.spec.allow_missing)
    views: dict[Any, Any] = {}

    def rows_for(model: ServedModel) -> Any:
        """The request in ``model``'s signature order, validated once per signature.

        Versions of one pilot may have different signatures; rows validated for
        one must never be fed to another (the array path would misorder them).
        """
        key = tuple((c.name, c.type, c.required) for c in model.columns or ())
        if key not in views:
            if model.columns is not None:
                views[key] = validate(columns, raw_rows, model.columns, allow)
            else:
                views[key] = unsigned_rows(columns, raw_rows)
        return views[key]

    rows = rows_for(served)  # a bad request is a 4xx before any model is called
    try:
        out, used, version, cached = await gw.serve(route, variant, rows_for)
    except InputRejected:
        gw.metrics.requests.labels(pilot, variant, "422").inc()
        raise
    except ModelUnavailable:
        gw.metrics.requests.labels(pilot, variant, "503").inc()
        # Logged too, so health and error rates can be read back from the log.
        gw.log_prediction(uuid.uuid4().hex, pilot, variant, served.version, served.names,
                          rows, None, (time.perf_counter() - start) * 1000, False, 503)
        raise
    ids: RequestIds = request.app.state.request_ids
    request_id = ids.new(pilot)
    latency = time.perf_counter() - start
    gw.metrics.latency.labels(pilot, used).observe(latency)
    gw.metrics.requests.labels(pilot, used, "200").inc()
    logged = route.variants.get(used, served)
    gw.log_prediction(request_id, pilot, used, version, logged.names,
                      rows_for(logged) if used in route.variants else rows, out,
                      latency * 1000, cached, 200)
    if route.shadows:
        gw.shadow(route, rows_for, request_id)
    # Written by hand with orjson (the hot path); the shape is views.gateway.Prediction.
    return Response(orjson.dumps({"predictions": out, "requestId": request_id,
                                  "variant": used, "modelVersion": version,
                                  "cached": cached}), media_type="application/json")


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
