"""The outcome of a batch scoring run."""

from __future__ import annotations

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["BatchResult"]


class BatchResult(View):
    pilot: str
    version: int = Field(description="The model version that scored every row.")
    rows: int
    output: str = Field(description="Where the scored table was written: a path, or "
                                    "dataset:NAME@VERSION.")
    engine: str = Field(description="local | spark")
    seconds: float
    rows_per_second: float | None = Field(description="None when the run took no time.")
