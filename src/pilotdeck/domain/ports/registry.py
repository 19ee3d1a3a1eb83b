"""The model-registry port: versions of a pilot's model, their aliases, and
loading a version to serve or score it (MLflow in production)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ALIASES = ("champion", "challenger")


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: int
    run_id: str | None
    source: str
    signature: dict[str, Any] | None
    metrics: dict[str, float] = field(default_factory=dict)


class ModelRegistry(Protocol):
    def register(self, pilot: str, *, path: Path | None = None, uri: str | None = None,
                 metrics: dict[str, float] | None = None, params: dict[str, str] | None = None,
                 datasets: list[str] | None = None, description: str = ""
                 ) -> RegisteredVersion:
        """A new version of ``pilot``'s model from a model directory or a URI."""
        ...

    def discard(self, pilot: str, version: int) -> None: ...
    def local_path(self, pilot: str, version: int) -> Path:
        """A local directory holding the version's model (downloaded if needed)."""
        ...

    def load(self, pilot: str, version: int) -> Any:
        """The loaded model (an MLflow pyfunc or compatible object)."""
        ...

    def set_alias(self, pilot: str, alias: str, version: int) -> None: ...
    def delete_alias(self, pilot: str, alias: str) -> None: ...
    def aliases(self, pilot: str) -> dict[str, int]: ...
