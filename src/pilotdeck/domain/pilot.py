"""The pilot inventory record and its YAML manifest (``apiVersion: pilotdeck/v1``).

A manifest is validated into a :class:`PilotManifest`; every problem becomes a
:class:`FieldError` whose path uses the manifest's own camelCase names
(``spec.scores.impact.value``) so users can find it in their file.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from pilotdeck.domain.canonical import canonical_json
from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.inputs import StorableModel

API_VERSION: Literal["pilotdeck/v1"] = "pilotdeck/v1"
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class PilotStatus(StrEnum):
    PILOT = "pilot"
    SCALING = "scaling"
    PRODUCTION = "production"
    SUNSET = "sunset"


def _score(v: int) -> int:
    if not 1 <= v <= 5:
        raise ValueError(f"must be 1..5, got {v}")
    return v


def _share(v: float) -> float:
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"must be 0..1, got {v}")
    return v


def _non_negative(v: float) -> float:
    if v < 0:
        raise ValueError(f"must be >= 0, got {v}")
    return v


def _name(v: str) -> str:
    if not NAME_RE.match(v):
        raise ValueError(
            "must be lower-case letters, digits and '-', 1..63 characters, "
            f"starting and ending with a letter or digit, got {v!r}"
        )
    return v


def _strict_int(v: Any) -> Any:
    # YAML gives bools for yes/no; a score of `true` is a mistake, not 1.
    if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
        raise ValueError(f"must be a whole number, got {v!r}")
    return v


# The validators give the friendly messages; the schema extras show the same limits
# in the JSON Schema (and so in the API's OpenAPI document).
Score = Annotated[int, BeforeValidator(_strict_int), AfterValidator(_score),
                  Field(json_schema_extra={"minimum": 1, "maximum": 5})]
Share = Annotated[float, AfterValidator(_share),
                  Field(json_schema_extra={"minimum": 0, "maximum": 1})]
Money = Annotated[float, AfterValidator(_non_negative), Field(json_schema_extra={"minimum": 0})]
Name = Annotated[str, AfterValidator(_name),
                 Field(json_schema_extra={"pattern": NAME_RE.pattern, "maxLength": 63})]


class _Model(StorableModel):
    # Storable: no NaN/Infinity and no NUL anywhere; the store and JSON cannot hold them.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Metadata(_Model):
    name: Name
    business_unit: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class TeamMember(_Model):
    name: str = Field(min_length=1)
    role: str | None = None
    email: str | None = None


def _team_member(v: Any) -> Any:
    return {"name": v} if isinstance(v, str) else v


class DataSource(_Model):
    name: str = Field(min_length=1)
    kind: Literal["table", "stream", "api", "file", "feature-view", "other"] = "table"
    quality: Share | None = Field(default=None, description="Measured quality score 0..1.")
    owner: str | None = None
    lineage: str | None = Field(default=None, description="Where the data comes from.")
    contains_pii: bool = False


class Stack(_Model):
    models: list[str] = Field(default_factory=list)
    frameworks: list[str] = Field(default_factory=list)
    infrastructure: list[str] = Field(default_factory=list)


class Metrics(_Model):
    metrics: dict[str, float] = Field(default_factory=dict)


class Economics(_Model):
    production_cost_per_year: Money = 0.0
    expected_value_per_year: Money = 0.0
    cost_to_date: Money = 0.0
    currency: str = "USD"


class Scores(_Model):
    impact: dict[str, Score] = Field(default_factory=dict)
    complexity: dict[str, Score] = Field(default_factory=dict)


class Spec(_Model):
    problem: str = Field(min_length=1)
    status: PilotStatus = PilotStatus.PILOT
    team: list[Annotated[TeamMember, BeforeValidator(_team_member)]] = Field(default_factory=list)
    data_sources: list[DataSource] = Field(default_factory=list)
    stack: Stack = Field(default_factory=Stack)
    baseline: Metrics = Field(default_factory=Metrics)
    current: Metrics = Field(default_factory=Metrics)
    economics: Economics = Field(default_factory=Economics)
    scores: Scores = Field(default_factory=Scores)
    started_on: date | None = None
    production_on: date | None = None


class PilotManifest(_Model):
    """One pilot, exactly as written in its YAML manifest."""

    api_version: Literal["pilotdeck/v1"] = API_VERSION
    kind: Literal["Pilot"] = "Pilot"
    metadata: Metadata
    spec: Spec

    @property
    def name(self) -> str:
        return self.metadata.name

    def document(self) -> dict[str, Any]:
        """The manifest as plain JSON-able data, camelCase, without empty defaults."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def digest(self) -> str:
        """Content digest: equal digests mean re-importing is a no-op."""
        return hashlib.sha256(canonical_json(self.document())).hexdigest()


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problem(err: dict[str, Any]) -> str:
    kind = err["type"]
    msg: str = err["msg"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field (check the spelling)"
    if kind == "literal_error":
        return f"{msg[0].lower()}{msg[1:]}"
    if msg.startswith("Value error, "):
        return msg.removeprefix("Value error, ")
    got = err.get("input")
    shown = f", got {got!r}" if isinstance(got, (int, float, bool)) or got is None else ""
    return f"{msg[0].lower()}{msg[1:]}{shown}"


def field_errors(exc: ValidationError, source: str | None = None) -> list[FieldError]:
    """Turn pydantic's errors into field paths and short problems (no input echo)."""
    return [FieldError(_loc(e["loc"]), _problem(dict(e)), source) for e in exc.errors()]


def parse_manifest(data: Any, source: str | None = None) -> PilotManifest:
    """Validate one manifest document; raise ``ValidationFailed`` listing every problem."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "invalid pilot manifest",
            [FieldError("", "a manifest must be a mapping with apiVersion, kind, metadata, spec",
                        source)],
        )
    try:
        return PilotManifest.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("invalid pilot manifest", field_errors(exc, source)) from None
