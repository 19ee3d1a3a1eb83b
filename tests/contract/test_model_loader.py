"""Registered scikit-learn models load straight from skops, and nothing else does.

The loader skips ``mlflow.pyfunc`` (most of a second at every gateway or batch
start) only for a scikit-learn model saved with skops whose trusted types are
scikit-learn's, NumPy's or SciPy's and whose file is inside its directory;
every other model goes through MLflow with MLflow's own checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pilotdeck.adapters.registry.loader import SklearnModel, _skops_sklearn, load_model


@pytest.fixture(scope="module")
def hgb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """HistGradientBoosting: its internals are types skops must be told to trust."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from pilotdeck.adapters.registry import save_sklearn

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    y = (X.a + X.b > 0).astype(int)
    path = tmp_path_factory.mktemp("hgb") / "model"
    save_sklearn(HistGradientBoostingClassifier(max_iter=5).fit(X, y), path, X)
    meta = yaml.safe_load((path / "MLmodel").read_text())
    assert meta["flavors"]["sklearn"]["skops_trusted_types"]  # the interesting case
    return path, X


def edited(src: Path, dst: Path, change) -> Path:  # type: ignore[no-untyped-def]
    shutil.copytree(src, dst)
    meta = yaml.safe_load((dst / "MLmodel").read_text())
    change(meta)
    (dst / "MLmodel").write_text(yaml.safe_dump(meta))
    return dst


def test_sklearn_model_loads_without_mlflow_and_predicts_the_same(hgb) -> None:  # type: ignore[no-untyped-def]
    import mlflow.pyfunc

    path, X = hgb
    model = load_model(path)
    assert isinstance(model, SklearnModel)
    via_mlflow = mlflow.pyfunc.load_model(str(path))
    assert np.array_equal(model.get_raw_model().predict(X),
                          via_mlflow.get_raw_model().predict(X))
    assert np.array_equal(np.asarray(model.predict(X)), np.asarray(via_mlflow.predict(X)))
    flavor = model.metadata.flavors["python_function"]
    assert flavor["loader_module"] == "mlflow.sklearn" and flavor["predict_fn"] == "predict"


def test_loading_does_not_import_mlflow_pyfunc(hgb) -> None:  # type: ignore[no-untyped-def]
    path, _ = hgb
    code = ("import sys; from pathlib import Path; "
            "from pilotdeck.adapters.registry.loader import load_model; "
            f"m = load_model(Path({str(path)!r})); "
            "print(type(m).__name__, 'mlflow.pyfunc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["SklearnModel", "False"]


def test_a_foreign_trusted_type_goes_through_mlflow(hgb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, X = hgb
    trusted = edited(path, tmp_path / "m", lambda m: m["flavors"]["sklearn"][
        "skops_trusted_types"].append("builtins.eval"))
    model = load_model(trusted)
    assert not isinstance(model, SklearnModel)
    assert type(model).__module__.startswith("mlflow.")
    assert len(model.predict(X)) == len(X)


def outside(meta: dict) -> None:  # type: ignore[type-arg]
    meta["flavors"]["python_function"]["model_path"] = "../elsewhere.skops"


@pytest.mark.parametrize("change", [
    pytest.param(lambda m: m["flavors"]["sklearn"]["skops_trusted_types"].append("os.system"),
                 id="foreign-trusted-type"),
    pytest.param(lambda m: m["flavors"]["sklearn"].update(serialization_format="cloudpickle"),
                 id="not-skops"),
    pytest.param(lambda m: m["flavors"]["python_function"].update(loader_module="my.module"),
                 id="other-flavour"),
    pytest.param(outside, id="file-outside-the-model"),
    pytest.param(lambda m: m.update(flavors="nonsense"), id="malformed"),
])
def test_only_plain_skops_sklearn_models_skip_mlflow(hgb, tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    path, _ = hgb
    shutil.copy(path / "model.skops", tmp_path / "elsewhere.skops")
    assert _skops_sklearn(edited(path, tmp_path / "m", change)) is None


def test_an_unreadable_mlmodel_is_left_to_mlflow(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors: [unclosed")
    assert _skops_sklearn(tmp_path) is None
    assert _skops_sklearn(tmp_path / "missing") is None


def test_switched_off_deserialisation_is_mlflows_refusal(hgb, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    with pytest.raises(MlflowException, match="MLFLOW_ALLOW_PICKLE_DESERIALIZATION"):
        load_model(hgb[0])
