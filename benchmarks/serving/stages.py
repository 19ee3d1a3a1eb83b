"""Where one prediction's time goes: the gateway's stages, timed in process.

The same model, deployment and bodies as run.py. Each stage is timed on its
own over the benchmark's bodies (median per request, microseconds):

- decode:    ``schema.decode`` (orjson, shape checks)
- validate:  ``schema.validate`` against the signature (the float array)
- auth+route: token lookup, permission, sticky variant pick
- predict:   the model itself (``ServedModel.predict_rows`` in the model's thread)
- hop+batch: the model thread's round trip and the batcher, i.e. ``call``
             minus ``predict``
- log:       the prediction-log record (``log_prediction``) plus its share of
             the Delta commit that writes it
- encode:    the answer's JSON
- answer:    ``gateway.predict.answer`` end to end (everything above, plus
             metrics and the request id)

run.py adds the HTTP server's share: a request's wall time at c=1 minus
``answer``. Usage: imported by run.py; ``python stages.py`` prints it alone.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import orjson


def _median_us(fn: Any, items: list[Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        for item in items:
            start = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


async def _stages(home: Path, token: str, bodies: list[bytes]) -> dict[str, float]:
    from pilotdeck.auth.roles import Permission
    from pilotdeck.config import Settings
    from pilotdeck.gateway.app import create_gateway
    from pilotdeck.gateway.predict import answer
    from pilotdeck.gateway.schema import decode, validate
    from pilotdeck.http.auth import bearer_token, permit
    from pilotdeck.platform import Platform

    platform = Platform(Settings(home=home, predlog_flush_s=3600))
    app = create_gateway(platform)
    gw, ids = app.state.gateway, app.state.request_ids
    gw.state.apply(await asyncio.to_thread(gw.state.load))
    gw.predictions.start()
    gw.feedback.start()
    try:
        route = gw.state.routes["bench"]
        served = route.variants["champion"]
        assert served.columns is not None
        decoded = [decode(b, 10_000) for b in bodies]
        rows = [validate(c, r, served.columns) for c, r in decoded]
        out = {"decode": _median_us(lambda b: decode(b, 10_000), bodies),
               "validate": _median_us(lambda d: validate(d[0], d[1], served.columns,
                                                         frozenset(), False), decoded),
               "auth+route": _median_us(lambda b: (permit(gw.authenticate(bearer_token(
                   f"Bearer {token}")), Permission.GATEWAY_PREDICT, "bench"),
                   route.router.pick(None)), bodies)}
        # In the model's own thread, as it runs when serving (one OpenMP thread).
        out["predict"] = served.executor.submit(_median_us, served.predict_rows, rows).result()
        calls = []
        for r in rows * 3:
            start = time.perf_counter()
            await served.call(r)
            calls.append(time.perf_counter() - start)
        out["hop+batch"] = max(statistics.median(calls) * 1e6 - out["predict"], 0.0)
        preds = [served.predict_rows(r) for r in rows]
        await gw.predictions.flush()
        out["log"] = _median_us(lambda i: gw.log_prediction(
            "0" * 40, "bench", "champion", 1, served.names, rows[i], preds[i], 1.0, False, 200),
            list(range(len(rows))))
        waiting = len(gw.predictions._buffer)  # noqa: SLF001 - the flush's share per record
        start = time.perf_counter()
        await gw.predictions.flush()
        out["log"] += (time.perf_counter() - start) / max(waiting, 1) * 1e6
        out["encode"] = _median_us(lambda p: orjson.dumps(
            {"predictions": p, "requestId": "0" * 40, "variant": "champion",
             "modelVersion": 1, "cached": False}), preds)
        answers, cpu = [], []
        for _ in range(3):
            for b in bodies:
                start, thread = time.perf_counter(), time.thread_time()
                permit(gw.authenticate(bearer_token(f"Bearer {token}")),
                       Permission.GATEWAY_PREDICT, "bench")
                await answer(gw, ids, "bench", b, None, start)
                answers.append(time.perf_counter() - start)
                cpu.append(time.thread_time() - thread)
        out["answer"] = statistics.median(answers) * 1e6
        out["answer cpu on the loop"] = statistics.median(cpu) * 1e6
        return out
    finally:
        await gw.predictions.close()
        await gw.feedback.close()
        gw.state.close()
        platform.close()


def stages(home: Path, token: str, bodies: list[bytes]) -> dict[str, float]:
    """Median microseconds per request for each stage (see the module doc)."""
    return asyncio.run(_stages(home, token, bodies))


def print_stages(label: str, res: dict[str, float], http_us: float | None = None) -> None:
    parts = [f"{k} {v:,.0f}" for k, v in res.items()]
    if http_us is not None:
        parts.append(f"http server {max(http_us - res['answer'], 0):,.0f}")
    print(f"  {label:14} " + " | ".join(parts) + "  (us per request)")


if __name__ == "__main__":
    import tempfile

    import run

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _, X, env, _ = run.setup(work)
        for label, rows, count in (("1 row", 1, 1000), ("100 rows", 100, 200)):
            print_stages(label, stages(work / "home", env["PILOTDECK_BENCH_TOKEN"],
                                       run.bodies(X, rows, count)))


def served_batches(metrics_text: str) -> dict[str, float]:
    """From a gateway's /metrics: model calls, rows per call and the model
    thread's CPU per call (``pilotdeck_inference_cpu_seconds_total``)."""
    sums = {"cpu": 0.0, "rows": 0.0, "calls": 0.0}
    names = {"pilotdeck_inference_cpu_seconds_total{": "cpu",
             "pilotdeck_batch_size_rows_sum{": "rows", "pilotdeck_batch_size_rows_count{": "calls"}
    for line in metrics_text.splitlines():
        for prefix, key in names.items():
            if line.startswith(prefix):
                sums[key] += float(line.rsplit(" ", 1)[1])
    return sums


STARTUP = """
import json, sys, time
t0 = time.perf_counter()
from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from pilotdeck.platform.warm import warm_model_libraries
platform = Platform(Settings(home=sys.argv[1]))
platform.store
t1 = time.perf_counter()
assert warm_model_libraries(platform)
t2 = time.perf_counter()
from pilotdeck.gateway.app import create_gateway
t3 = time.perf_counter()
gw = create_gateway(platform).state.gateway
gw.state.apply(gw.state.load())
t4 = time.perf_counter()
assert "mlflow.pyfunc" not in sys.modules, "a scikit-learn model was loaded through MLflow"
print(json.dumps({"pilotdeck, the store": t1 - t0,
                  "skops with scikit-learn, pandas, pyarrow (imported first)": t2 - t1,
                  "FastAPI and the gateway": t3 - t2,
                  "load the deployed versions": t4 - t3}))
"""


def startup_breakdown(python: str, home: Path) -> dict[str, float]:
    """Seconds per start-up step, each import timed after the ones before it."""
    import json
    import subprocess

    out = subprocess.run([python, "-c", STARTUP, str(home)], capture_output=True, text=True,
                         check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))
