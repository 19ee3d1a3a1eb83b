"""Read and write YAML pilot manifests on disk (one file per pilot, like a catalogue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.ports.manifests import RawManifest

SUFFIXES = (".yaml", ".yml")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    raise ValidationFailed(
        "cannot import", [FieldError("path", "no such file or directory", str(path))]
    )


def read_manifests(path: Path) -> list[RawManifest]:
    """Every YAML document under ``path``; YAML syntax errors name file and line."""
    out: list[RawManifest] = []
    errors: list[FieldError] = []
    files = _files(path)
    if not files:
        raise ValidationFailed(
            "cannot import", [FieldError("path", "no .yaml or .yml files found", str(path))]
        )
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(exc, "problem", None) or "not valid YAML"
            errors.append(FieldError("", f"{where}{problem}", str(file)))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(FieldError("", f"cannot read file: {describe(exc)}", str(file)))
            continue
        for i, doc in enumerate(docs):
            source = str(file) if len(docs) == 1 else f"{file}#{i + 1}"
            out.append(RawManifest(source, doc))
    if errors:
        raise ValidationFailed("invalid pilot manifest", errors)
    return out


def write_manifest(directory: Path, name: str, document: dict[str, Any]) -> Path:
    """Write one manifest as ``DIR/NAME.yaml`` in the same key order users write."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    tmp.replace(path)
    return path


class YamlManifestFiles:
    """The :class:`~pilotdeck.domain.ports.manifests.ManifestFiles` on local YAML."""

    def read(self, path: Path) -> list[RawManifest]:
        return read_manifests(path)

    def write(self, directory: Path, name: str, document: dict[str, Any]) -> Path:
        return write_manifest(directory, name, document)
