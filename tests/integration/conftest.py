"""Shared model fixtures: real scikit-learn models registered once per session."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import uvicorn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from pilotdeck.adapters.registry import save_sklearn
from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.gateway.app import create_gateway
from pilotdeck.platform import Platform
from tests.faulty_model import FaultyModel
from tests.governance import minimal_risk
from tests.polling import wait_until

COLS = ["tenure", "spend", "calls", "age"]
ADMIN = local_admin("tester")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two real scikit-learn models and a controllable faulty one, saved once."""
    d = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=COLS)
    y = ((X.tenure - X.spend + rng.normal(scale=0.5, size=600)) > 0).astype(int)
    lr = LogisticRegression().fit(X, y)
    hgb = HistGradientBoostingClassifier(max_iter=30).fit(X, y)
    save_sklearn(lr, d / "lr", X)
    save_sklearn(hgb, d / "hgb", X)
    rev = COLS[::-1]  # same features, signature in the opposite order
    lr_rev = LogisticRegression().fit(X[rev], y)
    save_sklearn(lr_rev, d / "lr_rev", X[rev])
    control = d / "control.txt"
    control.write_text("ok")
    import mlflow.pyfunc
    from mlflow.models import infer_signature

    mlflow.pyfunc.save_model(str(d / "faulty"), python_model=FaultyModel(str(control)),
                             signature=infer_signature(X.head(3), np.array([7, 7, 7])),
                             code_paths=[str(Path(__file__).parents[1] / "faulty_model.py")])
    return {"dir": d, "X": X, "lr": lr, "hgb": hgb, "lr_rev": lr_rev, "control": control}


class Env:
    def __init__(self, platform: Platform, base: str, token: str, trained: dict[str, Any]):
        self.platform, self.base, self.trained = platform, base, trained
        self.http = httpx.Client(base_url=base, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})

    def deploy(self, **spec: Any) -> None:
        self.platform.models.deploy("churn-prediction", DeploymentSpec.parse(spec), ADMIN)
        self.wait_revision()

    def wait_revision(self) -> None:
        wait_revision(self.http, self.platform, "churn-prediction")

    def predict(self, body: Any, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"X-Pilotdeck-Key": key} if key else {}
        return self.http.post("/v1/pilots/churn-prediction/predict", json=body,
                              headers=headers, **kw)


def wait_revision(http: httpx.Client, platform: Platform, pilot: str) -> None:
    """Until the gateway behind ``http`` serves the pilot's current deployment."""
    want = platform.models.deployment(pilot).revision

    def serving() -> bool:
        st = http.get("/v1/gateway/status").json()
        return bool(st["routes"].get(pilot, {}).get("revision") == want)

    wait_until(serving, timeout=15, interval=0.05,
               message=f"the gateway to pick up {pilot}'s deployment revision {want}")


def logged_rows(lake: Path, log: str) -> int:
    """Rows committed so far to the gateway's ``predictions`` or ``feedback`` Delta table."""
    from deltalake import DeltaTable

    if not (lake / log / "_delta_log").is_dir():
        return 0
    return int(DeltaTable(str(lake / log)).count())


def log_dataset(lake: Path, log: str):  # type: ignore[no-untyped-def]
    """The current version of a log table as an Arrow dataset (``None``: no table)."""
    from deltalake import DeltaTable

    if not (lake / log / "_delta_log").is_dir():
        return None
    return DeltaTable(str(lake / log)).to_pyarrow_dataset()


def wait_logged(lake: Path, predictions: int, feedback: int, timeout: float = 15) -> None:
    """Until both logs hold (at least) this many rows."""
    def counts() -> tuple[int, int]:
        return logged_rows(lake, "predictions"), logged_rows(lake, "feedback")

    def done() -> bool:
        p, f = counts()
        return p >= predictions and f >= feedback

    wait_until(done, timeout, interval=0.05, message=lambda: f"{predictions} predictions "
               f"and {feedback} feedback rows in the logs (have {counts()})")


_threads: dict[int, threading.Thread] = {}


