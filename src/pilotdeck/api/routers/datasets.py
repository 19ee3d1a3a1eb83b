"""The dataset catalogue over HTTP: entries, versions, rows, tags and grants.

A new version is uploaded as the request body (Parquet or CSV, at most the
API's body limit: bigger tables are registered from the CLI or written to an
object store and registered by URI). Every read of rows goes through the
dataset's grants, like every other path.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import text
from pilotdeck.api.preconditions import PRECONDITION_RESPONSES, if_match, set_etag
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.datasets import NAME_RE, TAG_RE, TEAM_RE
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.inputs import INT64_MAX, NO_NUL
from pilotdeck.platform import Platform
from pilotdeck.views.base import View
from pilotdeck.views.data_quality import QualityResult, QualitySuite
from pilotdeck.views.datasets import (
    DatasetDetail,
    DatasetGrant,
    DatasetList,
    DatasetRows,
    DatasetVersionList,
    DatasetWritten,
    GrantList,
)

router = APIRouter(tags=["datasets"])

DatasetName = Annotated[str, Path(min_length=1, max_length=63, pattern=NAME_RE.pattern,
                                  description="Dataset name")]
Tag = Annotated[str, Field(min_length=1, max_length=100, pattern=TAG_RE.pattern)]
_COLUMN = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
_KINDS = {"application/vnd.apache.parquet": ".parquet", "application/x-parquet": ".parquet",
          "text/csv": ".csv"}
_UPLOAD = {"requestBody": {"required": True, "content": {
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}}}}}


@router.get("/v1/datasets", summary="Catalogued datasets with their latest versions")
def list_datasets(tag: str | None = Query(None, max_length=100, pattern=TAG_RE.pattern),
                  owner: str | None = Query(None, max_length=63, pattern=TEAM_RE.pattern),
                  who: Principal = require(Permission.DATASETS_READ),
                  platform: Platform = Depends(get_platform)) -> DatasetList:
    return DatasetList(items=platform.datasets.list(who, tag=tag, owner=owner))


@router.get("/v1/datasets/{name}", summary="A dataset's entry: schema, owner, tags")
def get_dataset(name: DatasetName, response: Response,
                who: Principal = require(Permission.DATASETS_READ),
                platform: Platform = Depends(get_platform)) -> DatasetDetail:
    d = platform.datasets.show(name, who)
    set_etag(response, d.revision)
    return d


@router.get("/v1/datasets/{name}/versions", summary="Versions, newest first")
def dataset_versions(name: DatasetName,
                     limit: int | None = Query(None, ge=1, le=10_000),
                     who: Principal = require(Permission.DATASETS_READ),
                     platform: Platform = Depends(get_platform)) -> DatasetVersionList:
    return DatasetVersionList(name=name, items=platform.datasets.versions(name, who, limit))


@router.get("/v1/datasets/{name}/rows", summary="The first rows of a version (grants apply)",
            responses={403: {"description": "No grant to read this dataset (audited)."}})
def dataset_rows(name: DatasetName,
                 version: int | None = Query(None, ge=0, le=INT64_MAX),
                 limit: int = Query(20, ge=1, le=10_000),
                 columns: list[_COLUMN] | None = Query(None, max_length=500),
                 who: Principal = require(Permission.DATASETS_READ),
                 platform: Platform = Depends(get_platform)) -> DatasetRows:
    return platform.datasets.query(name, who, version=version, limit=limit, columns=columns)


@router.post("/v1/datasets/{name}/versions", status_code=status.HTTP_201_CREATED,
             summary="Create a dataset or append a version from an uploaded table",
             openapi_extra=_UPLOAD)
async def upload_version(
    name: DatasetName, request: Request,
    owner: str | None = Query(None, max_length=63, pattern=TEAM_RE.pattern),
    tag: list[Tag] | None = Query(None, max_length=32),
    description: str | None = text(),
    who: Principal = require(Permission.DATASETS_WRITE),
    platform: Platform = Depends(get_platform),
) -> DatasetWritten:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    suffix = _KINDS.get(kind)
    if suffix is None:
        raise ValidationFailed("unsupported body", [FieldError(
            "content-type", "send application/vnd.apache.parquet or text/csv")])
    raw = await request.body()  # at most api_max_body_bytes: the RequestGuard saw to it
    if not raw:
        raise ValidationFailed("empty body", [FieldError("body", "send the table's rows")])
    _check_upload(raw, suffix, platform.settings.api_max_body_bytes)
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        # Off the event loop: a Delta commit and a quality check take a while.
        return await run_in_threadpool(
            platform.datasets.register, name, tmp, who, owner=owner, tags=tag or [],
            description=description, job="data.upload",
            source_label="")  # a temp file: no lineage node
    except ValidationFailed as exc:  # about the temporary file: say "body", not its path
        raise ValidationFailed(exc.message.replace(tmp, "the body"), [
            FieldError("body" if e.field == "path" else e.field, e.problem.replace(tmp, "body"))
            for e in exc.errors]) from None
    finally:
        os.unlink(tmp)


MAX_UPLOAD_COLUMNS = 10_000
EXPANSION = 10  # an uploaded Parquet may hold this many cells per byte of the body limit


def _check_upload(raw: bytes, suffix: str, limit: int) -> None:
    """Refuse, before any parsing, a table too wide to handle or a Parquet file that
    decompresses to far more than the body limit (a few hundred KB of zeros can
    declare hundreds of millions of rows; its byte sizes count them encoded)."""
    if suffix == ".csv":
        columns, cells = raw.split(b"\n", 1)[0].count(b",") + 1, 0
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            meta = pq.read_metadata(pa.BufferReader(raw))
        except (pa.ArrowException, OSError):
            return  # not Parquet: reading it says so
        columns, cells = meta.num_columns, meta.num_rows * meta.num_columns
    if columns > MAX_UPLOAD_COLUMNS:
        raise ValidationFailed("too many columns", [FieldError(
            "body", f"{columns} columns; at most {MAX_UPLOAD_COLUMNS}")])
    if cells > EXPANSION * limit:
        raise ValidationFailed("the table is too big to upload", [FieldError(
            "body", f"decompresses to {cells} values; at most {EXPANSION * limit} (register "
                    "bigger tables from the CLI or by URI)")])


class DatasetChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add_tags: list[Tag] = Field(default_factory=list, alias="addTags", max_length=32)
    remove_tags: list[Tag] = Field(default_factory=list, alias="removeTags", max_length=32)
    description: str | None = Field(None, max_length=5000, pattern=NO_NUL)
    columns: dict[_COLUMN, Annotated[str, Field(max_length=2000, pattern=NO_NUL)]] = Field(
        default_factory=dict, max_length=2000, description="Column descriptions to set.")


@router.patch("/v1/datasets/{name}", summary="Change tags and descriptions",
              responses=PRECONDITION_RESPONSES)
def change_dataset(name: DatasetName, body: DatasetChange, response: Response,
                   who: Principal = require(Permission.DATASETS_READ),
                   expected: int | None = if_match(),
                   platform: Platform = Depends(get_platform)) -> DatasetDetail:
    d = platform.datasets.tag(name, who, add=body.add_tags, remove=body.remove_tags,
                              description=body.description, columns=body.columns or None,
                              expected_revision=expected or None)
    set_etag(response, d.revision)
    return d


class GrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: str = Field(min_length=1, max_length=110, pattern=NO_NUL,
                        description="A dataset name, or tag:TAG.")
    to: str = Field(min_length=3, max_length=80, pattern=NO_NUL,
                    description="role:ROLE, team:TEAM or pilot:PILOT.")
    access: str = Field("read", pattern="^(read|write)$")


@router.get("/v1/dataset-grants", summary="Grants on datasets and tags")
def list_grants(dataset: str | None = Query(None, max_length=63, pattern=NAME_RE.pattern),
                who: Principal = require(Permission.DATASETS_READ),
                platform: Platform = Depends(get_platform)) -> GrantList:
    return GrantList(items=platform.datasets.access.grants(who, dataset))


@router.post("/v1/dataset-grants", status_code=status.HTTP_201_CREATED,
             summary="Grant read or write access (administrators, the governance board, "
                     "the owner team)")
def create_grant(body: GrantRequest, who: Principal = require(Permission.DATASETS_READ),
                 platform: Platform = Depends(get_platform)) -> DatasetGrant:
    return platform.datasets.access.grant(body.target, body.to, body.access, who)


@router.post("/v1/dataset-grants/revoke", summary="Withdraw a grant")
def revoke_grant(body: GrantRequest, who: Principal = require(Permission.DATASETS_READ),
                 platform: Platform = Depends(get_platform)) -> DatasetGrant:
    return platform.datasets.access.revoke(body.target, body.to, body.access, who)


# -- quality baselines --------------------------------------------------------
class BaselineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=0, le=INT64_MAX, description="Default: the latest.")
    keys: list[_COLUMN] = Field(default_factory=list, max_length=50,
                                description="Key columns, unique together.")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=0, le=INT64_MAX, description="Default: the latest.")


class QualityResultList(View):
    items: list[QualityResult]


_SUITE_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string", "description": "pandera YAML"}}}}}


@router.get("/v1/datasets/{name}/quality", summary="The dataset's quality suite")
def get_suite(name: DatasetName, who: Principal = require(Permission.DATASETS_READ),
              platform: Platform = Depends(get_platform)) -> QualitySuite:
    return platform.dataset_quality.suite(name, who)


@router.put("/v1/datasets/{name}/quality", summary="Replace the suite with edited YAML",
            openapi_extra=_SUITE_BODY)
async def put_suite(name: DatasetName, request: Request,
                    who: Principal = require(Permission.DATASETS_READ),
                    platform: Platform = Depends(get_platform)) -> QualitySuite:
    raw = await request.body()  # at most api_max_body_bytes: the RequestGuard saw to it
    try:
        text_ = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("unreadable body", [FieldError("body", "is not UTF-8")]
                               ) from None
    return platform.dataset_quality.edit(name, text_, who)


@router.post("/v1/datasets/{name}/quality/baseline", status_code=status.HTTP_201_CREATED,
             summary="Generate the suite from a version (owner team, write grant, admin)")
def make_baseline(name: DatasetName, body: BaselineRequest,
                  who: Principal = require(Permission.DATASETS_READ),
                  platform: Platform = Depends(get_platform)) -> QualitySuite:
    return platform.dataset_quality.baseline(name, who, version=body.version, keys=body.keys)


@router.post("/v1/datasets/{name}/quality/checks", status_code=status.HTTP_201_CREATED,
             summary="Run the suite on a version (the result is kept)")
def run_check(name: DatasetName, body: CheckRequest,
              who: Principal = require(Permission.DATASETS_READ),
              platform: Platform = Depends(get_platform)) -> QualityResult:
    return platform.dataset_quality.check(name, who, version=body.version)


@router.get("/v1/datasets/{name}/quality/checks", summary="Stored results, oldest first")
def list_checks(name: DatasetName, who: Principal = require(Permission.DATASETS_READ),
                platform: Platform = Depends(get_platform)) -> QualityResultList:
    return QualityResultList(items=platform.dataset_quality.results(name, who))
