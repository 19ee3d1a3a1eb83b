"""The outermost layer of both apps: a body-size limit and a last-resort 500.

A pure ASGI middleware (no ``BaseHTTPMiddleware``: it would copy every message
through a task and a queue on the gateway's hot path). It reads the request body
itself, before routing, parsing or authentication, so an oversized body costs at
most ``limit`` bytes of memory and never reaches a token lookup:

- a ``Content-Length`` above the limit is refused at once, without reading;
- a chunked body is counted as it streams in and refused when it passes the limit.

Either way the answer is 413 problem+json and the connection is closed (the rest
of the body is never read). Within the limit, the buffered body is replayed to
the app as one message.

An exception no handler took becomes a normal 500 problem+json here, so the
server does not drop the keep-alive connection as it does for an escaped error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pilotdeck.http.problems import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("pilotdeck.http")


class BodyTooLarge(Exception):
    """The body passed the limit while it streamed in."""


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The whole body and whether the client left first; ``BodyTooLarge`` as
    soon as it passes ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), False


async def refuse_too_large(scope: Scope, receive: Receive, send: Send, what: str,
                           limit: int) -> None:
    """413 problem+json, and the connection closes (the rest is never read)."""
    response = problem(413, "Payload too large", f"{what} is over the limit of {limit} bytes",
                       headers={"Connection": "close"})
    await response(scope, receive, send)


def internal_error() -> Any:
    return problem(500, "Internal error", "an unexpected error occurred; see the server log")


class RequestGuard:
    """Refuse bodies above ``limit`` bytes (413) and answer unhandled errors (500)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = content_length(scope)
        if declared is not None and declared > self.limit:
            await refuse_too_large(scope, receive, send, f"body of {declared} bytes", self.limit)
            return
        try:
            body, disconnected = await read_body(receive, self.limit)
        except BodyTooLarge:
            await refuse_too_large(scope, receive, send, "body", self.limit)
            return
        if disconnected:
            return  # the client left; nobody is waiting for an answer

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as usual

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, replay, watch)
        except Exception as exc:
            log.exception("unhandled error", exc_info=exc)
            if started:
                raise  # half an answer is out: only closing the connection is honest
            await internal_error()(scope, replay, send)


def content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None
