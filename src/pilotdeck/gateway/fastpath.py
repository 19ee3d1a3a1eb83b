"""The gateway's app: FastAPI, with ``POST /v1/pilots/{pilot}/predict`` answered
before FastAPI's stack.

Why by hand: FastAPI puts a request through nine ASGI layers (error, telemetry,
body-limit, guard, exception and exit-stack middlewares, the router, the route,
dependency solving) before the handler runs. For a small model that framework
work cost more than the model (benchmarks/serving: about half the CPU of a
one-row prediction). The predict route is the one hot path, so it alone is
matched here and answered by the same functions the framework route uses:

- the body is read under the size limit by ``http.guard.read_body`` (413 with
  the same problem body, before authentication);
- the token is read as ``HTTPBearer`` reads it and checked by
  ``http.auth.permit``, as ``require(Permission.GATEWAY_PREDICT)`` checks it;
- the answer comes from ``gateway.predict.answer``, errors from
  ``http.problems.problem_for``; anything else is a logged 500 problem.

Every other request, and any predict path this does not match exactly, goes to
FastAPI as before; the FastAPI route stays as the documented one.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl

from fastapi import FastAPI

from pilotdeck.auth.roles import Permission
from pilotdeck.domain.errors import PilotdeckError
from pilotdeck.gateway.predict import answer
from pilotdeck.http.auth import bearer_token, permit
from pilotdeck.http.guard import (
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    internal_error,
    read_body,
    refuse_too_large,
)
from pilotdeck.http.problems import problem_for

log = logging.getLogger("pilotdeck.gateway")
PREDICT_PATH = re.compile(r"/v1/pilots/([^/]+)/predict")
_JSON = [(b"content-type", b"application/json")]


class GatewayApp(FastAPI):
    """The gateway's FastAPI app with its predict route on a fast path."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = PREDICT_PATH.fullmatch(scope["path"])
            if match is not None:
                await self._predict(scope, receive, send, match.group(1))
                return
        await super().__call__(scope, receive, send)

    async def _predict(self, scope: Scope, receive: Receive, send: Send, pilot: str) -> None:
        start = time.perf_counter()
        gw = self.state.gateway
        limit = gw.settings.max_body_bytes
        authorization = key = declared = None
        for name, value in scope["headers"]:
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"x-pilotdeck-key" and key is None:
                key = value.decode("latin-1")
            elif name == b"content-length" and declared is None:
                declared = value
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse_too_large(scope, receive, send, f"body of {int(declared)} bytes", limit)
            return
        try:
            body, disconnected = await read_body(receive, limit)
        except BodyTooLarge:
            await refuse_too_large(scope, receive, send, "body", limit)
            return
        if disconnected:
            return  # the client left; nobody is waiting for an answer
        try:
            permit(gw.authenticate(bearer_token(authorization)), Permission.GATEWAY_PREDICT,
                   pilot)
            payload = await answer(gw, self.state.request_ids, pilot, body,
                                   key or _query_key(scope), start)
        except PilotdeckError as exc:
            await problem_for(exc)(scope, receive, send)
            return
        except Exception as exc:  # noqa: BLE001 - answered as the RequestGuard answers it
            log.exception("unhandled error", exc_info=exc)
            await internal_error()(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_JSON, (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def _query_key(scope: Scope) -> str | None:
    """The ``key`` query parameter (the last one, as FastAPI reads it), or None."""
    query = scope.get("query_string") or b""
    if b"key" not in query:
        return None
    found: str | None = None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name == "key":
            found = value
    return found
