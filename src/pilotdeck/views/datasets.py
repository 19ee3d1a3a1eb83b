"""Catalogued datasets: entries, versions, rows of a version, and grants."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["DatasetColumn", "DatasetDetail", "DatasetGrant", "DatasetList", "DatasetRows",
           "DatasetSummary", "DatasetVersion", "DatasetVersionList", "DatasetWritten",
           "GrantList"]


class DatasetColumn(View):
    name: str
    type: str = Field(description="Arrow type of the latest version.")
    description: str = ""


class DatasetSummary(View):
    name: str
    owner: str = Field(description="The owner team.")
    tags: list[str]
    description: str
    version: int | None = Field(description="Latest Delta version (None: table unreadable).")
    rows: int | None = Field(description="Rows in the latest version.")
    system: bool = Field(description="Written by pilotdeck itself (prediction log, ...).")


class DatasetDetail(DatasetSummary):
    uri: str = Field(description="Where the Delta table lives: an object-store URI, or "
                                  "lake:datasets/NAME inside the lakehouse.")
    columns: list[DatasetColumn]
    created_by: str
    created_at: str
    updated_at: str
    revision: int = Field(description="Catalogue entry revision (for If-Match).")
    readable: bool = Field(description="Whether the caller may read its rows.")


class DatasetList(View):
    items: list[DatasetSummary]


class DatasetVersion(View):
    version: int
    timestamp: str | None = Field(description="Commit time, ISO 8601 UTC.")
    operation: str = Field(description="What wrote it: register, append, batch.score, ...")
    rows_added: int | None
    files_added: int | None


class DatasetVersionList(View):
    name: str
    items: list[DatasetVersion] = Field(description="Newest first.")


class DatasetWritten(View):
    """A new version of a dataset (``created``: the dataset is new)."""

    name: str
    version: int
    rows: int = Field(description="Rows written in this version.")
    created: bool
    quality: Literal["passed", "failed", "no-baseline"] | None = Field(
        default=None, description="The new version against the dataset's quality baseline.")


class DatasetRows(View):
    name: str
    version: int
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="More rows than the limit.")


class DatasetGrant(View):
    id: int
    target: str = Field(description="A dataset name, or tag:TAG for every dataset with it.")
    to: str = Field(description="role:ROLE, team:TEAM or pilot:PILOT.")
    access: Literal["read", "write"]
    created_by: str
    created_at: str


class GrantList(View):
    items: list[DatasetGrant]
