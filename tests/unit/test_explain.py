"""SHAP explanations add up: base value + Σ contributions is the model's own
output in the space the explainer names, for tree, linear and other models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier

from pilotdeck.domain.errors import Conflict
from pilotdeck.services.explain import ModelExplainer

NAMES = ["tenure", "spend", "calls", "age"]
rng = np.random.default_rng(3)
X = rng.normal(size=(300, 4))
Y = (X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=300) > 0).astype(int)
Y3 = np.digitize(X[:, 0], [-0.5, 0.5])
YR = 3 * X[:, 0] - X[:, 2] + rng.normal(size=300)


def positive_proba(m: Any, x: np.ndarray) -> np.ndarray:
    return m.predict_proba(x)[:, 1]


CASES = [
    (HistGradientBoostingClassifier(max_iter=20), Y, "tree", "margin",
     lambda m, x: m.decision_function(x)),
    (RandomForestClassifier(n_estimators=10, random_state=0), Y, "tree", "probability",
     positive_proba),
    (HistGradientBoostingRegressor(max_iter=20), YR, "tree", "raw", lambda m, x: m.predict(x)),
    (LogisticRegression(), Y, "linear", "margin", lambda m, x: m.decision_function(x)),
    (Ridge(), YR, "linear", "raw", lambda m, x: m.predict(x)),
    (MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0), Y, "permutation",
     "probability", positive_proba),
    # multiclass: each row is explained for the class it was predicted
    (LogisticRegression(), Y3, "linear", "margin",
     lambda m, x: m.decision_function(x)[np.arange(len(x)), m.predict(x)]),
]


@pytest.mark.parametrize(("model", "y", "kind", "space", "output"), CASES,
                         ids=[f"{type(c[0]).__name__}-{c[3]}" for c in CASES])
def test_contributions_add_up_to_the_models_output(model: Any, y: np.ndarray, kind: str,
                                                   space: str, output: Any) -> None:
    model.fit(X, y)
    explainer = ModelExplainer(model, NAMES, X[:100])
    assert (explainer.kind, explainer.output_space) == (kind, space)
    rows = X[200:206]
    explained = explainer.explain(rows)
    totals = [e.base_value + sum(e.contributions.values()) for e in explained]
    np.testing.assert_allclose(totals, output(model, rows), rtol=1e-6, atol=1e-6)
    assert list(explained[0].contributions) == NAMES
    assert explainer.predict(rows) == model.predict(rows).tolist()


def test_global_importance_ranks_the_features_the_model_uses() -> None:
    model = LogisticRegression().fit(X, Y)  # Y depends on tenure and spend only
    importance = ModelExplainer(model, NAMES, X[:100]).global_importance(X[:200])
    assert set(list(importance)[:2]) == {"tenure", "spend"}
    assert list(importance.values()) == sorted(importance.values(), reverse=True)


def test_a_model_that_needs_background_rows_says_so() -> None:
    with pytest.raises(Conflict, match="--reference"):
        ModelExplainer(LogisticRegression().fit(X, Y), NAMES, None)
    tree = ModelExplainer(HistGradientBoostingClassifier(max_iter=5).fit(X, Y), NAMES, None)
    assert tree.kind == "tree"  # trees are explained exactly without any


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_xgboost_and_lightgbm_through_their_own_mlflow_flavors(library: str,
                                                               tmp_path: Any) -> None:
    """Saved with their own MLflow flavor, loaded as pyfunc, unwrapped, explained."""
    import importlib

    import mlflow.pyfunc

    from pilotdeck.services.explain import estimator_of

    lib = importlib.import_module(library)
    flavor = importlib.import_module(f"mlflow.{library}")
    model = (lib.XGBClassifier(n_estimators=20, max_depth=3) if library == "xgboost"
             else lib.LGBMClassifier(n_estimators=20, verbose=-1)).fit(X, Y)
    flavor.save_model(model, str(tmp_path / "m"))
    estimator = estimator_of(mlflow.pyfunc.load_model(str(tmp_path / "m")))
    assert estimator is not None
    explainer = ModelExplainer(estimator, NAMES, X[:100])
    assert (explainer.kind, explainer.output_space) == ("tree", "margin")
    rows = X[200:205]
    margin = (model.predict(rows, output_margin=True) if library == "xgboost"
              else model.predict(rows, raw_score=True))
    totals = [e.base_value + sum(e.contributions.values()) for e in explainer.explain(rows)]
    np.testing.assert_allclose(totals, margin, rtol=1e-6, atol=1e-6)
