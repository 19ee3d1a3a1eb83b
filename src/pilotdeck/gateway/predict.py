"""One prediction, from the request's bytes to the answer's bytes.

Framework-free on purpose: the FastAPI route (which documents the endpoint)
and the gateway's fast path (``gateway.fastpath``, which answers it without
FastAPI's middleware and dependency stack) both call :func:`answer`, so they
cannot drift apart. Explain shares :func:`routed`, so an explanation is of the
answer a caller would get.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from pilotdeck.domain.errors import NotFound
from pilotdeck.gateway.faults import InputRejected
from pilotdeck.gateway.features import parse_entities
from pilotdeck.gateway.request_ids import RequestIds
from pilotdeck.gateway.schema import PayloadTooLarge, decode, unsigned_rows, validate
from pilotdeck.gateway.serving import Gateway, ModelUnavailable
from pilotdeck.gateway.state import PilotRoute, ServedModel


async def routed(gw: Gateway, pilot: str, body: bytes, key: str | None
                 ) -> tuple[PilotRoute, list[str] | None, Any, str, bool]:
    """The pilot's route, the rows, the variant the sticky key picks, and
    whether the rows are the body's own (not fetched for entity keys)."""
    route = gw.state.routes.get(pilot)
    if route is None:
        raise NotFound("deployment of pilot", pilot)
    if len(body) > gw.settings.max_body_bytes:
        raise PayloadTooLarge(f"body of {len(body)} bytes; at most {gw.settings.max_body_bytes}")
    lookup = gw.state.entity_lookups.get(pilot)
    entities = parse_entities(body, lookup, gw.settings.max_rows,
                              gw.state.feature_lookups.unavailable)
    if entities is not None and lookup is not None:  # entity keys: features fetched online
        columns, raw_rows = None, await gw.state.feature_lookups.rows(lookup, entities,
                                                                      gw.metrics)
        from_body = False
    else:
        columns, raw_rows = decode(body, gw.settings.max_rows)
        from_body = True
    return route, columns, raw_rows, route.router.pick(key), from_body


async def answer(gw: Gateway, ids: RequestIds, pilot: str, body: bytes, key: str | None,
                 start: float) -> bytes:
    """The JSON answer (shape: ``views.gateway.Prediction``) or a PilotdeckError.

    ``start`` is when the request arrived (``time.perf_counter``): the latency
    logged and observed is the caller's, not just this function's."""
    route, columns, raw_rows, variant, from_body = await routed(gw, pilot, body, key)
    served = route.variants[variant]
    allow = frozenset(route.spec.allow_missing)
    # Rows fetched for entity keys are not the body's: only the body's bytes
    # can promise the validator that no value is a boolean.
    bools = not from_body or b"true" in body or b"false" in body
    views: dict[Any, Any] = {}

    def rows_for(model: ServedModel) -> Any:
        """The request in ``model``'s signature order, validated once per signature.

        Versions of one pilot may have different signatures; rows validated for
        one must never be fed to another (the array path would misorder them).
        """
        key = model.signature_key
        if key not in views:
            if model.columns is not None:
                views[key] = validate(columns, raw_rows, model.columns, allow, bools)
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
    request_id = ids.new(pilot)
    latency = time.perf_counter() - start
    gw.metrics.child(gw.metrics.latency, pilot, used).observe(latency)
    gw.metrics.child(gw.metrics.requests, pilot, used, "200").inc()
    logged = route.variants.get(used, served)
    gw.log_prediction(request_id, pilot, used, version, logged.names,
                      rows_for(logged) if used in route.variants else rows, out,
                      latency * 1000, cached, 200)
    if route.shadows:
        gw.shadow(route, rows_for, request_id)
    # Written by hand with orjson (the hot path); the shape is views.gateway.Prediction.
    return orjson.dumps({"predictions": out, "requestId": request_id, "variant": used,
                         "modelVersion": version, "cached": cached})
