"""The gateway's fast array path predicts exactly what the model predicts on DataFrames."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pilotdeck.adapters.registry import save_sklearn
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.gateway.metrics import GatewayMetrics
from pilotdeck.gateway.state import ServedModel

SPEC = DeploymentSpec.parse({"variants": [{"name": "champion", "version": 1, "weight": 1}]})


def served(model: object, X: pd.DataFrame, tmp: Path, signature_order: list[str]) -> ServedModel:
    save_sklearn(model, tmp / "m", X)
    loaded = mlflow.pyfunc.load_model(str(tmp / "m"))
    sig = loaded.metadata.signature.to_dict()
    import json

    cols = {c["name"]: c for c in json.loads(sig["inputs"])}
    sig["inputs"] = json.dumps([cols[n] for n in signature_order])
    return ServedModel("p", 1, loaded, sig, SPEC, GatewayMetrics(), 0.0)


@pytest.mark.parametrize("kind", ["plain", "pipeline", "column-transformer"])
def test_array_path_matches_dataframe_predictions(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["a", "b", "c", "d"])
    y = ((X.a - 2 * X.c + X.d) > 0).astype(int)
    if kind == "plain":
        model = HistGradientBoostingClassifier(max_iter=20)
    elif kind == "pipeline":
        model = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=20))
    else:
        model = make_pipeline(ColumnTransformer([("s", StandardScaler(), ["a", "c", "d"])],
                                                remainder="drop"),
                              HistGradientBoostingClassifier(max_iter=20))
    model.fit(X, y)
    want = model.predict(X.head(50)).tolist()
    order = ["d", "b", "a", "c"]  # signature order differs from the training order
    s = served(model, X, tmp_path, order)
    rows = [tuple(r) for r in X[order].head(50).itertuples(index=False)]
    assert s.predict_rows(rows) == want
    assert (s._order is None) == (kind == "column-transformer")
    s.close()
