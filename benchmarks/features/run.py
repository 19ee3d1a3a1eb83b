"""What an online feature lookup adds to a prediction, on SQLite and on Redis.

For each online store: a tmp home with a pilot, a model over three inputs (two of
them features), a feature view of ``--customers`` entities materialised online;
then, through the real gateway app in process, ``--requests`` plain predictions
(raw features) and as many entity predictions (``{"entities": [...]}``, features
fetched online), interleaved. Prints p50/p99 of each, the added p50/p99, and the
lookup alone (the online client, no HTTP).

    make bench-features            # or: .venv-features/bin/python benchmarks/features/run.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PILOT = "churn-prediction"
DEMO = Path(__file__).resolve().parents[2] / "src/pilotdeck/demo/pilots"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def world(home: Path, customers: int, online: str) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn.linear_model import LogisticRegression

    from pilotdeck.adapters.registry import save_sklearn
    from pilotdeck.auth.roles import local_admin
    from pilotdeck.config import Settings
    from pilotdeck.domain.features import parse_features
    from pilotdeck.domain.serving import DeploymentSpec
    from pilotdeck.platform import Platform

    admin = local_admin("bench")
    project = f"bench{uuid.uuid4().hex[:10]}"
    platform = Platform(Settings(home=home, features_online=online, features_project=project,
                                 alert_interval_s=0, gateway_refresh_s=60))
    rng = np.random.default_rng(0)
    now = datetime.now(UTC)
    table = platform.lake.table_dir("customer_stats")
    pq.write_table(pa.table({
        "customer_id": pa.array(np.arange(customers), pa.int64()),
        "event_timestamp": pa.array([now - timedelta(hours=1)] * customers,
                                    pa.timestamp("us", tz="UTC")),
        "spend_30d": rng.normal(50, 20, customers),
        "orders_30d": pa.array(rng.integers(0, 12, customers), pa.int64())}),
        table / "part-0.parquet")
    platform.portfolio.import_path(DEMO, admin)
    lowest = {q.id: q.options[0].id for q in platform.risk_questionnaire.questions}
    platform.risk.assess(PILOT, lowest, admin)
    X = pd.DataFrame({"spend_30d": rng.normal(50, 20, 200),
                      "orders_30d": rng.integers(0, 12, 200).astype("int64"),
                      "tenure": rng.normal(3, 1, 200)})
    model_dir = home / "model"
    save_sklearn(LogisticRegression().fit(X, (X.spend_30d > 50).astype(int)), model_dir, X)
    platform.models.register(PILOT, admin, path=model_dir)
    platform.models.deploy(PILOT, DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": 1, "weight": 100}]}), admin)
    doc = {"entities": [{"name": "customer", "joinKeys": ["customer_id"]}],
           "featureViews": [{"name": "customer_stats", "entities": ["customer"],
                             "source": {"table": "customer_stats"}, "ttlSeconds": 86400,
                             "features": [{"name": "spend_30d", "dtype": "float64"},
                                          {"name": "orders_30d", "dtype": "int64"}]}],
           "service": {"features": ["customer_stats:spend_30d", "customer_stats:orders_30d"]}}
    platform.features.apply([parse_features(doc, PILOT)], admin)
    platform.features.materialize(admin, start=now - timedelta(days=1), end=now)
    token = platform.access.create("bench", "client", [], admin).token
    return platform, token, project


def forget(online: str, project: str) -> None:
    """Drop the benchmark's keys from a Redis online store."""
    if not online.startswith("redis"):
        return
    import redis

    r = redis.Redis.from_url(online)
    for key in r.scan_iter(count=1000):
        if project.encode() in key:
            r.delete(key)


def run(store: str, online: str, customers: int, requests: int) -> dict[str, float]:
    import numpy as np
    from fastapi.testclient import TestClient

    from pilotdeck.gateway.app import create_gateway

    with tempfile.TemporaryDirectory() as tmp:
        platform, token, project = world(Path(tmp) / "home", customers, online)
        try:
            with TestClient(create_gateway(platform)) as client:
                client.headers["Authorization"] = f"Bearer {token}"
                url = f"/v1/pilots/{PILOT}/predict"
                rng = np.random.default_rng(1)
                plain: list[float] = []
                entity: list[float] = []
                lookup: list[float] = []
                gw = client.app.state.gateway  # type: ignore[attr-defined]
                lk = gw.state.entity_lookups[PILOT]
                for i in range(requests + 20):
                    cid = int(rng.integers(0, customers))
                    t = time.perf_counter()
                    r1 = client.post(url, json={"dataframe_records": [
                        {"spend_30d": 50.0, "orders_30d": 3, "tenure": 2.0 + i % 7}]})
                    t1 = time.perf_counter()
                    r2 = client.post(url, json={"entities": [
                        {"customer_id": cid, "tenure": 2.0 + i % 7}]})
                    t2 = time.perf_counter()
                    lk.rows([{"customer_id": cid, "tenure": 1.0}])
                    t3 = time.perf_counter()
                    assert r1.status_code == 200 and r2.status_code == 200, r2.text
                    if i >= 20:  # warm-up excluded
                        plain.append(t1 - t)
                        entity.append(t2 - t1)
                        lookup.append(t3 - t2)
        finally:
            platform.close()
            forget(online, project)
    out = {"plain p50": pct(plain, .5), "plain p99": pct(plain, .99),
           "entity p50": pct(entity, .5), "entity p99": pct(entity, .99),
           "lookup p50": pct(lookup, .5), "lookup p99": pct(lookup, .99),
           "mean added": (statistics.mean(entity) - statistics.mean(plain)) * 1000}
    out["added p50"] = out["entity p50"] - out["plain p50"]
    out["added p99"] = out["entity p99"] - out["plain p99"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/11",
                    help="Redis online store to measure ('' to skip)")
    args = ap.parse_args()
    stores = [("sqlite", "sqlite")]
    if args.redis:
        import redis

        try:
            redis.Redis.from_url(args.redis, socket_timeout=2).ping()
            stores.append(("redis", args.redis))
        except redis.RedisError as exc:
            print(f"redis: not reachable ({exc}); measuring SQLite only")
    print(f"{args.requests} requests each, {args.customers:,} entities, in-process gateway "
          "(times in ms)")
    for name, url in stores:
        r = run(name, url, args.customers, args.requests)
        print(f"{name:6}  plain p50 {r['plain p50']:.2f} p99 {r['plain p99']:.2f} | "
              f"entities p50 {r['entity p50']:.2f} p99 {r['entity p99']:.2f} | "
              f"added p50 {r['added p50']:+.2f} p99 {r['added p99']:+.2f} | "
              f"lookup alone p50 {r['lookup p50']:.2f} p99 {r['lookup p99']:.2f}")


if __name__ == "__main__":
    main()
