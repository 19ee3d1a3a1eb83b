"""The limit: a bare ASGI app that decodes dataframe_split and calls predict.

No validation, routing, logging or metrics; run with the same uvicorn.
Usage: MODEL_DIR=… uvicorn bare_app:app
"""

from __future__ import annotations

import os

import mlflow.pyfunc
import orjson
import pandas as pd

_model = mlflow.pyfunc.load_model(os.environ["MODEL_DIR"]).get_raw_model()


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
    out = _model.predict(pd.DataFrame(doc["data"], columns=doc["columns"])).tolist()
    payload = orjson.dumps({"predictions": out})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})
