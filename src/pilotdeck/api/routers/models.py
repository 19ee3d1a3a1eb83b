"""Model registry and deployment routes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath, positive_path
from pilotdeck.api.preconditions import PRECONDITION_RESPONSES, if_match, set_etag
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden
from pilotdeck.domain.inputs import Finite, Positive64, Storable, Text
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from pilotdeck.views.model_card import ModelCard
from pilotdeck.views.models import Deployment, ModelVersion, ModelVersionList

router = APIRouter(prefix="/v1/pilots/{pilot}", tags=["models"])
Alias = Literal["champion", "challenger"]  # pilotdeck.domain.ports.registry.ALIASES
Variant = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$", description="Variant name")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RegisterRequest(_Body):
    uri: Text = Field(min_length=1, max_length=2000,
                      description="runs:/RUN_ID/PATH or models:/NAME/VERSION")
    metrics: Annotated[dict[str, Finite], Storable] = Field(default_factory=dict)
    datasets: list[Annotated[Text, Field(max_length=500)]] = Field(default_factory=list)
    description: Text = Field("", max_length=10_000)
    reference: Text | None = Field(None, max_length=4096, description="Parquet table on the "
                                   "server whose profile is stored as PILOT.vN for drift checks")


class AliasRequest(_Body):
    version: Positive64


class WeightsRequest(_Body):
    weights: Annotated[dict[Variant, Annotated[Finite, Field(ge=0, le=100)]], Storable] = Field(
        description="Variant name -> share of traffic (0..100).")
    reason: Text = Field("", max_length=10_000)


class RollbackRequest(_Body):
    variant: Variant = "challenger"
    reason: Text = Field(min_length=1, max_length=10_000)


def _scoped(who: Principal, pilot: str) -> None:
    if not who.can(Permission.MODELS_WRITE, pilot):
        raise Forbidden(f"{who.user} may not change models of pilot {pilot!r}")


@router.get("/models", summary="Registered versions with aliases and deployment status")
def versions(pilot: PilotPath, who: Principal = require(Permission.MODELS_READ),
             platform: Platform = Depends(get_platform)) -> ModelVersionList:
    return ModelVersionList(items=platform.models.versions(pilot))


@router.post("/models", status_code=status.HTTP_201_CREATED,
             summary="Register a version from an MLflow run or model URI")
def register(pilot: PilotPath, body: RegisterRequest,
             who: Principal = require(Permission.MODELS_WRITE),
             platform: Platform = Depends(get_platform)) -> ModelVersion:
    _scoped(who, pilot)
    # A server path from the network: only inside the configured roots.
    reference = (Path(platform.server_paths.resolve(body.reference, "reference"))
                 if body.reference is not None else None)
    return platform.models.register(pilot, who, uri=body.uri, metrics=body.metrics,
                                    datasets=body.datasets, description=body.description,
                                    reference=reference)


@router.put("/models/aliases/{alias}", summary="Point champion/challenger at a version")
def set_alias(pilot: PilotPath, alias: Alias, body: AliasRequest,
              who: Principal = require(Permission.MODELS_WRITE),
              platform: Platform = Depends(get_platform)) -> ModelVersion:
    _scoped(who, pilot)
    platform.models.set_alias(pilot, alias, body.version, who)
    return platform.models.version(pilot, body.version)


@router.get("/deployment", summary="The serving configuration (ETag: its revision)")
def get_deployment(pilot: PilotPath, response: Response,
                   who: Principal = require(Permission.MODELS_READ),
                   platform: Platform = Depends(get_platform)) -> Deployment:
    dep = platform.models.deployment(pilot)
    set_etag(response, dep.revision)
    return dep


@router.put("/deployment", summary="Create or replace the serving configuration "
            "(If-Match: only if unchanged)", responses=PRECONDITION_RESPONSES,
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": DeploymentSpec.model_json_schema(by_alias=True)}}}})
def put_deployment(pilot: PilotPath, response: Response,
                   spec: dict[str, Any] = Body(..., examples=[{
                       "variants": [{"name": "champion", "version": 1, "weight": 90},
                                    {"name": "challenger", "version": 2, "weight": 10}],
                       "shadow": [], "fallback": {"to": "champion"}}]),
                   who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                   expected: int | None = if_match(),
                   platform: Platform = Depends(get_platform)) -> Deployment:
    dep = platform.models.deploy(pilot, DeploymentSpec.parse(spec), who,
                                 expected_revision=expected)
    set_etag(response, dep.revision)
    return dep


@router.post("/deployment/weights", summary="Change traffic weights (audited; If-Match: "
             "only if unchanged)", responses=PRECONDITION_RESPONSES)
def set_weights(pilot: PilotPath, body: WeightsRequest, response: Response,
                            who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                expected: int | None = if_match(),
                platform: Platform = Depends(get_platform)) -> Deployment:
    dep = platform.models.set_weights(pilot, body.weights, who, body.reason,
                                      expected_revision=expected)
    set_etag(response, dep.revision)
    return dep


@router.post("/deployment/rollback", summary="Send a variant's traffic to zero now "
             "(audited; If-Match: only if unchanged)", responses=PRECONDITION_RESPONSES)
def rollback(pilot: PilotPath, body: RollbackRequest, response: Response,
                      who: Principal = require(Permission.DEPLOYMENTS_WRITE),
             expected: int | None = if_match(),
             platform: Platform = Depends(get_platform)) -> Deployment:
    dep = platform.models.rollback(pilot, body.variant, who, body.reason,
                                   expected_revision=expected)
    set_etag(response, dep.revision)
    return dep


CARD_FORMATS: dict[int | str, dict[str, Any]] = {200: {
    "description": "The model card",
    "content": {"text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}}}}}


@router.get("/models/{version}/card", response_model=ModelCard, responses=CARD_FORMATS,
            summary="The version's model card (JSON, Markdown or self-contained HTML)")
def model_card(pilot: PilotPath, version: Annotated[int, positive_path("Model version")],
               format: Literal["json", "md", "html"] = "json",
               who: Principal = require(Permission.MODELS_READ),
               platform: Platform = Depends(get_platform)) -> Any:
    c = platform.model_cards.card(pilot, version)
    if format == "json":
        return c
    from pilotdeck.render.model_card import markdown, page

    if format == "html":
        return Response(page(c), media_type="text/html; charset=utf-8")
    return Response(markdown(c), media_type="text/markdown; charset=utf-8")
