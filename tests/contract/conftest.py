"""Contract suites: one per port, run against every implementation.

A backend that is not there skips its cases on a laptop but FAILS them in CI
(``CI`` set), so a CI run can never pass by testing less than it claims.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FEATURES = ["tenure", "spend", "calls"]


def require(available: bool, backend: str) -> None:
    """Skip without ``backend`` locally; fail in CI, where every backend must run."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{backend} is not available, and CI must run every contract backend",
                    pytrace=False)
    pytest.skip(f"{backend} not available")


def redis_available(host: str = "127.0.0.1", port: int = 6379) -> bool:
    import redis

    try:
        return bool(redis.Redis(host=host, port=port, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def spark_available() -> bool:
    java = shutil.which("java") or os.environ.get("JAVA_HOME")
    return importlib.util.find_spec("pyspark") is not None and bool(java)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Trained:
    X: pd.DataFrame
    first: object  # two different real scikit-learn models on the same features
    second: object
    first_dir: Path  # each saved as an MLflow model with save_sklearn
    second_dir: Path


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """Two small real scikit-learn models, trained here (no downloads) and saved once."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from pilotdeck.adapters.registry import save_sklearn

    d = tmp_path_factory.mktemp("contract-models")
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=FEATURES)
    y = ((X.tenure - X.spend + rng.normal(scale=0.5, size=300)) > 0).astype(int)
    first = LogisticRegression().fit(X, y)
    second = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    save_sklearn(first, d / "first", X)
    save_sklearn(second, d / "second", X)
    assert (first.predict(X) != second.predict(X)).any()  # tells the two apart
    return Trained(X, first, second, d / "first", d / "second")
