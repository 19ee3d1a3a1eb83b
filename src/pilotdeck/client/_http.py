"""The SDK's HTTP core: one httpx client, bearer auth, problem+json -> typed errors.

Errors come back as the same :class:`~pilotdeck.domain.errors.PilotdeckError`
subclasses the server raised (ValidationFailed with its field errors,
NotFound, Forbidden, ...), so code written against :class:`~pilotdeck.Platform`
and code written against the API handle failures the same way.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from pilotdeck.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PilotdeckError,
    PreconditionFailed,
    PreconditionRequired,
    Unauthenticated,
    ValidationFailed,
)

V = TypeVar("V")
DEFAULT_URL = "http://127.0.0.1:8000"


class RemoteNotFound(NotFound):
    """A 404 from the server (``except NotFound`` catches it; the message is the
    server's, which names what was not found)."""

    def __init__(self, message: str) -> None:
        PilotdeckError.__init__(self, message, 404, "Not found")


def error_from(response: httpx.Response) -> PilotdeckError:
    """The typed error for a problem+json (or any non-2xx) response."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or response.reason_phrase or "request failed")
    fields = [FieldError(str(e.get("field", "")), str(e.get("problem", "")), e.get("source"))
              for e in body.get("errors") or [] if isinstance(e, dict)]
    status = response.status_code
    if status == 401:
        return Unauthenticated(detail)
    if status == 403:
        return Forbidden(detail)
    if status == 404:
        return RemoteNotFound(detail)
    if status == 409:
        return Conflict(detail)
    if status == 412:
        return PreconditionFailed(detail)
    if status == 428:
        return PreconditionRequired(detail)
    if status == 422:
        # The server's detail repeats the first field error; keep the summary.
        return ValidationFailed(str(body.get("title") or "invalid input").lower(), fields)
    return PilotdeckError(detail, status, str(body.get("title") or "Error"), fields)


class HttpCore:
    """Sends requests and parses bodies into views; shared by every resource."""

    def __init__(self, base_url: str | None = None, token: str | None = None, *,
                 timeout: float = 30.0, http: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        token = token if token is not None else os.environ.get("PILOTDECK_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if http is None:
            url = base_url or os.environ.get("PILOTDECK_URL", DEFAULT_URL)
            http = httpx.Client(base_url=url, timeout=timeout, transport=transport)
        http.headers.update(headers)
        self.http = http

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, revision: int | None = None) -> httpx.Response:
        """Send one request; ``revision`` becomes ``If-Match`` (a conditional write)."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        headers = {"If-Match": f'"{int(revision)}"'} if revision is not None else None
        response = self.http.request(method, path, params=clean or None, json=json,
                                     headers=headers)
        if response.status_code >= 400:
            raise error_from(response)
        return response

    def parse(self, response: httpx.Response, kind: type[V] | Any) -> V:
        """The body as ``kind`` (a view class, or e.g. ``list[View]``)."""
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind.model_validate_json(response.content)  # type: ignore[return-value]
        adapter: TypeAdapter[V] = TypeAdapter(kind)
        return adapter.validate_json(response.content)

    def get(self, path: str, kind: type[V] | Any, **params: Any) -> V:
        return self.parse(self.request("GET", path, params=params), kind)

    def send(self, method: str, path: str, kind: type[V] | Any, body: Any = None,
             revision: int | None = None, **params: Any) -> V:
        return self.parse(self.request(method, path, params=params, json=body,
                                       revision=revision), kind)

    def close(self) -> None:
        self.http.close()


class Resource:
    """One group of routes (``client.pilots``, ``client.rollouts``, ...) over the core."""

    def __init__(self, core: HttpCore) -> None:
        self._core = core


def segment(value: str) -> str:
    """A path segment, percent-encoded (names are validated server-side too)."""
    from urllib.parse import quote

    return quote(str(value), safe="")
