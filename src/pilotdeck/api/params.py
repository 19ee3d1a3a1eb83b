"""Path and query parameters shared by the routers, with their limits declared.

A limit declared here is checked by FastAPI before the route runs (422 naming
the parameter) and shows in the OpenAPI document, so clients and fuzzers see it
too: pilot names match the manifest pattern, free text holds no NUL and has a
length, counts and ids fit the store's 64-bit integers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query

from pilotdeck.domain.inputs import INT64_MAX, NO_NUL
from pilotdeck.domain.pilot import NAME_RE

TEXT_MAX = 500

PilotPath = Annotated[str, Path(min_length=1, max_length=63, pattern=NAME_RE.pattern,
                                description="Pilot name (lower-case letters, digits, '-')")]
Every = Literal["hour", "day"]


def text(default: Any = None, *, alias: str | None = None,
         description: str | None = None) -> Any:
    """A free-text query parameter (filters, names): no NUL, at most TEXT_MAX chars."""
    return Query(default, alias=alias, description=description, max_length=TEXT_MAX,
                 pattern=NO_NUL)


def pilot_query(description: str | None = None) -> Any:
    """An optional pilot name in the query string."""
    return Query(None, min_length=1, max_length=63, pattern=NAME_RE.pattern,
                 description=description)


def offset() -> Any:
    return Query(0, ge=0, le=INT64_MAX, description="Items to skip.")


def positive(default: Any = None, *, description: str | None = None) -> Any:
    """A 1-based count, size or version in the query string."""
    return Query(default, ge=1, le=INT64_MAX, description=description)


def positive_path(description: str | None = None) -> Any:
    """A 1-based id or sequence number in the path."""
    return Path(ge=1, le=INT64_MAX, description=description)
