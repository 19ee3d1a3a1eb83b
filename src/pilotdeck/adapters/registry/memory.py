"""An in-memory model registry: the ``ModelRegistry`` port without MLflow's store.

For service and gateway tests that need a registry but not MLflow's tracking
database (creating one costs seconds). It keeps, per pilot, a dict of version
→ model directory or model object, and the aliases, and passes the same
contract suite as ``MlflowRegistry``.

Limits, on purpose:
- nothing persists: a new instance is empty;
- a model directory is referenced, not copied: keep it for the registry's life;
- ``runs:/`` URIs are refused (there are no runs); ``models:/NAME/VERSION`` and
  ``models:/NAME@ALIAS`` copy a version this registry holds;
- ``params`` and ``description`` are accepted and dropped;
- ``register_object`` versions have no files: ``local_path`` refuses them and
  ``load`` returns the object itself.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from pilotdeck.adapters.registry.loader import load_model
from pilotdeck.domain.errors import FieldError, NotFound, ValidationFailed
from pilotdeck.domain.ports.registry import RegisteredVersion


def _bad(field_name: str, problem: str) -> ValidationFailed:
    return ValidationFailed("cannot register model", [FieldError(field_name, problem)])


def _signature(model_dir: Path) -> dict[str, Any] | None:
    """The MLmodel's signature in ``ModelSignature.to_dict()`` shape, read without
    importing MLflow (the YAML already holds that shape)."""
    meta = yaml.safe_load((model_dir / "MLmodel").read_text(encoding="utf-8")) or {}
    sig = meta.get("signature")
    if not sig:
        return None
    return {"inputs": sig.get("inputs"), "outputs": sig.get("outputs"),
            "params": sig.get("params")}


def _copy(rv: RegisteredVersion) -> RegisteredVersion:
    """A copy whose dict and list a caller may change without changing ours."""
    return replace(rv, metrics=dict(rv.metrics), datasets=list(rv.datasets))


class MemoryRegistry:
    """The ``ModelRegistry`` port on dicts (``memory://``)."""

    def __init__(self) -> None:
        self._versions: dict[str, dict[int, RegisteredVersion]] = {}
        self._models: dict[tuple[str, int], Path | Any] = {}
        self._next: dict[str, int] = {}  # numbers are never reused, as in MLflow
        self._aliases: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def register(self, pilot: str, *, path: Path | None = None, uri: str | None = None,
                 metrics: dict[str, float] | None = None, params: dict[str, str] | None = None,
                 datasets: list[str] | None = None, description: str = "") -> RegisteredVersion:
        """Register a new version from a model directory or a ``models:/`` URI."""
        if (path is None) == (uri is None):
            raise _bad("source", "give exactly one of --path or --uri")
        if path is not None:
            if not (path / "MLmodel").is_file():
                raise _bad("path", f"{path} is not an MLflow model directory (no MLmodel file)")
            return self._add(pilot, path, _signature(path), metrics, datasets, None)
        assert uri is not None
        if not uri.startswith(("runs:/", "models:/")):
            raise _bad("uri", "must start with runs:/ or models:/")
        if uri.startswith("runs:/"):
            raise _bad("uri", "the in-memory registry has no runs; use a path or models:/")
        src = self._resolve(uri)
        return self._add(pilot, self._models[(src.name, src.version)], src.signature,
                         metrics, datasets, src.run_id)

    def register_object(self, pilot: str, model: Any, *,
                        signature: dict[str, Any] | None = None,
                        metrics: dict[str, float] | None = None,
                        datasets: list[str] | None = None) -> RegisteredVersion:
        """Register a ready-to-predict object (no files), for tests that need none."""
        return self._add(pilot, model, signature, metrics, datasets, None)

    def _add(self, pilot: str, model: Path | Any, signature: dict[str, Any] | None,
             metrics: dict[str, float] | None, datasets: list[str] | None,
             run_id: str | None) -> RegisteredVersion:
        with self._lock:
            version = self._next.get(pilot, 1)
            self._next[pilot] = version + 1
            source = str(model) if isinstance(model, Path) else f"memory://{pilot}/{version}"
            rv = RegisteredVersion(pilot, version, run_id, source, signature,
                                   {k: float(v) for k, v in (metrics or {}).items()},
                                   list(datasets or []))
            self._versions.setdefault(pilot, {})[version] = rv
            self._models[(pilot, version)] = model
            return _copy(rv)

    def _resolve(self, uri: str) -> RegisteredVersion:
        name, sep, ref = uri.removeprefix("models:/").partition("/")
        if not sep:
            name, sep, alias = name.partition("@")
            ref = str(self._aliases.get(name, {}).get(alias, "")) if sep else ""
        try:
            return self._versions[name][int(ref)]
        except (KeyError, ValueError):
            raise _bad("source", "no such model version in the registry") from None

    def version(self, pilot: str, version: int) -> RegisteredVersion:
        try:
            return _copy(self._versions[pilot][version])
        except KeyError:
            raise NotFound("model version", f"{pilot}/{version}") from None

    def discard(self, pilot: str, version: int) -> None:
        """Best effort, never raises; aliases pointing at the version go with it."""
        with self._lock:
            self._versions.get(pilot, {}).pop(version, None)
            self._models.pop((pilot, version), None)
            aliases = self._aliases.get(pilot, {})
            for alias in [a for a, v in aliases.items() if v == version]:
                del aliases[alias]

    def set_alias(self, pilot: str, alias: str, version: int) -> None:
        self.version(pilot, version)  # NotFound for an unknown pilot or version
        with self._lock:
            self._aliases.setdefault(pilot, {})[alias] = version

    def delete_alias(self, pilot: str, alias: str) -> None:
        with self._lock:
            self._aliases.get(pilot, {}).pop(alias, None)

    def aliases(self, pilot: str) -> dict[str, int]:
        return dict(self._aliases.get(pilot, {}))

    def _model(self, pilot: str, version: int) -> Path | Any:
        try:
            return self._models[(pilot, version)]
        except KeyError:
            raise NotFound("model version", f"{pilot}/{version}") from None

    def local_path(self, pilot: str, version: int) -> Path:
        model = self._model(pilot, version)
        if not isinstance(model, Path):
            raise ValidationFailed("model has no files", [FieldError(
                "version", f"{pilot}/{version} was registered as an in-memory object")])
        return model

    def load(self, pilot: str, version: int) -> Any:
        """The model in the directory (``loader.load_model``), or the registered object."""
        model = self._model(pilot, version)
        if not isinstance(model, Path):
            return model
        return load_model(model)
