"""Pilot inventory routes."""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from fastapi import APIRouter, Depends, Query, Request, Response, status

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath, offset, text
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

# Hand-written because the body is read raw (JSON or YAML); pydantic's "$defs" in
# these schemas are moved to components by pilotdeck.http.openapi.
_MANIFEST = PilotManifest.model_json_schema(by_alias=True)
_MANIFEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _MANIFEST},
            "application/yaml": {"schema": {"type": "string",
                                            "description": "One manifest as YAML."}},
        },
    }
}
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [
                {"type": "array", "items": _MANIFEST, "minItems": 1},
                {"type": "object", "required": ["manifests"], "additionalProperties": False,
                 "properties": {"manifests": {"type": "array", "items": _MANIFEST,
                                              "minItems": 1}}},
                _MANIFEST,
            ]}},
            "application/yaml": {"schema": {"type": "string", "description": (
                "One or more manifests as YAML documents (separated by ---), "
                "or a list of them.")}},
        },
    }
}


async def _document(request: Request) -> Any:
    raw = await request.body()  # at most api_max_body_bytes: the RequestGuard saw to it
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
    business_unit: str | None = text(alias="businessUnit"),
    status_: PilotStatus | None = Query(None, alias="status"),
    owner: str | None = text(),
    limit: int = Query(50, ge=1, le=500),
    offset: int = offset(),
    who: Principal = require(Permission.PILOTS_READ),
    platform: Platform = Depends(get_platform),
) -> PilotPage:
    f = _filter(business_unit, status_.value if status_ else None, owner)
    items, total = platform.portfolio.list(f, limit, offset)
    return PilotPage(items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a pilot from a manifest",
             openapi_extra=_MANIFEST_BODY,
             responses={409: {"description": "A pilot of that name exists (use PUT)"}})
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


@router.post("/import", summary="Import many manifests at once, all or nothing",
             openapi_extra=_IMPORT_BODY)
async def import_pilots(
    request: Request,
    who: Principal = require(Permission.PILOTS_WRITE),
    platform: Platform = Depends(get_platform),
) -> ImportResult:
    doc = await _document(request)
    if isinstance(doc, dict):  # {"manifests": [...]}, or one manifest on its own
        docs = doc["manifests"] if set(doc) == {"manifests"} else [doc]
    else:
        docs = doc
    if not isinstance(docs, list) or not docs:
        raise ValidationFailed("nothing to import", [FieldError(
            "manifests", "send a list of manifests (or {\"manifests\": [...]})")])
    from pilotdeck.domain.ports.manifests import RawManifest

    manifests = platform.portfolio.validate(
        [RawManifest(f"manifests[{i}]", d) for i, d in enumerate(docs)])
    return platform.portfolio.apply(manifests, who)


@router.get("/{name}", summary="One pilot (ETag: its revision)")
def get_pilot(
    name: PilotPath,
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
    name: PilotPath,
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
    name: PilotPath,
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
    name: PilotPath,
    force: bool = Query(False, description="Delete a pilot the gateway is serving (409 "
                                           "without it): its models go offline."),
    who: Principal = require(Permission.PILOTS_DELETE),
    expected: int | None = if_match(),
    platform: Platform = Depends(get_platform),
) -> Response:
    platform.portfolio.delete(name, who, force=force, expected_revision=expected)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


__all__ = ["router", "parse_manifest"]
