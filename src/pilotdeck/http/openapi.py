"""The OpenAPI document says what can go wrong, and every ``$ref`` in it resolves.

FastAPI documents only the success answer and its own 422 (as
``application/json``). Every error this app gives is problem+json, so each
operation gets the error answers that apply to it, derived from the operation
itself: 401/403 when it needs a token, 404 when it may name a resource, 412 when
it takes ``If-Match``, 413 when it takes a body, 422 when it takes any input, and
500; others (409, 503) where the route declares them in ``responses``. A client
generator or a fuzzer then knows every status and content type it can meet.

Schemas embedded by hand (a route's ``openapi_extra``) carry pydantic's local
``$defs``, which an OpenAPI document cannot resolve (``#/$defs/PilotStatus``);
they are moved into ``components/schemas``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from pilotdeck.http.problems import MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details. ``errors`` names each field and its problem "
                   "(never the value); at most 20 are listed and ``moreErrors`` counts the "
                   "rest.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "problem"],
            "properties": {"field": {"type": "string"}, "problem": {"type": "string"},
                           "source": {"type": "string"}}}},
        "moreErrors": {"type": "integer", "minimum": 1},
    },
}

DESCRIPTIONS = {
    "401": "Missing, unknown or revoked bearer token",
    "403": "The token's role or pilot scope does not allow this",
    "404": "No such resource",
    "409": "Conflicts with the current state",
    "412": "If-Match does not name the current revision",
    "413": "Request body over the configured size limit",
    "422": "Invalid input: each field and its problem",
    "500": "Unexpected server error (details in the server log)",
}
METHODS = {"get", "head", "options", "post", "put", "patch", "delete"}


def errors_for(op: dict[str, Any]) -> list[str]:
    """The error statuses that apply to one operation: those its route declares
    (``responses={409: {...}}``) and those that follow from its inputs."""
    params = op.get("parameters", [])
    codes = ["500"] + [c for c in op.get("responses", {}) if str(c) >= "400"]
    if op.get("security"):
        codes += ["401", "403"]
    # A path names a resource; so may a pilot filter or a body (pilot, variant, version).
    if "requestBody" in op or any(p.get("in") == "path" or p.get("name") == "pilot"
                                  for p in params):
        codes.append("404")
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match"
           for p in params):
        codes.append("412")
    if "requestBody" in op:
        codes.append("413")
    if params or "requestBody" in op:
        codes.append("422")
    return sorted(set(codes))


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the problem answers and hoist ``$defs``; changes ``spec`` in place."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    _hoist_defs(spec.get("paths", {}), schemas)
    schemas["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in spec.get("paths", {}).values():
        for method, op in path_item.items():
            if method not in METHODS:
                continue
            responses = op.setdefault("responses", {})
            for code in errors_for(op):
                declared = responses.get(code) or {}
                responses[code] = {
                    "description": declared.get("description") or DESCRIPTIONS.get(code, "Error"),
                    "content": {MEDIA_TYPE: {"schema": ref}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def install_openapi(app: FastAPI) -> None:
    """Build the app's OpenAPI document once, with the problem answers documented."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> None:
    """Move every ``$defs`` under ``node`` into ``schemas``. A name already taken
    by a different schema (a view of the same name, say) gets an ``Input`` suffix."""
    if isinstance(node, list):
        for value in node:
            _hoist_defs(value, schemas)
        return
    if not isinstance(node, dict):
        return
    defs = node.pop("$defs", None)
    if isinstance(defs, dict):
        same = {name: name for name in defs}
        names = {name: name if name not in schemas
                 or schemas[name] == _with_refs(schema, same) else f"{name}Input"
                 for name, schema in defs.items()}
        for name, schema in defs.items():
            schemas.setdefault(names[name], _with_refs(schema, names))
        node.update(_with_refs(node, names))
    for value in node.values():
        _hoist_defs(value, schemas)


def _with_refs(node: Any, names: dict[str, str]) -> Any:
    """A copy of ``node`` whose ``#/$defs/X`` refs point at ``components/schemas``."""
    if isinstance(node, list):
        return [_with_refs(v, names) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _with_refs(v, names) for k, v in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        out["$ref"] = f"#/components/schemas/{names.get(name, name)}"
    return out
