"""The limit: a bare ASGI app on the fastest path the model allows.

orjson → one float64 numpy array → the estimator's ``predict``: no DataFrame
per request, no validation, routing, logging or metrics; run with the same
uvicorn. It gets every advantage pilotdeck takes for itself, so the ratio
measures pilotdeck's own cost and nothing else:

- the feature-name check is skipped (``feature_names_in_`` dropped; the
  benchmark's columns are the training order, and other orders are mapped
  once per column list);
- warnings are off (scikit-learn would warn on every array call otherwise);
- OpenMP runs one thread with a passive wait policy, as in pilotdeck (a
  parallel region per tree costs more than the tree for a few rows, and
  spin-waiting threads fight uvicorn for 2 cores).

Usage: MODEL_DIR=… uvicorn bare_app:app
"""

from __future__ import annotations

import os
import warnings

import mlflow.pyfunc
import numpy as np
import orjson
from threadpoolctl import threadpool_limits

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when OpenMP loads, below
warnings.filterwarnings("ignore")

_model = mlflow.pyfunc.load_model(os.environ["MODEL_DIR"]).get_raw_model()
threadpool_limits(1, user_api="openmp")  # after the load: OpenMP is loaded with sklearn
_names = [str(n) for n in _model.feature_names_in_]
del _model.feature_names_in_
_predict = _model.predict
_orders: dict[tuple[str, ...], list[int] | None] = {}


def _order(columns: list[str]) -> list[int] | None:
    """Index to put ``columns`` in training order; None when they already are."""
    key = tuple(columns)
    if key not in _orders:
        _orders[key] = None if columns == _names else [columns.index(n) for n in _names]
    return _orders[key]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        msg = await receive()
        body += msg.get("body", b"")
        more = msg.get("more_body", False)
    doc = orjson.loads(body)["dataframe_split"]
    data = np.array(doc["data"], dtype=np.float64)
    order = _order(doc["columns"])
    if order is not None:
        data = data[:, order]
    payload = orjson.dumps({"predictions": _predict(data)}, option=orjson.OPT_SERIALIZE_NUMPY)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})
