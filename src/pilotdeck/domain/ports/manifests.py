"""The manifest-files port: pilot manifests read from and written to YAML files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class RawManifest:
    source: str  # "path/to/file.yaml" or "path/to/file.yaml#2" for the 2nd document
    data: Any


class ManifestFiles(Protocol):
    def read(self, path: Path) -> list[RawManifest]:
        """Every manifest document in a file or under a directory."""
        ...

    def write(self, directory: Path, name: str, document: dict[str, Any]) -> Path:
        """One manifest as ``DIR/NAME.yaml``, written whole or not at all."""
        ...
