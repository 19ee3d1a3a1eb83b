"""The feature-store adapter: pilotdeck's definitions as a Feast repository in the lake.

Feast (``pip install 'pilotdeck[features]'``) is imported here and nowhere else,
lazily, inside the methods: the core starts without it, and a command that needs
it without it installed gets :class:`~pilotdeck.domain.errors.NotInstalled`.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pilotdeck.adapters.features.repo import write_config
from pilotdeck.domain.errors import FieldError, NotInstalled, ValidationFailed, describe
from pilotdeck.domain.features import Catalogue, Source
from pilotdeck.domain.ports.features import OnlineLookup, Progress

__all__ = ["FeastRepository", "feast_installed"]

_TYPES = {"int32": "Int32", "int64": "Int64", "float32": "Float32", "float64": "Float64",
          "string": "String", "bool": "Bool"}
_VALUE_TYPES = {"int32": "INT32", "int64": "INT64", "float32": "FLOAT", "float64": "DOUBLE",
                "string": "STRING", "bool": "BOOL"}


def feast_installed() -> bool:
    """Whether Feast imports (asked only right before it is needed)."""
    try:
        import feast  # noqa: F401
    except ImportError:
        return False
    return True


def _feast() -> Any:
    try:
        import feast
    except ImportError:
        raise NotInstalled("the feature store (Feast)", "features") from None
    return feast


class FeastRepository:
    """A Feast repository under ``root`` (``lake/features/``); ``source_path`` turns
    a view's source (a lake table, a catalogued dataset) into a Parquet path."""

    def __init__(self, root: Path, project: str, online_url: str,
                 source_path: Callable[[Source], Path]) -> None:
        self.root = root
        self.project = project
        self.online_url = online_url
        self.source_path = source_path
        self.online_store = write_config(root, project, online_url)
        self._store: Any = None
        self._lock = threading.Lock()

    def store(self) -> Any:
        """The Feast ``FeatureStore`` (built once; Feast is imported here)."""
        with self._lock:
            if self._store is None:
                feast = _feast()
                self._store = feast.FeatureStore(repo_path=str(self.root))
            return self._store

    def _objects(self, catalogue: Catalogue) -> list[Any]:
        feast = _feast()
        from feast import types

        entities = {name: feast.Entity(
            name=name, join_keys=list(e.join_keys), description=e.description,
            value_type=getattr(feast.ValueType, _VALUE_TYPES[e.value_type]))
            for name, e in catalogue.entities.items()}
        objects: list[Any] = list(entities.values())
        for name, v in catalogue.views.items():
            path = self.source_path(v.source)
            source = feast.FileSource(name=f"{name}_source", path=str(path),
                                      timestamp_field=v.timestamp_field)
            keys = [(k, e.value_type) for n in v.entities
                    for e in [catalogue.entities[n]] for k in e.join_keys]
            schema = [feast.Field(name=k, dtype=getattr(types, _TYPES[t])) for k, t in keys]
            schema += [feast.Field(name=f.name, dtype=getattr(types, _TYPES[f.dtype]))
                       for f in v.features]
            objects.append(feast.FeatureView(
                name=name, entities=[entities[n] for n in v.entities], schema=schema,
                ttl=timedelta(seconds=v.ttl_seconds), source=source, online=True,
                description=v.description, tags={"definedBy": catalogue.defined_by[name]}))
        return objects

    def apply(self, catalogue: Catalogue) -> None:
        store = self.store()
        objects = self._objects(catalogue)
        wanted = {o.name for o in objects}
        stale: list[Any] = [v for v in store.list_feature_views() if v.name not in wanted]
        stale += [e for e in store.list_entities() if e.name not in wanted]
        try:
            store.apply(objects, objects_to_delete=stale, partial=False)
        except (ValueError, TypeError, OSError) as exc:
            raise ValidationFailed("Feast refused the definitions", [FieldError(
                "", describe(exc))]) from None

    def materialize(self, views: list[str], start: datetime | None, end: datetime,
                    progress: Progress | None = None) -> None:
        store = self.store()
        for i, name in enumerate(views):
            # Feast prints its own progress to stdout; ours is the callback.
            with contextlib.redirect_stdout(io.StringIO()):
                if start is None:
                    store.materialize_incremental(end, feature_views=[name])
                else:
                    store.materialize(start, end, feature_views=[name])
            if progress is not None:
                progress(i + 1, len(views), name)

    def reload(self) -> None:
        self.store().refresh_registry()

    def online(self) -> OnlineLookup:
        return _Online(self.store())

    def historical(self, entities: Any, features: list[str]) -> Any:
        """Feast's point-in-time join, then every entity row in its order: Feast's file
        store drops a row whose entity has values only after its timestamp (it must
        stay, with nulls: a training set keeps every labelled row)."""
        row = "_pilotdeck_row"
        frame = entities.copy()
        frame[row] = range(len(frame))
        job = self.store().get_historical_features(entity_df=frame, features=features,
                                                   full_feature_names=True)
        got = job.to_df()
        added = [c for c in got.columns if c not in frame.columns]
        out = frame.merge(got[[row, *added]], on=row, how="left").sort_values(row)
        return out.drop(columns=[row]).reset_index(drop=True)

    def read_table(self, path: Path) -> Any:
        import pandas as pd

        try:
            if path.suffix.lower() == ".csv":
                frame = pd.read_csv(path)
                if "event_timestamp" in frame.columns:
                    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
                return frame
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise ValidationFailed("cannot read the entity table", [FieldError(
                "entities", describe(exc).replace(str(path), "the file"))]) from None

    def write_table(self, frame: Any, path: Path) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
        return int(table.num_rows)


class _Online:
    """Online reads through one FeatureStore (its store connection is reused)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def lookup(self, features: list[str], entity_rows: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
        data = self.store.get_online_features(features=features, entity_rows=entity_rows,
                                              full_feature_names=True).to_dict()
        n = len(entity_rows)
        return [{k: v[i] for k, v in data.items()} for i in range(n)]
