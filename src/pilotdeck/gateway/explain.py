"""``POST /v1/pilots/{pilot}/explain``: the same body as predict, answered with
each row's prediction and its SHAP values.

The variant is picked exactly as predict picks it (same sticky key, same
weights), so a caller sees why *their* answer came out as it did. Explaining
is not serving: nothing is logged, cached, batched or counted against a
breaker, and the explainer is built and run in a worker thread (the first call
pays shap's import).
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from fastapi import APIRouter, Query, Request

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.gateway.predict import routed
from pilotdeck.gateway.routes import predict_doc
from pilotdeck.gateway.schema import unsigned_rows, validate
from pilotdeck.gateway.serving import Gateway
from pilotdeck.http import require
from pilotdeck.views.explain import Explanation, ExplanationResponse

router = APIRouter()


@router.post("/v1/pilots/{pilot}/explain", openapi_extra=predict_doc(),
             summary="Predict and explain each row (SHAP values per feature)")
async def explain(pilot: str, request: Request,
                  key: str | None = Query(None, description="Sticky routing key (or header "
                                          "X-Pilotdeck-Key), as for predict."),
                  who: Principal = require(Permission.GATEWAY_PREDICT)) -> ExplanationResponse:
    gw: Gateway = request.app.state.gateway
    route, columns, raw_rows, variant, _ = await routed(
        gw, pilot, await request.body(), request.headers.get("x-pilotdeck-key") or key)
    served = route.variants[variant]
    if served.columns is not None:
        rows = validate(columns, raw_rows, served.columns, frozenset(route.spec.allow_missing))
    else:
        rows = unsigned_rows(columns, raw_rows)
    return await asyncio.to_thread(_explain, gw, pilot, variant, served.version,
                                   served.names or list(columns or []), rows)


def _explain(gw: Gateway, pilot: str, variant: str, version: int, names: list[str],
             rows: Any) -> ExplanationResponse:
    explainer, order = gw.platform.explanations.explainer(pilot, version)
    X = np.asarray(rows, dtype=np.float64)[:, [names.index(n) for n in order]]
    predictions = explainer.predict(X)
    return ExplanationResponse(
        variant=variant, model_version=version,
        explainer=explainer.kind,  # type: ignore[arg-type]
        output_space=explainer.output_space,
        explanations=[Explanation(prediction=p, base_value=e.base_value,
                                  contributions=e.contributions)
                      for p, e in zip(predictions, explainer.explain(X), strict=True)])
