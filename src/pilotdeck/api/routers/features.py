"""Feature store routes: the applied views and their reuse, online features, and
(for platform engineers) applying a pilot's definitions and materialising.

Without the ``features`` extra the routes still answer: reads of the applied
definitions work, and what needs Feast is a 409 problem saying how to install it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.features import (
    FEATURE_REF_RE,
    IDENT,
    PilotFeatures,
    parse_entity_args,
    parse_features,
)
from pilotdeck.platform import Platform
from pilotdeck.views.features import (
    AppliedFeatures,
    FeatureViewInfo,
    Materialization,
    OnlineFeatures,
)

router = APIRouter(prefix="/v1/features", tags=["features"])
NEEDS_FEAST: dict[int | str, dict[str, Any]] = {409: {"description": (
    "The feature store is not installed on this server (pilotdeck[features]), or "
    "nothing is applied yet")}}

ViewPath = Annotated[str, Path(pattern=IDENT, max_length=63, description="Feature view")]
EntityArg = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}=[^\x00]{0,1000}$")]
FeatureRef = Annotated[str, Field(pattern=FEATURE_REF_RE.pattern, max_length=127)]


class FeatureDocument(PilotFeatures):
    """A pilot's feature definitions (the YAML document, as JSON); ``pilot`` is the
    path's."""

    pilot: str | None = Field(None, max_length=63)  # type: ignore[assignment]


class MaterializeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    views: list[Annotated[str, Field(pattern=IDENT, max_length=63)]] | None = Field(
        None, max_length=100, description="Default: every applied view.")
    start: datetime | None = Field(None, description="Default: since each view's last run.")
    end: datetime | None = Field(None, description="Default: now.")


@router.get("", summary="Applied feature views, their features and the pilots using each")
def list_views(who: Principal = require(Permission.FEATURES_READ),
               platform: Platform = Depends(get_platform)) -> AppliedFeatures:
    return platform.features.list_views()


@router.get("/views/{view}", summary="One feature view and its reuse")
def view(view: ViewPath, who: Principal = require(Permission.FEATURES_READ),
         platform: Platform = Depends(get_platform)) -> FeatureViewInfo:
    return platform.features.view(view)


@router.get("/online", summary="Online feature values for one entity",
            responses=NEEDS_FEAST)
def online(entity: list[EntityArg] = Query(..., min_length=1, max_length=8, description=(
               "KEY=VALUE, repeatable, e.g. entity=customer_id=42")),
           feature: list[FeatureRef] | None = Query(None, max_length=500, description=(
               "VIEW:FEATURE, repeatable; default every feature keyed by the entity.")),
           who: Principal = require(Permission.FEATURES_READ),
           platform: Platform = Depends(get_platform)) -> OnlineFeatures:
    return platform.features.get(parse_entity_args(entity), feature or None, who)


@router.put("/pilots/{name}", summary="Apply a pilot's entities and feature views",
            responses=NEEDS_FEAST)
def apply(name: PilotPath, body: FeatureDocument,
          who: Principal = require(Permission.FEATURES_WRITE),
          platform: Platform = Depends(get_platform)) -> AppliedFeatures:
    doc = parse_features(body.model_dump(by_alias=True, exclude_none=True), name)
    return platform.features.apply([doc], who)


@router.post("/materialize", summary="Copy the latest feature values online",
             responses=NEEDS_FEAST)
def materialize(body: MaterializeRequest, who: Principal = require(Permission.FEATURES_WRITE),
                platform: Platform = Depends(get_platform)) -> Materialization:
    return platform.features.materialize(who, body.views, body.start, body.end)