def _start(app: Any) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _threads[id(server)] = thread

    def started() -> bool:
        assert thread.is_alive() or server.started, f"uvicorn on port {port} died on start"
        return bool(server.started)

    wait_until(started, timeout=30, message=f"uvicorn to start on port {port}")
    return server, f"http://127.0.0.1:{port}"


def stop(*servers: uvicorn.Server) -> None:
    """Shut the servers down and wait until they have (logs flushed, ports closed)."""
    for server in servers:
        server.should_exit = True
    for server in servers:
        thread = _threads.pop(id(server))
        thread.join(timeout=30)
        assert not thread.is_alive(), "a uvicorn server did not shut down within 30 s"


def start_gateway(platform: Platform) -> tuple[uvicorn.Server, str]:
    return _start(create_gateway(platform))


def start_api(platform: Platform) -> tuple[uvicorn.Server, str]:
    """The control-plane API (monitoring, alerts, ...) on its own port."""
    from pilotdeck.api.app import create_app

    return _start(create_app(platform))


@pytest.fixture(scope="session")
def env(trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
        demo_pilots: Path) -> Iterator[Env]:
    home = tmp_path_factory.mktemp("gw")
    platform = Platform(Settings(home=home, gateway_refresh_s=0.1, predlog_flush_s=0.2))
    platform.portfolio.import_path(demo_pilots / "churn-prediction.yaml", ADMIN)
    minimal_risk(platform, "churn-prediction")
    d = trained["dir"]
    for name in ("lr", "hgb", "faulty"):
        platform.models.register("churn-prediction", ADMIN, path=d / name,
                                 metrics={"auc": 0.8}, datasets=["crm_events@v1"])
    platform.models.set_alias("churn-prediction", "champion", 1, ADMIN)
    platform.models.set_alias("churn-prediction", "challenger", 2, ADMIN)
    platform.models.deploy("churn-prediction", DeploymentSpec.parse({"variants": [
        {"name": "champion", "version": 1, "weight": 90},
        {"name": "challenger", "version": 2, "weight": 10}]}), ADMIN)
    token = platform.access.create("app", "client", [], ADMIN).token
    ops = platform.access.create("ops", "admin", [], ADMIN).token
    server, base = start_gateway(platform)  # tokens made later arrive within one refresh
    e = Env(platform, base, ops, trained)
    e.client_token = token  # type: ignore[attr-defined]
    yield e
    stop(server)
    platform.close()


@pytest.fixture(scope="session")
def demo_pilots() -> Path:
    return Path(__file__).resolve().parents[2] / "src/pilotdeck/demo/pilots"


@pytest.fixture(scope="session")
def forest(env: Env, tmp_path_factory: pytest.TempPathFactory) -> int:
    """A random forest of churn-prediction, registered as a new version. It computes
    in float32, so its own input validation refuses values like 1e300."""
    from sklearn.ensemble import RandomForestClassifier

    X = env.trained["X"]
    rf = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)
    rf.fit(X, X.tenure > 0)
    path = save_sklearn(rf, tmp_path_factory.mktemp("rf") / "rf", X)
    return env.platform.models.register("churn-prediction", ADMIN, path=path).version


def split(X: pd.DataFrame) -> dict[str, Any]:
    return {"dataframe_split": {"columns": list(X.columns), "data": X.values.tolist()}}




@pytest.fixture
def served_home(tmp_path: Path, trained: dict[str, Any], demo_pilots: Path) -> tuple[Path, str]:
    """A home with churn-prediction deployed (no cache: every request is logged) and a
    client token, for tests that start the gateway as a process."""
    platform = Platform(Settings(home=tmp_path / "home"))
    platform.portfolio.import_path(demo_pilots / "churn-prediction.yaml", ADMIN)
    minimal_risk(platform, "churn-prediction")
    platform.models.register("churn-prediction", ADMIN, path=trained["dir"] / "lr")
    platform.models.deploy("churn-prediction", DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": 1, "weight": 100}],
         "cacheTtlSeconds": 0}), ADMIN)
    token = platform.access.create("load", "client", [], ADMIN).token
    platform.close()
    return tmp_path / "home", token
