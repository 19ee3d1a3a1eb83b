"""Whose fault: real scikit-learn and MLflow errors classified as input errors,
model errors as faults; a micro-batch isolates one client's bad row; the
breaker neither counts nor stalls on input errors and acts once per opening."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from pilotdeck.domain.serving import BreakerPolicy
from pilotdeck.domain.signature import ColumnSpec
from pilotdeck.gateway.batcher import MicroBatcher
from pilotdeck.gateway.breaker import CircuitBreaker, State
from pilotdeck.gateway.faults import InputRejected, is_input_error, rejection
from pilotdeck.gateway.schema import validate

COLS = ["a", "b"]


def _raised(fn: Any, *args: Any) -> BaseException:
    with pytest.raises(Exception) as err:  # noqa: PT011 - any error; classified below
        fn(*args)
    return err.value


def _forest() -> RandomForestClassifier:
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 2)), columns=COLS)
    return RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X.a > 0)


def test_scikit_learn_input_validation_is_the_clients_fault() -> None:
    forest = _forest()
    with np.errstate(over="ignore"):
        too_big = _raised(forest.predict, np.array([[0.5, 1e300]]))
    assert isinstance(too_big, ValueError) and is_input_error(too_big)
    narrow = _raised(forest.predict, np.array([[0.5, 1.0, 2.0]]))  # 3 features, fitted on 2
    assert is_input_error(narrow)
    lr = LogisticRegression().fit(np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1])
    assert is_input_error(_raised(lr.predict, np.array([[np.nan, 1.0]])))

    out = rejection(too_big, np.array([[0.5, 1e300]]), COLS)
    assert out.status == 422
    assert [(e.field, "float32" in e.problem) for e in out.errors] == [("[0].b", True)]
    assert "1e+300" not in str(out) and "1e300" not in str(out)  # never echoes the value


def test_model_code_errors_and_timeouts_are_faults() -> None:
    def buggy(rows: Any) -> Any:
        raise ValueError("model state is corrupt")  # a ValueError, but not validation

    assert not is_input_error(_raised(buggy, [(1.0,)]))
    assert not is_input_error(RuntimeError("boom"))
    assert not is_input_error(TimeoutError())
    assert is_input_error(InputRejected("x", []))


def test_mlflow_schema_enforcement_is_the_clients_fault(tmp_path: Path) -> None:
    import mlflow.pyfunc
    from mlflow.models import infer_signature

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return [0] * len(model_input)

    frame = pd.DataFrame({"a": [1.5], "b": [2.5]})
    mlflow.pyfunc.save_model(str(tmp_path / "m"), python_model=Echo(),
                             signature=infer_signature(frame, np.array([0])))
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    exc = _raised(model.predict, pd.DataFrame({"a": ["x"], "b": [2.5]}))
    assert type(exc).__name__ == "MlflowException" and is_input_error(exc)
    # Integers in double columns: coerced by the gateway as MLflow's server does,
    # so the model accepts what the request was allowed to send.
    spec = [ColumnSpec("a", "double"), ColumnSpec("b", "double")]
    rows = validate(None, [{"a": 1, "b": 2}], spec)
    assert rows == [(1.0, 2.0)] and all(type(v) is float for v in rows[0])
    assert model.predict(pd.DataFrame.from_records(rows, columns=COLS)) == [0]


def test_one_bad_row_in_a_batch_fails_only_its_own_request() -> None:
    forest = _forest()
    started = threading.Event()
    calls: list[int] = []

    def predict(rows: Any) -> list[Any]:
        calls.append(len(rows))
        started.set()
        time.sleep(0.03)
        with np.errstate(over="ignore"):
            return list(forest.predict(np.asarray(rows, dtype=np.float64)))

    async def run() -> list[Any]:
        b = MicroBatcher(predict, ThreadPoolExecutor(1), max_batch=64)
        first = asyncio.create_task(b.submit([(0.1, 0.2)]))
        await asyncio.to_thread(started.wait)  # the rest queue up into one batch
        rest = [asyncio.create_task(b.submit([(0.3, 1e300 if i == 2 else 0.4)]))
                for i in range(5)]
        return [await first, *await asyncio.gather(*rest, return_exceptions=True)]

    out = asyncio.run(run())
    bad = [r for r in out if isinstance(r, BaseException)]
    assert len(bad) == 1 and out[3] is bad[0] and is_input_error(bad[0])
    assert all(isinstance(r, list) and len(r) == 1 for i, r in enumerate(out) if i != 3)
    assert calls[:2] == [1, 5] and calls[2:] == [1] * 5  # batch failed, then one by one


def test_released_probe_does_not_stall_half_open_and_openings_count_transitions() -> None:
    now = [0.0]
    b = CircuitBreaker(BreakerPolicy.model_validate(
        {"consecutiveFailures": 2, "openSeconds": 1, "halfOpenProbes": 1}), lambda: now[0])
    b.record(False, 1)
    assert b.record(False, 1) is State.OPEN and b.openings == 1
    assert b.record(False, 1) is State.OPEN and b.openings == 1  # late failures: same opening
    now[0] = 2.0
    assert b.allow() and b.state is State.HALF_OPEN
    assert not b.allow()  # one probe at a time
    b.release()  # the probe met an input error: no verdict on the model
    assert b.allow()  # the slot came back
    assert b.record(True, 1) is State.CLOSED
