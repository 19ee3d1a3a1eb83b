"""Feature definitions a pilot declares in YAML: entities, feature views, what it uses.

One document per pilot (``features/PILOT.yaml``)::

    pilot: churn                 # optional: the file's stem by default
    entities:
      - {name: customer, joinKeys: [customer_id], valueType: int64}
    featureViews:
      - name: customer_stats
        entities: [customer]
        source: {table: customer_stats}      # a lake table (Parquet), or {dataset: NAME}
        timestampField: event_ts
        ttlSeconds: 86400
        features: [{name: spend_30d, dtype: float64}, {name: orders_30d, dtype: int64}]
    uses: [customer_stats]       # views the pilot reads (its own or another pilot's)
    service:                     # optional: what the gateway fetches for this pilot
      features: [customer_stats:spend_30d, customer_stats:orders_30d]

A view may be defined by one pilot and used by several (shared features);
:func:`merge` joins every pilot's document into one catalogue and refuses two
different definitions under one name. Every name becomes part of a file path or
a Feast registry key, so each is checked against a strict pattern here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from pilotdeck.domain.errors import Conflict, FieldError, ValidationFailed
from pilotdeck.domain.pilot import NAME_RE, field_errors

IDENT = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
"""Entities, join keys, views and features: Python/SQL identifiers (Feast columns)."""
TABLE = r"^[A-Za-z0-9][A-Za-z0-9_]{0,99}$"
DATASET = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
FEATURE_REF_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,62}):([A-Za-z_][A-Za-z0-9_]{0,62})$")
MAX_TTL_S = 10 * 365 * 86400

ValueType = Literal["int32", "int64", "float32", "float64", "string", "bool"]
Ident = Annotated[str, Field(pattern=IDENT)]


class FeatureStoreMissing(Conflict):
    """The feature store needs the optional extra, which this installation lacks."""

    def __init__(self) -> None:
        super().__init__("the feature store is not installed: install pilotdeck[features] "
                         "(pip install 'pilotdeck[features]')")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel,
                              populate_by_name=True)


class Entity(_Spec):
    name: Ident
    join_keys: list[Ident] = Field(min_length=1, max_length=8)
    value_type: ValueType = "int64"
    description: str = Field("", max_length=500)


class Feature(_Spec):
    name: Ident
    dtype: ValueType


class Source(_Spec):
    """Where a view's rows are: a lake table or a catalogued dataset (exactly one)."""

    table: str | None = Field(None, pattern=TABLE)
    dataset: str | None = Field(None, pattern=DATASET)

    @model_validator(mode="after")
    def _one(self) -> Source:
        if (self.table is None) == (self.dataset is None):
            raise ValueError("give exactly one of table or dataset")
        return self

    def __str__(self) -> str:
        return f"table:{self.table}" if self.table else f"dataset:{self.dataset}"


class FeatureView(_Spec):
    name: Ident
    entities: list[Ident] = Field(min_length=1, max_length=8)
    source: Source
    timestamp_field: Ident = "event_timestamp"
    ttl_seconds: int = Field(86400, ge=0, le=MAX_TTL_S,
                             description="How old a value may be and still be served; 0: "
                                         "forever.")
    features: list[Feature] = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _distinct(self) -> FeatureView:
        names = [f.name for f in self.features]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"feature {dup[0]!r} is declared twice")
        if self.timestamp_field in names:
            raise ValueError("the timestamp field cannot also be a feature")
        return self


class FeatureService(_Spec):
    """The features the gateway looks up for the pilot, as ``view:feature``."""

    features: list[str] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _refs(self) -> FeatureService:
        for ref in self.features:
            if not FEATURE_REF_RE.match(ref):
                raise ValueError("each feature is view:feature (identifiers)")
        names = [ref.split(":")[-1] for ref in self.features]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"two features named {dup[0]!r}: each becomes the model "
                             "input of that name")
        return self


class PilotFeatures(_Spec):
    """One pilot's feature document."""

    pilot: str = Field(pattern=NAME_RE.pattern)
    entities: list[Entity] = Field(default_factory=list, max_length=100)
    feature_views: list[FeatureView] = Field(default_factory=list, max_length=100)
    uses: list[Ident] | None = Field(None, max_length=100, description="Views the pilot "
                                     "reads; by default the ones it defines.")
    service: FeatureService | None = None

    def used(self) -> list[str]:
        return list(self.uses) if self.uses is not None else [v.name for v in
                                                                self.feature_views]


class Catalogue(BaseModel):
    """Every pilot's documents merged: one definition per name, and who uses what."""

    model_config = ConfigDict(frozen=True)
    entities: dict[str, Entity]
    views: dict[str, FeatureView]
    defined_by: dict[str, str]
    used_by: dict[str, list[str]]
    services: dict[str, FeatureService]

    def entity_keys(self) -> dict[str, str]:
        """Join key -> entity name."""
        return {k: e.name for e in self.entities.values() for k in e.join_keys}


