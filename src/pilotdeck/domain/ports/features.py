"""The feature-store port: a managed Feast repository, behind a small interface.

Services and the gateway speak to this; only ``adapters/features`` imports Feast
(an optional extra, ``pilotdeck[features]``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pilotdeck.domain.features import Catalogue

Progress = Callable[[int, int, str], None]
"""``(done, total, view)`` after each feature view is materialised."""


class OnlineLookup(Protocol):
    """A client of the online store, built once and reused for every request."""

    def lookup(self, features: list[str], entity_rows: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
        """One mapping per entity row: its keys and ``view__feature`` values (None
        where the store has no value)."""
        ...


class FeatureRepository(Protocol):
    online_store: str

    def apply(self, catalogue: Catalogue) -> None:
        """Register every entity and view (and remove those no longer declared)."""
        ...

    def materialize(self, views: list[str], start: datetime | None, end: datetime,
                    progress: Progress | None = None) -> None:
        """Copy the latest values in ``[start, end]`` (or since the last run) online."""
        ...

    def online(self) -> OnlineLookup: ...

    def reload(self) -> None:
        """Re-read the registry (definitions applied by another process)."""
        ...

    def historical(self, entities: Any, features: list[str]) -> Any:
        """Point-in-time join of ``entities`` (a DataFrame with join keys and
        ``event_timestamp``) with ``features``: a DataFrame."""
        ...

    def read_table(self, path: Path) -> Any:
        """A Parquet file or directory, or a CSV file, as a DataFrame."""
        ...

    def write_table(self, frame: Any, path: Path) -> int:
        """Write a DataFrame as Parquet; the row count."""
        ...


class FeatureDefinitions(Protocol):
    """The applied per-pilot documents (pilot -> data)."""

    def load(self) -> dict[str, Any]: ...

    def save(self, docs: dict[str, Any]) -> None: ...

    def read(self, paths: list[Path]) -> list[tuple[str, Any, str]]:
        """Documents from files: (pilot named by the file, data, source)."""
        ...
