"""RFC 9457 problem responses: every error the API returns has this shape.

Validation problems list ``{field, problem}`` pairs and never the input
values themselves, which may be personal data.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilotdeck.domain.errors import PilotdeckError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("pilotdeck.http")


def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or ".".join(str(p) for p in loc)


def install_problems(app: FastAPI) -> None:
    """Map every error to problem+json once, for the whole app."""
    @app.exception_handler(PilotdeckError)
    async def _domain(_: Request, exc: PilotdeckError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.title, str(exc), [e.as_dict() for e in exc.errors],
                       headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            msg = str(e.get("msg", "is invalid"))
            msg = msg.removeprefix("Value error, ")
            errors.append({"field": _loc(tuple(e.get("loc", ()))),
                           "problem": "is required" if e.get("type") == "missing"
                           else msg[0].lower() + msg[1:]})
        detail = f"{errors[0]['field']}: {errors[0]['problem']}" if errors else "invalid request"
        return problem(422, "Invalid input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail),
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "an unexpected error occurred; see the server log")
