"""What every input must be before it goes anywhere: what the stores can hold.

PostgreSQL text cannot hold a NUL character and its integers stop at 2**63 - 1;
a non-finite number (NaN, Infinity) poisons every sum it enters and is not JSON.
Rather than let such a value fail deep inside a driver (as a 500), inputs are
declared with these types, so the check happens at the edge, names the field,
and shows in the OpenAPI document.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

INT64_MAX = 2**63 - 1
NO_NUL = r"^[^\x00]*$"
NUL_PROBLEM = "must not contain a NUL character"
FINITE_PROBLEM = "must be a finite number (not NaN or Infinity)"
INT64_PROBLEM = "must be a whole number within -2**63 .. 2**63 - 1"

Text = Annotated[str, Field(pattern=NO_NUL)]
"""Any string that may reach the metadata store."""
Finite = Annotated[float, Field(allow_inf_nan=False)]
"""A number that is neither NaN nor infinite."""
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
Positive64 = Annotated[int, Field(ge=1, le=INT64_MAX)]
"""Ids, versions and sizes: 1 .. 2**63 - 1."""


def unstorable(value: Any) -> str | None:
    """What is wrong with ``value`` for the store, anywhere inside it (keys included):
    a NUL in a string, a non-finite number or an integer past 64 bits; None when
    nothing is."""
    if isinstance(value, str):
        return NUL_PROBLEM if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else FINITE_PROBLEM
    if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        return INT64_PROBLEM
    if isinstance(value, dict):
        return next((p for k, v in value.items()
                     if (p := unstorable(k) or unstorable(v))), None)
    if isinstance(value, (list, tuple)):
        return next((p for v in value if (p := unstorable(v))), None)
    return None


def _storable(value: Any) -> Any:
    problem = unstorable(value)
    if problem:
        raise ValueError(problem)
    return value


Storable = AfterValidator(_storable)
"""For free-form values (``dict[str, str]``, ``Any``) on their way to the store."""


class StorableModel(BaseModel):
    """A model none of whose fields may hold a NUL, a non-finite number or an
    integer past 64 bits, at any depth (manifests, deployment specs)."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _storable_field(cls, value: Any) -> Any:
        return _storable(value)
