"""RFC 9457 problem responses: every error the API returns has this shape.

Validation problems list ``{field, problem}`` pairs and never the input
values themselves, which may be personal data. At most ``MAX_ERRORS`` are listed,
then ``moreErrors`` counts the rest: a huge invalid body must not earn an even
larger answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilotdeck.domain.errors import PilotdeckError

MEDIA_TYPE = "application/problem+json"
MAX_ERRORS = 20


def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None, total: int | None = None) -> JSONResponse:
    """A problem+json answer; ``total`` counts errors when only some were passed in."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors[:MAX_ERRORS]
        more = max(total or 0, len(errors)) - MAX_ERRORS
        if more > 0:
            body["moreErrors"] = more
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_for(exc: PilotdeckError) -> JSONResponse:
    """The answer to a domain error (401s say how to authenticate)."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(exc.status, exc.title, str(exc), [e.as_dict() for e in exc.errors], headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or ".".join(str(p) for p in loc)


def _problem(e: Any) -> str:
    """pydantic's message, in the house style ("is required", "must be one of ...")."""
    kind = e.get("type")
    if kind == "missing":
        return "is required"
    expected = (e.get("ctx") or {}).get("expected")
    if kind in ("enum", "literal_error") and expected:
        return f"must be one of {expected}"
    msg = str(e.get("msg") or "is invalid").removeprefix("Value error, ")
    return msg[0].lower() + msg[1:]


def install_problems(app: FastAPI) -> None:
    """Map every error to problem+json once, for the whole app."""
    @app.exception_handler(PilotdeckError)
    async def _domain(_: Request, exc: PilotdeckError) -> JSONResponse:
        return problem_for(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        found = exc.errors()
        for e in found[:MAX_ERRORS]:
            errors.append({"field": _loc(tuple(e.get("loc", ()))), "problem": _problem(e)})
        detail = f"{errors[0]['field']}: {errors[0]['problem']}" if errors else "invalid request"
        return problem(422, "Invalid input", detail, errors, total=len(found))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's only 400: a body it could not decode
            return problem(422, "Invalid input", "body: is not valid JSON",
                           [{"field": "body", "problem": "is not valid JSON"}])
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail),
                       headers=getattr(exc, "headers", None))
    # Unhandled exceptions are answered by the RequestGuard (pilotdeck.http.guard),
    # which, unlike an ``Exception`` handler here, keeps the connection open.
