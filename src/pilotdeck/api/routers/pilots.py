"""Pilot inventory routes."""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from fastapi import APIRouter, Depends, Query, Request, Response, status

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.preconditions import PRECONDITION_RESPONSES, if_match, set_etag
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.pilot import PilotManifest, PilotStatus, parse_manifest
from pilotdeck.domain.query import PilotFilter
from pilotdeck.platform import Platform
from pilotdeck.views.pilots import (
    ImportResult,
    Pilot,
    PilotPage,
    PilotWriteResult,
)

router = APIRouter(prefix="/v1/pilots", tags=["pilots"])
MAX_BODY = 2 * 1024 * 1024

_MANIFEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PilotManifest.model_json_schema(by_alias=True)},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


async def _document(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ValidationFailed("request too large",
                               [FieldError("body", f"must be at most {MAX_BODY} bytes")])
    kind = request.headers.get("content-type", "application/json")
    try:
        if "yaml" in kind:
            docs = [d for d in yaml.safe_load_all(raw) if d is not None]
            return docs[0] if len(docs) == 1 else docs
        return orjson.loads(raw)
    except (yaml.YAMLError, orjson.JSONDecodeError):
        fmt = "YAML" if "yaml" in kind else "JSON"
        raise ValidationFailed("unreadable body",
                               [FieldError("body", f"is not valid {fmt}")]) from None


def _filter(business_unit: str | None, status_: str | None, owner: str | None) -> PilotFilter:
    return PilotFilter(business_unit=business_unit, status=status_, owner=owner)


@router.get("", summary="List pilots (filtered, paginated)")
def list_pilots(
    business_unit: str | None = Query(None, alias="businessUnit"),
    status_: PilotStatus | None = Query(None, alias="status"),
    owner: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    who: Principal = require(Permission.PILOTS_READ),
    platform: Platform = Depends(get_platform),
) -> PilotPage:
    f = _filter(business_unit, status_.value if status_ else None, owner)
    items, total = platform.portfolio.list(f, limit, offset)
    return PilotPage(items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a pilot from a manifest",
             openapi_extra=_MANIFEST_BODY)
async def create_pilot(
    request: Request,
    response: Response,
    who: Principal = require(Permission.PILOTS_WRITE),
    platform: Platform = Depends(get_platform),
) -> Pilot:
    doc = await _document(request)
    m = platform.portfolio.validate_one(doc)
    pilot = platform.portfolio.put(m, who, must_exist=False).pilot
    set_etag(response, pilot.record.revision)
    return pilot


@router.post("/import", summary="Import many manifests at once, all or nothing")
async def import_pilots(
    request: Request,
    who: Principal = require(Permission.PILOTS_WRITE),
    platform: Platform = Depends(get_platform),
) -> ImportResult:
    doc = await _document(request)
    docs = doc.get("manifests") if isinstance(doc, dict) else doc
    if not isinstance(docs, list) or not docs:
        raise ValidationFailed("nothing to import", [FieldError(
            "manifests", "send a list of manifests (or {\"manifests\": [...]})")])
    from pilotdeck.domain.ports.manifests import RawManifest

    manifests = platform.portfolio.validate(
        [RawManifest(f"manifests[{i}]", d) for i, d in enumerate(docs)])
    return platform.portfolio.apply(manifests, who)


@router.get("/{name}", summary="One pilot (ETag: its revision)")
def get_pilot(
    name: str,
    response: Response,
    who: Principal = require(Permission.PILOTS_READ),
    platform: Platform = Depends(get_platform),
) -> Pilot:
    pilot = platform.portfolio.get(name)
    set_etag(response, pilot.record.revision)
    return pilot


@router.get("/{name}/manifest", summary="One pilot as a YAML manifest",
            response_class=Response, responses={200: {"content": {"application/yaml": {
                "schema": {"type": "string", "description": "The pilot manifest (YAML)."}}}}})
def get_manifest(
    name: str,
    who: Principal = require(Permission.PILOTS_READ),
    platform: Platform = Depends(get_platform),
) -> Response:
    pilot = platform.portfolio.get(name)
    out = Response(yaml.safe_dump(pilot.manifest(), sort_keys=False, allow_unicode=True),
                   media_type="application/yaml")
    set_etag(out, pilot.record.revision)
    return out


@router.put("/{name}", summary="Create or replace a pilot (If-Match: only if unchanged)",
            openapi_extra=_MANIFEST_BODY, responses=PRECONDITION_RESPONSES)
async def put_pilot(
    name: str,
    request: Request,
    response: Response,
    who: Principal = require(Permission.PILOTS_WRITE),
    expected: int | None = if_match(),
    platform: Platform = Depends(get_platform),
) -> PilotWriteResult:
    m = platform.portfolio.validate_one(await _document(request))
    if m.name != name:
        raise ValidationFailed("name mismatch", [FieldError(
            "metadata.name", f"must equal the pilot in the URL ({name!r}), got {m.name!r}")])
    result = platform.portfolio.put(m, who, expected_revision=expected)
    set_etag(response, result.pilot.record.revision)
    return result


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a pilot",
               responses=PRECONDITION_RESPONSES)
def delete_pilot(
    name: str,
    force: bool = Query(False, description="Delete a pilot the gateway is serving (409 "
                                           "without it): its models go offline."),
    who: Principal = require(Permission.PILOTS_DELETE),
    expected: int | None = if_match(),
    platform: Platform = Depends(get_platform),
) -> Response:
    platform.portfolio.delete(name, who, force=force, expected_revision=expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


__all__ = ["router", "parse_manifest"]
