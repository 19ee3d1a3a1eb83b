"""HTTP conditional writes (RFC 9110 section 13): ``ETag`` out, ``If-Match`` in.

A resource's ETag is its revision as a strong tag (``"7"``). A write that
carries ``If-Match`` succeeds only if the resource is still at that revision
(else 412), so clients doing read-modify-write lose nothing. A write without
it is unconditional (still atomic) unless ``PILOTDECK_REQUIRE_IF_MATCH`` is
set, in which case it gets 428 (RFC 6585).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Response

from pilotdeck.api.deps import get_platform
from pilotdeck.domain.errors import (
    FieldError,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from pilotdeck.domain.revisions import ANY_REVISION, etag
from pilotdeck.platform import Platform

__all__ = ["PRECONDITION_RESPONSES", "if_match", "set_etag"]

_TAG = re.compile(r'^"(\d{1,18})"$')

PRECONDITION_RESPONSES: dict[int | str, dict[str, str]] = {
    412: {"description": "If-Match did not match the current revision (ETag): re-read, "
                         "re-apply the change and retry."},
    428: {"description": "If-Match is missing and the server requires it "
                         "(PILOTDECK_REQUIRE_IF_MATCH)."},
}


def _expected(
    if_match: Annotated[str | None, Header(
        alias="If-Match", description='The ETag from a GET (e.g. "7"), or *: the write '
        "happens only if the resource is still at that revision, else 412.")] = None,
    platform: Platform = Depends(get_platform),
) -> int | None:
    if if_match is None:
        if platform.settings.require_if_match:
            raise PreconditionRequired("this server requires If-Match on writes: send the "
                                       "ETag of the resource as you read it")
        return None
    value = if_match.strip()
    if value == "*":
        return ANY_REVISION
    if "," in value:
        raise ValidationFailed("invalid header", [FieldError(
            "If-Match", "send one ETag (from a GET) or *")])
    m = _TAG.match(value)
    if m is None:
        # A weak or foreign tag can never equal the current strong one (RFC 9110
        # 13.1.1 compares strongly), so the precondition is simply false.
        raise PreconditionFailed(f"If-Match {value[:40]!r} does not match the current "
                                 "ETag; read the resource again")
    return int(m.group(1))


def if_match() -> Any:
    """The revision ``If-Match`` expects (None: unconditional), as a dependency;
    declare it after ``require(...)`` so authentication is checked first."""
    return Depends(_expected)


def set_etag(response: Response, revision: int) -> None:
    """Tell the client the revision it now holds."""
    response.headers["ETag"] = etag(revision)
