"""The playbook (generated from the live standard) and its published versions.

Reading it is ``pilots:read`` (every reading role: it is how the organisation
works); the version history is the audit log's, so ``audit:read``; publishing
records the standard of the day and changes nothing else, like a checkpoint,
so ``audit:checkpoint``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from pilotdeck.api.deps import get_platform, require
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import INT64_MAX
from pilotdeck.platform import Platform
from pilotdeck.views.playbook import Playbook, PlaybookVersion, PublishedPlaybook

router = APIRouter(prefix="/v1/playbook", tags=["playbook"])

FORMATS: dict[int | str, dict[str, Any]] = {200: {
    "description": "The playbook",
    "content": {"text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}}}}}


@router.get("", response_model=Playbook, responses=FORMATS,
            summary="How we move AI from pilot to scale here (JSON, Markdown or HTML)")
def get_playbook(format: Literal["json", "md", "html"] = "json",
                 version: int | None = Query(None, ge=1, le=INT64_MAX, description=(
                     "A published version (md or html) instead of a new one.")),
                 who: Principal = require(Permission.PILOTS_READ),
                 platform: Platform = Depends(get_platform)) -> Any:
    from pilotdeck.render.playbook import markdown, page

    svc = platform.playbook
    if version is not None:
        text = svc.published_text(version, "html" if format == "html" else "md")
    else:
        p = svc.generate()
        if format == "json":
            return p
        text = page(p) if format == "html" else markdown(p)
    kind = "text/html" if format == "html" else "text/markdown"
    return Response(text, media_type=f"{kind}; charset=utf-8")


@router.post("/publish", summary="Record a new version if the standard changed (audited "
             "playbook.published; else the latest version stands)")
def publish(who: Principal = require(Permission.AUDIT_CHECKPOINT),
            platform: Platform = Depends(get_platform)) -> PublishedPlaybook:
    from pilotdeck.render.playbook import markdown, page

    p = platform.playbook.generate()
    return platform.playbook.publish(p, markdown(p), page(p), who)


@router.get("/versions", summary="Published versions, oldest first")
def versions(who: Principal = require(Permission.AUDIT_READ),
             platform: Platform = Depends(get_platform)) -> list[PlaybookVersion]:
    return platform.playbook.versions()