def parse_features(data: Any, pilot: str | None = None, source: str | None = None
                   ) -> PilotFeatures:
    """Validate one pilot's document; ``pilot`` (e.g. the file's stem) fills a missing
    ``pilot:`` and must agree with a present one."""
    if not isinstance(data, dict):
        raise ValidationFailed("invalid feature definitions", [FieldError(
            "", "must be a mapping with entities, featureViews and uses", source)])
    if pilot is not None:
        given = data.get("pilot", pilot)
        if given != pilot:
            raise ValidationFailed("invalid feature definitions", [FieldError(
                "pilot", "does not match the pilot it is filed under", source)])
        data = {**data, "pilot": pilot}
    try:
        doc = PilotFeatures.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("invalid feature definitions",
                               field_errors(exc, source)) from None
    _check_local(doc, source)
    return doc


def _check_local(doc: PilotFeatures, source: str | None) -> None:
    errors: list[FieldError] = []
    for kind, names in (("entities", [e.name for e in doc.entities]),
                        ("featureViews", [v.name for v in doc.feature_views])):
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            errors.append(FieldError(kind, f"{dup[0]!r} is declared twice", source))
    if errors:
        raise ValidationFailed("invalid feature definitions", errors)


def merge(docs: Iterable[PilotFeatures]) -> Catalogue:
    """Join every pilot's definitions; a name defined twice must be defined identically,
    every referenced entity and view must exist, and a service's features must be in
    views the pilot uses."""
    entities: dict[str, Entity] = {}
    views: dict[str, FeatureView] = {}
    defined_by: dict[str, str] = {}
    errors: list[FieldError] = []
    docs = sorted(docs, key=lambda d: d.pilot)
    for doc in docs:
        for e in doc.entities:
            if e.name in entities and entities[e.name] != e:
                errors.append(FieldError(f"entities.{e.name}", "defined differently by "
                                         "another pilot", doc.pilot))
            entities.setdefault(e.name, e)
        for v in doc.feature_views:
            if v.name in views and views[v.name] != v:
                errors.append(FieldError(f"featureViews.{v.name}", "defined differently by "
                                         f"pilot {defined_by[v.name]!r}", doc.pilot))
            views.setdefault(v.name, v)
            defined_by.setdefault(v.name, doc.pilot)
    keys: dict[str, str] = {}
    for e in entities.values():
        for k in e.join_keys:
            if keys.setdefault(k, e.name) != e.name:
                errors.append(FieldError(f"entities.{e.name}.joinKeys",
                                         f"{k!r} is already the join key of {keys[k]!r}"))
    for v in views.values():
        for name in v.entities:
            if name not in entities:
                errors.append(FieldError(f"featureViews.{v.name}.entities",
                                         f"unknown entity {name!r}", defined_by[v.name]))
    used_by: dict[str, list[str]] = {name: [] for name in views}
    services: dict[str, FeatureService] = {}
    for doc in docs:
        used = doc.used()
        for name in used:
            if name not in views:
                errors.append(FieldError("uses", f"unknown feature view {name!r}", doc.pilot))
            elif doc.pilot not in used_by[name]:
                used_by[name].append(doc.pilot)
        if doc.service is not None:
            for ref in doc.service.features:
                view, feat = ref.split(":")
                if view not in used or view not in views:
                    errors.append(FieldError("service.features", f"view {view!r} is not "
                                             "one the pilot uses", doc.pilot))
                elif feat not in {f.name for f in views[view].features}:
                    errors.append(FieldError("service.features", f"view {view!r} has no "
                                             f"feature {feat!r}", doc.pilot))
            services[doc.pilot] = doc.service
    if errors:
        raise ValidationFailed("inconsistent feature definitions", errors)
    return Catalogue(entities=entities, views=views, defined_by=defined_by,
                     used_by=used_by, services=services)


def parse_refs(refs: Iterable[str], field: str = "features") -> list[tuple[str, str]]:
    """``view:feature`` strings -> pairs; anything else is a 4xx naming the field."""
    out = []
    for i, ref in enumerate(refs):
        m = FEATURE_REF_RE.match(ref)
        if m is None:
            raise ValidationFailed("invalid feature reference", [FieldError(
                f"{field}[{i}]", "must be view:feature (identifiers)")])
        out.append((m.group(1), m.group(2)))
    return out


def parse_entity_args(pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` strings (the CLI's ``--entity``) -> mapping."""
    out: dict[str, str] = {}
    for i, pair in enumerate(pairs):
        key, sep, value = pair.partition("=")
        if not sep or not re.match(IDENT, key):
            raise ValidationFailed("invalid entity", [FieldError(
                f"entity[{i}]", "must be key=value with an identifier key")])
        out[key] = value
    return out


def coerce_entity(entity: Entity, key: str, value: Any) -> Any:
    """A join-key value (text from the CLI, JSON from the API) as the entity's type;
    a 4xx naming the key otherwise (the value is not echoed)."""
    t = entity.value_type
    try:
        if t in ("int32", "int64"):
            if isinstance(value, bool) or isinstance(value, float):
                raise ValueError
            out: Any = int(value)
            if not -(2**63) <= out < 2**63:
                raise ValueError
            return out
        if t in ("float32", "float64"):
            if isinstance(value, bool):
                raise ValueError
            out = float(value)
            if out != out or out in (float("inf"), float("-inf")):
                raise ValueError
            return out
        if t == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError
        text = str(value)
        if "\x00" in text or len(text) > 1000:
            raise ValueError
        return text
    except (TypeError, ValueError):
        raise ValidationFailed("invalid entity", [FieldError(
            key, f"must be of type {t} (entity {entity.name!r})")]) from None
