"""The ``ModelRegistry`` contract, against every implementation.

- ``mlflow-sqlite``: MLflow on a SQLite file (the embedded default);
- ``mlflow-postgres``: MLflow on the real PostgreSQL, in a fresh schema;
- ``mlflow-file``: MLflow's file store. MLflow 3 keeps it in maintenance mode
  and refuses it unless ``MLFLOW_ALLOW_FILE_STORE=true``, so this case opts in
  (pilotdeck's ``file`` builder refuses it otherwise, see the last test). Its
  registry reads logged models through MLflow's global tracking URI and so
  creates ``./mlflow.db``: the case runs in its own working directory;
- ``memory``: the in-memory fake service tests use.

Each backend is built once per module through ``make_model_registry`` (MLflow
creates its tables in seconds); each test takes a pilot name of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pilotdeck.adapters.registry import make_model_registry
from pilotdeck.domain.errors import NotFound, ValidationFailed
from pilotdeck.domain.ports.registry import ModelRegistry
from tests.contract.conftest import Trained

BACKENDS = ["mlflow-sqlite", "mlflow-file",
            pytest.param("mlflow-postgres", marks=pytest.mark.postgres), "memory"]


@pytest.fixture(scope="module")
def pg_schema(pg_ok: bool) -> Iterator[str]:
    """A URL on a brand-new PostgreSQL schema for MLflow's tables, dropped afterwards."""
    if not pg_ok:
        pytest.skip("PostgreSQL not reachable")
    from tests.conftest import fresh_pg_schema

    with fresh_pg_schema("mlflow") as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def registry(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelRegistry]:
    d = tmp_path_factory.mktemp(request.param)
    kw = {"artifacts": d / "artifacts", "models_dir": d / "models"}
    if request.param == "mlflow-sqlite":
        yield make_model_registry(f"sqlite:///{d / 'mlflow.db'}", **kw)
    elif request.param == "mlflow-postgres":
        yield make_model_registry(request.getfixturevalue("pg_schema"), **kw)
    elif request.param == "mlflow-file":
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
            mp.chdir(d)
            yield make_model_registry((d / "store").as_uri(), **kw)
    else:
        yield make_model_registry("memory://", **kw)


@pytest.fixture
def pilot() -> str:
    return f"churn-{uuid.uuid4().hex[:8]}"


def expected_signature(model_dir: Path) -> dict[str, object] | None:
    from mlflow.models import Model

    sig = Model.load(str(model_dir)).signature
    return sig.to_dict() if sig is not None else None


def predictions(model: object, trained: Trained) -> np.ndarray:
    return np.asarray(model.predict(trained.X))  # type: ignore[attr-defined]


def test_implements_the_port(registry: ModelRegistry) -> None:
    assert isinstance(registry, ModelRegistry)


def test_versions_are_numbered_from_one_per_pilot(registry: ModelRegistry, pilot: str,
                                                  trained: Trained) -> None:
    one = registry.register(pilot, path=trained.first_dir)
    two = registry.register(pilot, path=trained.second_dir)
    other = registry.register(f"{pilot}-other", path=trained.first_dir)
    assert (one.name, one.version, two.name, two.version) == (pilot, 1, pilot, 2)
    assert (other.name, other.version) == (f"{pilot}-other", 1)


def test_signature_metrics_and_datasets_round_trip(registry: ModelRegistry, pilot: str,
                                                   trained: Trained) -> None:
    metrics = {"roc_auc": 0.91, "rows": 300.0}
    datasets = ["tables/churn_training/v1.parquet", "tables/churn_validation/v1.parquet"]
    rv = registry.register(pilot, path=trained.first_dir, metrics=metrics, datasets=datasets,
                           params={"C": "1.0"}, description="first try")
    signature = expected_signature(trained.first_dir)
    assert signature is not None and "tenure" in str(signature["inputs"])
    assert (rv.signature, rv.metrics, rv.datasets) == (signature, metrics, datasets)
    assert rv.source
    back = registry.version(pilot, rv.version)
    assert (back.name, back.version, back.run_id, back.source) == (
        pilot, rv.version, rv.run_id, rv.source)
    assert (back.signature, back.metrics, back.datasets) == (signature, metrics, datasets)
    bare = registry.register(pilot, path=trained.second_dir)
    assert (bare.metrics, bare.datasets) == ({}, [])
    assert registry.version(pilot, bare.version).datasets == []


def test_aliases_are_set_moved_and_read(registry: ModelRegistry, pilot: str,
                                        trained: Trained) -> None:
    assert registry.aliases(pilot) == {}  # a pilot the registry never saw
    registry.register(pilot, path=trained.first_dir)
    registry.register(pilot, path=trained.second_dir)
    assert registry.aliases(pilot) == {}
    registry.set_alias(pilot, "champion", 1)
    registry.set_alias(pilot, "challenger", 2)
    assert registry.aliases(pilot) == {"champion": 1, "challenger": 2}
    registry.set_alias(pilot, "champion", 2)  # moves; the old target loses it
    assert registry.aliases(pilot) == {"champion": 2, "challenger": 2}
    registry.delete_alias(pilot, "challenger")
    registry.delete_alias(pilot, "challenger")  # absent: nothing happens
    assert registry.aliases(pilot) == {"champion": 2}


