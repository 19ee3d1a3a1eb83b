"""The applied feature documents, one YAML file per pilot in the feature repository.

They are the source of truth for ``features list`` (no Feast needed to read
them) and are rewritten only after Feast accepted them, so they always describe
what the registry holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.pilot import NAME_RE


class DefinitionFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, pilot: str) -> Path:
        if not NAME_RE.match(pilot):
            raise ValidationFailed("invalid pilot name", [FieldError(
                "pilot", "lowercase letters, digits and '-', at most 63 characters")])
        path = (self.root / f"{pilot}.yaml").resolve()
        if not path.is_relative_to(self.root):  # the pattern already forbids it
            raise ValidationFailed("invalid path", [FieldError("pilot", "outside the repo")])
        return path

    def load(self) -> dict[str, Any]:
        """Pilot -> its stored document (as data)."""
        if not self.root.is_dir():
            return {}
        out: dict[str, Any] = {}
        for path in sorted(self.root.glob("*.yaml")):
            if NAME_RE.match(path.stem):
                out[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return out

    def read(self, paths: list[Path]) -> list[tuple[str, Any, str]]:
        """Documents to apply, from files and directories of ``PILOT.yaml``:
        (the pilot the file names, its data, the file)."""
        files: list[Path] = []
        for path in paths:
            files += sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        out = []
        for f in files:
            try:
                data = yaml.safe_load(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise ValidationFailed("cannot read feature definitions", [FieldError(
                    "", describe(exc), str(f))]) from None
            out.append((f.stem, data, str(f)))
        if not out:
            raise ValidationFailed("no feature definitions", [FieldError(
                "path", "no PILOT.yaml files there")])
        return out

    def save(self, docs: dict[str, Any]) -> None:
        """Replace the stored documents with ``docs`` (pilot -> data)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for pilot, data in docs.items():
            path = self._path(pilot)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            tmp.replace(path)
        for path in self.root.glob("*.yaml"):
            if path.stem not in docs:
                path.unlink()
