"""Lineage routes: what produced a node (upstream) and what depends on it (downstream).

Anyone who may read models may read lineage: it names datasets, models, jobs
and files, the same facts a model version's card shows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pilotdeck.api.deps import get_platform, require
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.platform import Platform
from pilotdeck.views.lineage import LineageGraph

router = APIRouter(prefix="/v1/lineage", tags=["lineage"])

# The kind is checked here (and shows in the OpenAPI document); the rest of the
# node, per kind, by domain.lineage.parse_node (422 naming ``node``).
NodeQuery = Annotated[str, Query(
    min_length=3, max_length=1100, pattern=r"^(dataset|model|job|file|profile):[^\x00-\x1f\x7f]+$",
    description="dataset:NAME[@VERSION], model:PILOT[/VERSION], job:NAME, file:/PATH or "
                "profile:NAME; without a version a node stands for every version")]
DepthQuery = Annotated[int | None, Query(ge=0, le=1000, description=(
    "At most this many job runs away; omitted: unlimited (cycles are safe)."))]


@router.get("/upstream", summary="What produced a node: the runs that wrote it, what they "
            "read, and so on up")
def upstream(node: NodeQuery, depth: DepthQuery = None,
             who: Principal = require(Permission.MODELS_READ),
             platform: Platform = Depends(get_platform)) -> LineageGraph:
    return platform.lineage.upstream(node, depth)


@router.get("/downstream", summary="What depends on a node: the runs that read it, what "
            "they wrote, and so on down")
def downstream(node: NodeQuery, depth: DepthQuery = None,
               who: Principal = require(Permission.MODELS_READ),
               platform: Platform = Depends(get_platform)) -> LineageGraph:
    return platform.lineage.downstream(node, depth)
