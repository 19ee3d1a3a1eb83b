"""The feature store use cases: apply definitions, list them with their reuse,
materialise, read online features, build point-in-time-correct training sets.

Checks run in the order that keeps Feast off the path of bad input: the input is
validated and the catalogue consulted (4xx) before Feast is needed, so a server
without the ``features`` extra answers bad requests the same way, and a good
one with :class:`~pilotdeck.domain.features.FeatureStoreMissing` (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.features import (
    Catalogue,
    Entity,
    FeatureStoreMissing,
    PilotFeatures,
    Source,
    coerce_entity,
    merge,
    parse_features,
    parse_refs,
)
from pilotdeck.domain.ports.features import (
    FeatureDefinitions,
    FeatureRepository,
    OnlineLookup,
    Progress,
)
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.when import as_utc
from pilotdeck.views.features import (
    AppliedFeatures,
    FeatureColumn,
    FeatureDataset,
    FeatureViewInfo,
    Materialization,
    OnlineFeatures,
)


@dataclass(frozen=True)
class ServedFeatures:
    """A pilot's feature service: ``view:feature`` refs and the join keys it needs."""

    features: list[str]
    keys: list[str]
    entities: dict[str, Entity]

    def columns(self) -> list[str]:
        """The model input each feature becomes: the feature's own name."""
        return [ref.split(":")[1] for ref in self.features]


DatasetWritten = Callable[[FeatureDataset, list[str]], None]
"""Called after a training set is written (the view, the features it holds): the
hook that registers it as a catalogued dataset with lineage."""