def test_loaded_model_predicts_like_the_original(registry: ModelRegistry, pilot: str,
                                                 trained: Trained) -> None:
    first = registry.register(pilot, path=trained.first_dir)
    second = registry.register(pilot, path=trained.second_dir)
    np.testing.assert_array_equal(predictions(registry.load(pilot, first.version), trained),
                                  trained.first.predict(trained.X))  # type: ignore[attr-defined]
    np.testing.assert_array_equal(predictions(registry.load(pilot, second.version), trained),
                                  trained.second.predict(trained.X))  # type: ignore[attr-defined]
    assert (registry.local_path(pilot, second.version) / "MLmodel").is_file()


def test_models_uri_registers_a_copy(registry: ModelRegistry, pilot: str,
                                     trained: Trained) -> None:
    registry.register(pilot, path=trained.first_dir)
    registry.register(pilot, path=trained.second_dir)
    copy = registry.register(f"{pilot}-copy", uri=f"models:/{pilot}/2")
    assert (copy.name, copy.version) == (f"{pilot}-copy", 1)
    assert copy.signature == expected_signature(trained.second_dir)
    np.testing.assert_array_equal(predictions(registry.load(copy.name, 1), trained),
                                  trained.second.predict(trained.X))  # type: ignore[attr-defined]


def test_discard_removes_a_version(registry: ModelRegistry, pilot: str,
                                   trained: Trained) -> None:
    registry.register(pilot, path=trained.first_dir)
    registry.register(pilot, path=trained.second_dir)
    registry.set_alias(pilot, "champion", 2)
    registry.set_alias(pilot, "challenger", 1)
    registry.load(pilot, 2)  # warm any local copy: discard must not leave it servable
    registry.discard(pilot, 2)
    for read in (registry.version, registry.local_path, registry.load):
        with pytest.raises(NotFound):
            read(pilot, 2)
    assert registry.aliases(pilot) == {"challenger": 1}  # no alias points at a ghost
    assert registry.version(pilot, 1).version == 1
    registry.discard(pilot, 2)  # again, and never-seen ones: best effort, no error
    registry.discard(f"{pilot}-never", 1)
    again = registry.register(pilot, path=trained.first_dir)
    assert again.version == 3  # numbers are not reused, so a cache can't serve a ghost
    np.testing.assert_array_equal(predictions(registry.load(pilot, 3), trained),
                                  trained.first.predict(trained.X))  # type: ignore[attr-defined]


def test_unknown_pilot_or_version_is_not_found(registry: ModelRegistry, pilot: str,
                                               trained: Trained) -> None:
    registry.register(pilot, path=trained.first_dir)
    for who, version in ((pilot, 9), (f"{pilot}-never", 1)):
        for read in (registry.version, registry.local_path, registry.load):
            with pytest.raises(NotFound):
                read(who, version)
        with pytest.raises(NotFound):
            registry.set_alias(who, "champion", version)
    assert registry.aliases(pilot) == {}


@pytest.mark.parametrize(("source", "field"), [
    ({}, "source"),
    ({"uri": "models:/x/1", "path": Path(".")}, "source"),
    ({"path": Path("/nonexistent/model")}, "path"),
    ({"uri": "s3://bucket/model"}, "uri"),
    ({"uri": "models:/no-such-model-anywhere/1"}, "source"),
])
def test_bad_source_is_a_validation_error_naming_the_field(
        registry: ModelRegistry, pilot: str, source: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        registry.register(pilot, **source)  # type: ignore[arg-type]
    assert [e.field for e in err.value.errors] == [field]
    with pytest.raises(NotFound):
        registry.version(pilot, 1)


def test_unknown_scheme_and_refused_file_store_name_the_setting(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kw = {"artifacts": tmp_path / "a", "models_dir": tmp_path / "m"}
    with pytest.raises(ValidationFailed) as err:
        make_model_registry("s3://secret:pw@bucket/registry", **kw)
    problem = err.value.errors[0]
    assert problem.field == "PILOTDECK_MLFLOW_URI" and "sqlite" in problem.problem
    assert "secret" not in str(err.value)  # the URI is never echoed back
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    with pytest.raises(ValidationFailed) as err:
        make_model_registry((tmp_path / "store").as_uri(), **kw)
    assert "MLFLOW_ALLOW_FILE_STORE" in err.value.errors[0].problem


def test_mlflow_download_bars_are_off_unless_the_user_wants_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilotdeck.adapters.registry.mlflow import MlflowRegistry

    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    MlflowRegistry(f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "a", tmp_path / "c")
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "false"
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "true")
    MlflowRegistry(f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "a", tmp_path / "c")
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "true"
