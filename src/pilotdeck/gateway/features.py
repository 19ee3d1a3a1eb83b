"""Entity keys instead of raw features: ``{"entities": [{"customer_id": 42}]}``.

For a pilot whose feature document has a ``service:``, the gateway looks the
entities up in the online store and predicts from the features as usual. The
online-store client is built at state refresh (in the loader thread), never per
request; a lookup runs in its own thread with a time budget, so a slow store
costs a 504 and a counter, not a hung request or a breaker trip (the model did
nothing wrong). An entity the store has no features for is a 422 naming it.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson

from pilotdeck.domain.errors import Conflict, FieldError, PilotdeckError, ValidationFailed
from pilotdeck.domain.features import coerce_entity
from pilotdeck.platform import Platform

log = logging.getLogger("pilotdeck.gateway.features")
ENTITIES_KEY = b'"entities"'


class FeatureTimeout(PilotdeckError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 504, "Gateway timeout")


@dataclass
class EntityLookup:
    """One pilot's feature service with the shared online-store client."""

    pilot: str
    features: list[str]
    keys: list[str]
    columns: list[str]
    entities: dict[str, Any]
    client: Any

    def rows(self, entity_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Blocking: the model rows (the entity's other fields, then the features)."""
        keyed = [{k: r[k] for k in self.keys} for r in entity_rows]
        found = self.client.lookup(self.features, keyed)
        out = []
        refs = [f.replace(":", "__", 1) for f in self.features]
        for i, (given, got) in enumerate(zip(entity_rows, found, strict=True)):
            values = [got.get(ref) for ref in refs]
            if all(v is None for v in values):
                raise ValidationFailed("unknown entity", [FieldError(
                    f"entities[{i}].{self.keys[0]}", "the online store has no features for "
                    "this entity (unknown, or not materialised)")])
            row = {k: v for k, v in given.items() if k not in self.keys}
            row.update(zip(self.columns, values, strict=True))
            out.append(row)
        return out


def parse_entities(body: bytes, lookup: EntityLookup | None, max_rows: int,
                   unavailable: str | None = None) -> list[dict[str, Any]] | None:
    """The entity rows of an ``{"entities": [...]}`` body, typed and checked; None for
    any other body (the usual MLflow scoring formats)."""
    if ENTITIES_KEY not in body:  # a bytes scan keeps the raw-feature path at one parse
        return None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # decode() reports it
    if not isinstance(doc, dict) or set(doc) != {"entities"}:
        return None
    if lookup is None and unavailable:
        raise Conflict(f"online features are unavailable here: {unavailable}")
    if lookup is None:
        raise ValidationFailed("invalid prediction request", [FieldError(
            "entities", "this pilot has no feature service: send features instead")])
    rows = doc["entities"]
    if not isinstance(rows, list) or not rows:
        raise ValidationFailed("invalid prediction request", [FieldError(
            "entities", "must be a non-empty list of objects")])
    if len(rows) > max_rows:
        from pilotdeck.gateway.schema import PayloadTooLarge

        raise PayloadTooLarge(f"{len(rows)} rows; at most {max_rows} per request")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValidationFailed("invalid prediction request", [FieldError(
                f"entities[{i}]", "must be an object of join keys")])
        typed = dict(row)
        for key in lookup.keys:
            if key not in row:
                raise ValidationFailed("invalid prediction request", [FieldError(
                    f"entities[{i}].{key}", "is required (a join key)")])
            try:
                typed[key] = coerce_entity(lookup.entities[key], key, row[key])
            except ValidationFailed as exc:
                raise ValidationFailed("invalid prediction request", [FieldError(
                    f"entities[{i}].{key}", exc.errors[0].problem)]) from None
        out.append(typed)
    return out


_ZERO = {"int32": 0, "int64": 0, "float32": 0.0, "float64": 0.0, "string": "",
         "bool": False}


def _warm(lookup: EntityLookup) -> None:
    """One lookup off the request path: Feast reads its registry and opens the store
    on the first call (hundreds of ms), which must not land on a request's budget."""
    row = {k: _ZERO[lookup.entities[k].value_type] for k in lookup.keys}
    try:
        lookup.client.lookup(lookup.features, [row])
    except Exception:  # noqa: BLE001 - only a warm-up; the real lookup reports errors
        log.warning("warming the online lookup of %s failed", lookup.pilot, exc_info=True)


class FeatureLookups:
    """Per pilot, its :class:`EntityLookup`; rebuilt at each state refresh."""

    def __init__(self, platform: Platform, timeout_s: float) -> None:
        self.platform = platform
        self.timeout_s = timeout_s
        self.by_pilot: dict[str, EntityLookup] = {}
        self._client: Any = None
        self._signature: Any = None
        self.unavailable: str | None = None
        self.executor = ThreadPoolExecutor(4, thread_name_prefix="feature-lookup")

    def load(self) -> dict[str, EntityLookup]:
        """Blocking (the loader thread): the lookups for every pilot with a service."""
        service = self.platform.features
        services = service.services()
        if not services:
            return {}
        signature = sorted((p, tuple(s.features)) for p, s in services.items())
        fresh = signature != self._signature
        if self._client is None:
            self._client = service.online_lookup()
        elif fresh:
            service.reload()  # definitions changed: Feast's registry too
        self._signature = signature
        lookups = {p: EntityLookup(p, s.features, s.keys, s.columns(), s.entities,
                                   self._client) for p, s in services.items()}
        if fresh:
            for lookup in lookups.values():
                _warm(lookup)
        return lookups

    def safe_load(self) -> dict[str, EntityLookup] | None:
        """:meth:`load` for the refresh: a missing Feast or a bad definition leaves the
        pilots without lookups (requests say why); anything else keeps the last ones."""
        try:
            lookups = self.load()
        except PilotdeckError as exc:
            self.unavailable = str(exc)
            log.warning("no online features: %s", exc)
            return {}
        except Exception:  # noqa: BLE001 - a broken store must not stop the refresh
            log.exception("could not refresh the online feature lookups")
            return None
        self.unavailable = None
        return lookups

    async def rows(self, lookup: EntityLookup, entity_rows: list[dict[str, Any]],
                   metrics: Any) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        try:
            rows = await asyncio.wait_for(
                loop.run_in_executor(self.executor, lookup.rows, entity_rows), self.timeout_s)
        except TimeoutError:
            metrics.feature_lookups.labels(lookup.pilot, "timeout").inc()
            raise FeatureTimeout(f"online feature lookup for {lookup.pilot} took longer "
                                 f"than {self.timeout_s * 1000:.0f} ms") from None
        except ValidationFailed:
            metrics.feature_lookups.labels(lookup.pilot, "unknown-entity").inc()
            raise
        metrics.feature_lookups.labels(lookup.pilot, "ok").inc()
        return rows

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
