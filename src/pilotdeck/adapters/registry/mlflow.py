"""MLflow as the model registry: pilotdeck registers, aliases and loads through it.

MLflow is imported lazily (it costs seconds) and always through an explicit
``MlflowClient`` bound to our URIs, never through MLflow's process-global
tracking URI. Embedded default: a SQLite tracking/registry store and local
artifacts under ``$PILOTDECK_HOME/mlflow``; production: any MLflow URI.
MLflow's exceptions stop here: callers see ``NotFound`` and ``ValidationFailed``.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pilotdeck.adapters.registry.loader import TRUSTED_MODULES, load_model
from pilotdeck.domain.errors import FieldError, NotFound, ValidationFailed
from pilotdeck.domain.ports.registry import RegisteredVersion

# MLflow servers keep artifacts where they are configured to; a store we open
# directly (SQLite, PostgreSQL, files) gets ours, not MLflow's ``./mlruns``.
_SERVER_SCHEMES = ("http", "https", "databricks", "databricks-uc", "uc")


def _bad(field_name: str, problem: str) -> ValidationFailed:
    return ValidationFailed("cannot register model", [FieldError(field_name, problem)])


class MlflowRegistry:
    """The ``ModelRegistry`` port on an MLflow tracking/registry store."""

    def __init__(self, tracking_uri: str, artifact_root: Path, cache_dir: Path) -> None:
        # MLflow draws a progress bar per artifact download on stderr: a dozen bars
        # per demo run that say nothing a user needs. Their own setting still wins.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self.cache_dir = cache_dir
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from mlflow import MlflowClient

                    self._client = MlflowClient(tracking_uri=self.tracking_uri,
                                                registry_uri=self.tracking_uri)
        return self._client

    def _experiment(self, pilot: str) -> str:
        name = f"pilotdeck/{pilot}"
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            return str(exp.experiment_id)
        location = None
        if urlsplit(self.tracking_uri).scheme.partition("+")[0] not in _SERVER_SCHEMES:
            location = (self.artifact_root / pilot).resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def register(self, pilot: str, *, path: Path | None = None, uri: str | None = None,
                 metrics: dict[str, float] | None = None, params: dict[str, str] | None = None,
                 datasets: list[str] | None = None, description: str = "") -> RegisteredVersion:
        """Register a new version of ``pilot``'s model from a model dir or an MLflow URI."""
        from mlflow.exceptions import MlflowException

        metrics = dict(metrics or {})
        if (path is None) == (uri is None):
            raise _bad("source", "give exactly one of --path or --uri")
        if path is not None and not (path / "MLmodel").is_file():
            raise _bad("path", f"{path} is not an MLflow model directory (no MLmodel file)")
        if uri is not None and not uri.startswith(("runs:/", "models:/")):
            raise _bad("uri", "must start with runs:/ or models:/")
        client = self.client
        try:
            if uri is not None and uri.startswith("models:/"):
                return self._copy(pilot, uri, metrics, description)
            source_run = sub = ""
            if uri is not None:  # resolve it before creating anything
                source_run, _, sub = uri.removeprefix("runs:/").partition("/")
                source_artifacts = client.get_run(source_run).info.artifact_uri
            exp = self._experiment(pilot)
            run = client.create_run(exp, tags={"pilotdeck.pilot": pilot},
                                    run_name=f"register-{pilot}")
            run_id = run.info.run_id
            for k, v in metrics.items():
                client.log_metric(run_id, k, float(v))
            for k, p in (params or {}).items():
                client.log_param(run_id, k, p)
            if datasets:
                client.set_tag(run_id, "pilotdeck.datasets", ",".join(datasets))
            if path is not None:
                client.log_artifacts(run_id, str(path), artifact_path="model")
                source = f"{run.info.artifact_uri}/model"
            else:
                source = f"{source_artifacts}/{sub or 'model'}"
                client.set_tag(run_id, "pilotdeck.source_run", source_run)
            client.set_terminated(run_id)
            try:
                client.get_registered_model(pilot)
            except MlflowException:
                client.create_registered_model(pilot, tags={"pilotdeck.pilot": pilot})
            mv = client.create_model_version(pilot, source, run_id=run_id,
                                             description=description or None)
        except MlflowException as exc:
            raise _bad("source", f"MLflow refused it: {exc.message[:300]}") from None
        version = int(mv.version)
        return RegisteredVersion(pilot, version, run_id, source,
                                 self._signature(pilot, version), metrics, list(datasets or []))

    def version(self, pilot: str, version: int) -> RegisteredVersion:
        """What MLflow holds about a version: the run's metrics and datasets tag.

        A version copied from ``models:/`` shares its source's run, so it
        reports the source run's metrics."""
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version(pilot, str(version))
            run = self.client.get_run(mv.run_id) if mv.run_id else None
        except MlflowException:
            raise NotFound("model version", f"{pilot}/{version}") from None
        metrics = {k: float(v) for k, v in run.data.metrics.items()} if run else {}
        tag = run.data.tags.get("pilotdeck.datasets", "") if run else ""
        return RegisteredVersion(pilot, int(mv.version), mv.run_id, mv.source,
                                 self._signature(pilot, version), metrics,
                                 tag.split(",") if tag else [])

    def _copy(self, pilot: str, uri: str, metrics: dict[str, float],
              description: str) -> RegisteredVersion:
        from mlflow.exceptions import MlflowException

        client = self.client
        try:
            client.get_registered_model(pilot)
        except MlflowException:
            client.create_registered_model(pilot, tags={"pilotdeck.pilot": pilot})
        mv = client.copy_model_version(uri, pilot)  # MlflowException → register's except
        version = int(mv.version)
        return RegisteredVersion(pilot, version, mv.run_id, mv.source,
                                 self._signature(pilot, version), metrics)

    def local_path(self, pilot: str, version: int) -> Path:
        """The model's files on local disk, downloaded once per version."""
        target = self.cache_dir / pilot / str(version)
        if (target / "MLmodel").is_file():
            return target
        from mlflow.artifacts import download_artifacts
        from mlflow.exceptions import MlflowException

        try:
            uri = self.client.get_model_version_download_uri(pilot, str(version))
        except MlflowException:
            raise NotFound("model version", f"{pilot}/{version}") from None
        tmp = target.with_name(f".{version}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        download_artifacts(artifact_uri=uri, dst_path=str(tmp), tracking_uri=self.tracking_uri)
        found = next(tmp.rglob("MLmodel")).parent
        found.replace(target) if found != tmp else tmp.replace(target)
        shutil.rmtree(tmp, ignore_errors=True)
        return target

    def _signature(self, pilot: str, version: int) -> dict[str, Any] | None:
        from mlflow.models import Model

        sig = Model.load(str(self.local_path(pilot, version))).signature
        return sig.to_dict() if sig is not None else None

    def load(self, pilot: str, version: int) -> Any:
        """The version ready to predict (``loader.load_model``: skops trusted types
        come from its MLmodel, limited to scikit-learn, NumPy and SciPy)."""
        return load_model(self.local_path(pilot, version))

    def discard(self, pilot: str, version: int) -> None:
        """Delete a version just registered (compensation when pilotdeck could not
        record it): best effort, never raises. The local copy goes too, so the
        version cannot be served from it any more."""
        from mlflow.exceptions import MlflowException

        shutil.rmtree(self.cache_dir / pilot / str(version), ignore_errors=True)
        try:
            self.client.delete_model_version(pilot, str(version))
        except MlflowException:
            return

    def set_alias(self, pilot: str, alias: str, version: int) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.set_registered_model_alias(pilot, alias, str(version))
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise NotFound("model version", f"{pilot}/{version}") from None
            raise ValidationFailed("cannot set alias", [FieldError(
                "alias", f"MLflow refused it: {exc.message[:300]}")]) from None

    def delete_alias(self, pilot: str, alias: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.delete_registered_model_alias(pilot, alias)
        except MlflowException:
            return

    def aliases(self, pilot: str) -> dict[str, int]:
        from mlflow.exceptions import MlflowException

        try:
            rm = self.client.get_registered_model(pilot)
        except MlflowException:
            return {}
        return {a: int(v) for a, v in (rm.aliases or {}).items()}


def save_sklearn(model: Any, path: Path, input_example: Any, *,
                 pyfunc_predict_fn: str = "predict") -> Path:
    """Save a scikit-learn model as an MLflow model with skops, trusting only sklearn types.

    MLflow 3 saves scikit-learn models with skops, which refuses to load types
    it does not trust (e.g. HistGradientBoosting's internals) unless they are
    listed in ``skops_trusted_types``. We list exactly the untrusted types that
    skops reports, and only if they come from scikit-learn, NumPy or SciPy.
    """
    import mlflow.sklearn
    import skops.io
    from mlflow.models import infer_signature

    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    foreign = [t for t in untrusted if not t.startswith(TRUSTED_MODULES)]
    if foreign:
        raise _bad("model", f"refusing to trust non-scikit-learn types: {', '.join(foreign)}")
    signature = infer_signature(input_example, getattr(model, pyfunc_predict_fn)(input_example))
    mlflow.sklearn.save_model(model, str(path), signature=signature,
                              input_example=input_example.head(2),
                              serialization_format="skops", skops_trusted_types=untrusted,
                              pyfunc_predict_fn=pyfunc_predict_fn,
                              pip_requirements=_sklearn_requirements())
    return path


def _sklearn_requirements() -> list[str]:
    """Pinned requirements of a scikit-learn model, stated rather than inferred.

    MLflow infers them by importing the model in a subprocess, which costs ~4 s
    per model; for scikit-learn the answer is known.
    """
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in
            ("mlflow", "scikit-learn", "skops", "numpy", "scipy", "pandas")]
