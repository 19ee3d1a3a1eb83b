"""The model registry port: where versions of a pilot's model are kept, aliased
and loaded from (MLflow in production, an in-memory fake in service tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

#: The aliases pilotdeck gives meaning to: the serving champion and its challenger.
ALIASES = ("champion", "challenger")


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of a pilot's model as the registry knows it."""

    name: str
    version: int
    run_id: str | None
    source: str
    signature: dict[str, Any] | None  # MLflow ``ModelSignature.to_dict()`` shape
    metrics: dict[str, float] = field(default_factory=dict)
    datasets: list[str] = field(default_factory=list)


@runtime_checkable
class ModelRegistry(Protocol):
    """Versions, aliases and loading of each pilot's model.

    The contract (``tests/contract/test_model_registry.py`` checks it on every
    implementation): versions of a pilot are numbered from 1; an unknown pilot
    or version raises ``NotFound`` from ``version``, ``local_path``, ``load``
    and ``set_alias``; a bad source raises ``ValidationFailed`` naming the
    field; ``aliases`` of an unknown pilot is empty; ``discard`` and
    ``delete_alias`` are best effort and never raise; no backend exception
    escapes.
    """

    def register(self, pilot: str, *, path: Path | None = None, uri: str | None = None,
                 metrics: dict[str, float] | None = None,
                 params: dict[str, str] | None = None, datasets: list[str] | None = None,
                 description: str = "") -> RegisteredVersion:
        """Add a new version from a local model directory or a registry URI."""
        ...

    def version(self, pilot: str, version: int) -> RegisteredVersion:
        """What the registry holds about one version (``NotFound`` if nothing)."""
        ...

    def discard(self, pilot: str, version: int) -> None:
        """Remove a version (compensation when pilotdeck could not record it)."""
        ...

    def set_alias(self, pilot: str, alias: str, version: int) -> None:
        """Point ``alias`` at ``version``, moving it if it pointed elsewhere."""
        ...

    def delete_alias(self, pilot: str, alias: str) -> None: ...

    def aliases(self, pilot: str) -> dict[str, int]:
        """Alias → version of one pilot; empty for a pilot the registry never saw."""
        ...

    def local_path(self, pilot: str, version: int) -> Path:
        """A local directory holding the version's MLflow model files."""
        ...

    def load(self, pilot: str, version: int) -> Any:
        """The version as a ready-to-predict model (an ``mlflow.pyfunc`` model)."""
        ...