class FeatureService:
    def __init__(self, store: Store, definitions: FeatureDefinitions,
                 repository: Callable[[], FeatureRepository], installed: Callable[[], bool],
                 source_exists: Callable[[Source], bool],
                 output_path: Callable[[str], Path], online_store: str,
                 entity_source: Callable[[str], Path]) -> None:
        self.entity_source = entity_source
        self.store = store
        self.definitions = definitions
        self._repository = repository
        self.installed = installed
        self.source_exists = source_exists
        self.output_path = output_path
        self.online_store = online_store
        # The catalogue's rules for views sourced from datasets (set by the composition
        # root): may this caller read these datasets (raise, audited), may this pilot?
        self.guard: Callable[[list[str], Principal, str | None], None] | None = None
        self.pilot_may_read: Callable[[str, str], bool] | None = None

    def sources(self, views: list[str] | set[str], catalogue: Catalogue | None = None
                ) -> list[str]:
        """The catalogued datasets the given views read."""
        catalogue = catalogue or self.catalogue()
        return sorted({str(catalogue.views[v].source.dataset) for v in views
                       if v in catalogue.views and catalogue.views[v].source.dataset})

    def _guard(self, views: list[str] | set[str], who: Principal | None,
               pilot: str | None = None) -> None:
        if self.guard is not None and who is not None:
            names = self.sources(views)
            if names:
                self.guard(names, who, pilot)

    def repository(self) -> FeatureRepository:
        if not self.installed():
            raise FeatureStoreMissing()
        return self._repository()

    # -- definitions ---------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        """What was last applied (read without Feast)."""
        return merge(parse_features(data, pilot) for pilot, data in
                     self.definitions.load().items())

    def apply(self, docs: list[PilotFeatures], who: Principal, replace_all: bool = False
              ) -> AppliedFeatures:
        """Add or replace these pilots' documents (all documents with ``replace_all``),
        check the whole catalogue, register it in Feast, then keep the documents."""
        if not who.can(Permission.FEATURES_WRITE):
            raise Forbidden(f"{who.user} may not change feature definitions")
        stored = {} if replace_all else self.definitions.load()
        for doc in docs:
            stored[doc.pilot] = doc.model_dump(by_alias=True, exclude_none=True)
        catalogue = merge(parse_features(data, pilot) for pilot, data in stored.items())
        missing = [FieldError(f"featureViews.{name}.source", f"{v.source} has no data",
                              catalogue.defined_by[name])
                   for name, v in catalogue.views.items() if not self.source_exists(v.source)]
        if missing:
            raise ValidationFailed("feature sources not found", missing)
        self.repository().apply(catalogue)
        self.definitions.save(stored)
        now = utcnow()
        with self.store.write() as uow:
            uow.audit.record(who.user, "features.applied", "features", "repository", {
                "pilots": sorted(d.pilot for d in docs), "views": sorted(catalogue.views),
                "entities": sorted(catalogue.entities)}, now)
        return self._applied(catalogue)

    def apply_files(self, paths: list[Path], who: Principal) -> AppliedFeatures:
        """Apply ``PILOT.yaml`` documents (files, or directories of them)."""
        docs = [parse_features(data, pilot, source)
                for pilot, data, source in self.definitions.read(paths)]
        return self.apply(docs, who)

    def list_views(self) -> AppliedFeatures:
        return self._applied(self.catalogue())

    def view(self, name: str) -> FeatureViewInfo:
        catalogue = self.catalogue()
        if name not in catalogue.views:
            raise NotFound("feature view", name)
        return _info(catalogue, name)

    def reuse(self) -> dict[str, list[str]]:
        """View -> the pilots that use it (for the portfolio's standardise advice)."""
        return {k: list(v) for k, v in self.catalogue().used_by.items()}

    # -- serving ---------------------------------------------------------------------
    def services(self) -> dict[str, ServedFeatures]:
        """Pilot -> what the gateway looks up for it (pilots with a ``service:``)."""
        catalogue = self.catalogue()
        out: dict[str, ServedFeatures] = {}
        for pilot, service in catalogue.services.items():
            views = {ref.split(":")[0] for ref in service.features}
            if self.pilot_may_read is not None and not all(
                    self.pilot_may_read(d, pilot) for d in self.sources(views, catalogue)):
                continue  # no grant for the pilot: its entity requests get a 4xx
            keys = sorted({k for v in views for e in catalogue.views[v].entities
                           for k in catalogue.entities[e].join_keys})
            entities = {k: catalogue.entities[catalogue.entity_keys()[k]] for k in keys}
            out[pilot] = ServedFeatures(list(service.features), keys, entities)
        return out

    def online_lookup(self) -> OnlineLookup:
        """An online-store client to keep (the gateway builds it at refresh); it sees
        definitions applied since by other processes after :meth:`reload`."""
        return self.repository().online()

    def reload(self) -> None:
        """Re-read Feast's registry (after another process applied)."""
        self.repository().reload()

    def _applied(self, catalogue: Catalogue) -> AppliedFeatures:
        pilots = sorted({p for users in catalogue.used_by.values() for p in users}
                        | set(catalogue.defined_by.values()))
        return AppliedFeatures(entities=sorted(catalogue.entities),
                               views=[_info(catalogue, n) for n in sorted(catalogue.views)],
                               pilots=pilots, online_store=self.online_store)

    # -- materialisation -------------------------------------------------------------
    def materialize(self, who: Principal, views: list[str] | None = None,
                    start: datetime | None = None, end: datetime | None = None,
                    progress: Progress | None = None) -> Materialization:
        """Copy offline values to the online store: from ``start`` (or, by default,
        incrementally since each view's last run) to ``end`` (now)."""
        if not who.can(Permission.FEATURES_WRITE):
            raise Forbidden(f"{who.user} may not materialise features")
        end = as_utc(end) if end is not None else utcnow()
        start = as_utc(start) if start is not None else None
        if start is not None and start >= end:
            raise ValidationFailed("invalid interval", [FieldError(
                "start", "must be before end")])
        catalogue = self.catalogue()
        names = list(views) if views else sorted(catalogue.views)
        for name in names:
            if name not in catalogue.views:
                raise NotFound("feature view", name)
        if not names:
            raise Conflict("no feature views are applied: run `pilotdeck features apply`")
        repo = self.repository()
        clock = utcnow()
        repo.materialize(names, start, end, progress)
        seconds = (utcnow() - clock).total_seconds()
        with self.store.write() as uow:
            uow.audit.record(who.user, "features.materialized", "features", "repository", {
                "views": names, "start": iso(start) if start else None, "end": iso(end)},
                utcnow())
        return Materialization(views=names, start=iso(start) if start else None,
                               end=iso(end), seconds=round(seconds, 3))

    # -- reads ---------------------------------------------------------------------------
    def resolve(self, entity: dict[str, Any], refs: list[str] | None,
                catalogue: Catalogue | None = None) -> tuple[list[str], dict[str, Any]]:
        """Feature references to read and the typed entity row; by default every
        feature of the views whose join keys are all given."""
        catalogue = catalogue or self.catalogue()
        if not entity:
            raise ValidationFailed("invalid entity", [FieldError(
                "entity", "give at least one join key, e.g. customer_id=42")])
        keys = catalogue.entity_keys()
        for key in entity:
            if key not in keys:
                raise NotFound("entity key", key)
        row = {k: coerce_entity(catalogue.entities[keys[k]], k, v) for k, v in entity.items()}
        if refs:
            pairs = parse_refs(refs)
        else:
            pairs = [(n, f.name) for n, v in catalogue.views.items()
                     if all(k in row for e in v.entities
                            for k in catalogue.entities[e].join_keys)
                     for f in v.features]
            if not pairs:
                raise ValidationFailed("no feature view is keyed by these keys", [
                    FieldError("entity", "give every join key of a view")])
        for i, (view, feat) in enumerate(pairs):
            if view not in catalogue.views:
                raise NotFound("feature view", view)
            v = catalogue.views[view]
            if feat not in {f.name for f in v.features}:
                raise NotFound("feature", f"{view}:{feat}")
            need = [k for e in v.entities for k in catalogue.entities[e].join_keys]
            lacking = [k for k in need if k not in row]
            if lacking:
                raise ValidationFailed("missing entity key", [FieldError(
                    f"features[{i}]", f"view {view!r} needs {lacking[0]!r}")])
        return [f"{v}:{f}" for v, f in pairs], row

    def get(self, entity: dict[str, Any], refs: list[str] | None = None,
            who: Principal | None = None) -> OnlineFeatures:
        """Online values for one entity (a feature is None when the store has none);
        features of views sourced from datasets need ``who`` to be allowed to read them."""
        features, row = self.resolve(entity, refs)
        self._guard({f.split(":")[0] for f in features}, who)
        rows = self.repository().online().lookup(features, [row])
        return OnlineFeatures(features=features, rows=rows)

    def dataset_from(self, entities: str, refs: list[str], out: str, who: Principal,
                     on_written: DatasetWritten | None = None) -> FeatureDataset:
        """:meth:`dataset` with the entity table read from ``entities``: a lake table's
        name, or a Parquet/CSV file."""
        if not who.can(Permission.FEATURES_WRITE):
            raise Forbidden(f"{who.user} may not build training sets")
        frame = self.repository().read_table(self.entity_source(entities))
        return self.dataset(frame, refs, out, who, on_written)

    def dataset(self, entities: Any, refs: list[str], out: str, who: Principal,
                on_written: DatasetWritten | None = None) -> FeatureDataset:
        """A training set: ``entities`` (a DataFrame with the join keys and an
        ``event_timestamp`` column) joined point-in-time with ``refs`` (a value
        from after a row's timestamp never reaches it), written as Parquet."""
        if not who.can(Permission.FEATURES_WRITE):
            raise Forbidden(f"{who.user} may not build training sets")
        if not refs:
            raise ValidationFailed("no features", [FieldError(
                "features", "name at least one view:feature")])
        catalogue = self.catalogue()
        columns = [str(c) for c in entities.columns]
        if "event_timestamp" not in columns:
            raise ValidationFailed("invalid entity table", [FieldError(
                "entities", "needs an event_timestamp column")])
        sample = {c: None for c in columns if c in catalogue.entity_keys()}
        for view, _ in parse_refs(refs):
            if view not in catalogue.views:
                raise NotFound("feature view", view)
            v = catalogue.views[view]
            for key in (k for e in v.entities for k in catalogue.entities[e].join_keys):
                if key not in sample:
                    raise ValidationFailed("invalid entity table", [FieldError(
                        "entities", f"needs the column {key!r} (view {view!r})")])
        self._guard({view for view, _ in parse_refs(refs)}, who)
        path = self.output_path(out)
        repo = self.repository()
        frame = repo.historical(entities, list(refs))
        rows = repo.write_table(frame, path)
        result = FeatureDataset(name=out, path=str(path), rows=rows,
                                columns=[str(c) for c in frame.columns])
        with self.store.write() as uow:
            uow.audit.record(who.user, "features.dataset-built", "dataset", out, {
                "features": list(refs), "rows": rows}, utcnow())
        if on_written is not None:
            on_written(result, list(refs))
        return result


def _info(catalogue: Catalogue, name: str) -> FeatureViewInfo:
    v = catalogue.views[name]
    users = sorted(catalogue.used_by.get(name, []))
    return FeatureViewInfo(
        name=name, entities=list(v.entities),
        join_keys=[k for e in v.entities for k in catalogue.entities[e].join_keys],
        source=str(v.source), timestamp_field=v.timestamp_field, ttl_seconds=v.ttl_seconds,
        features=[FeatureColumn(name=f.name, dtype=f.dtype) for f in v.features],
        defined_by=catalogue.defined_by[name], used_by=users, reuse=len(users))
