"""Prediction-log benchmark: the Delta writer against the Parquet writer it replaced,
in one run, on the same records.

(a) hot path: the cost of one ``append`` per record, alone and while the
    background flush of the same writer runs (the event loop shares the GIL with
    the flush thread);
(b) flush throughput: rows/s committed, at the gateway's default batch (5,000
    rows per flush) and at a large one;
(c) the gateway's req/s and p50/p99 at c=32 with the log on (wrk, 1-row
    requests, the serving benchmark's model and set-up), one gateway per writer.

Prints both, and the Delta/Parquet ratios. Targets: hot path and gateway req/s
within noise (ratio ~1.0); flush throughput above the gateway's maximum request
rate, so the buffer never backs up.
Usage: python benchmarks/predlog/run.py [--duration 8] [--records 200000] [--no-gateway]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WRITERS = ("parquet", "delta")


def _serving() -> Any:
    spec = importlib.util.spec_from_file_location("serving_bench", HERE.parent / "serving"
                                                  / "run.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def records(n: int, pilots: int = 4) -> list[dict[str, Any]]:
    """Gateway-like records: 20 features in, one prediction out."""
    now = datetime.now(UTC)
    inputs = orjson.dumps({"columns": [f"f{i}" for i in range(20)],
                           "data": [[0.123456 * i for i in range(20)]]}).decode()
    return [{"request_id": f"{i:016x}", "ts": now, "pilot": f"pilot-{i % pilots}",
             "variant": "champion" if i % 2 else "challenger", "model_version": 1 + i % 2,
             "inputs": inputs, "outputs": "[1]", "latency_ms": 1.25, "cache_hit": False,
             "status": 200, "rows": 1} for i in range(n)]


def writer(kind: str, root: Path, flush_s: float, max_rows: int) -> Any:
    from pilotdeck.adapters.lake import LocalLake
    from pilotdeck.adapters.lake.writer import PREDICTION_SCHEMA, ParquetLog

    if kind == "parquet":
        return ParquetLog(root / "predictions", PREDICTION_SCHEMA, flush_s, max_rows)
    return LocalLake(root).prediction_log(flush_s, max_rows)


def hot_path(kind: str, work: Path, recs: list[dict[str, Any]]) -> tuple[float, float]:
    """ns per append: alone, and with the writer's own background flushes running."""
    w = writer(kind, work / f"hot-{kind}", 60, 10**9)
    start = time.perf_counter_ns()
    for r in recs:
        w.append(r)
    alone = (time.perf_counter_ns() - start) / len(recs)
    w._buffer.clear()

    async def busy() -> float:
        w2 = writer(kind, work / f"busy-{kind}", 0.05, 5000)
        w2.start()
        spent = 0
        for i in range(0, len(recs), 500):
            t = time.perf_counter_ns()
            for r in recs[i:i + 500]:
                w2.append(r)
            spent += time.perf_counter_ns() - t
            await asyncio.sleep(0)  # as between requests: lets the flush task run
        await w2.close()
        return spent / len(recs)

    return alone, asyncio.run(busy())


def flush_rate(kind: str, work: Path, recs: list[dict[str, Any]], batch: int,
               run: int) -> tuple[float, float]:
    """Rows/s the writer commits in batches of ``batch`` rows (wall clock), and the
    CPU seconds (all threads) per million rows."""
    w = writer(kind, work / f"flush-{kind}-{batch}-{run}", 60, 10**9)
    w._write(recs[:min(batch, 100)])  # table created, imports done
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    for i in range(0, len(recs), batch):
        w._write(recs[i:i + batch])
        n += len(recs[i:i + batch])
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n * 1e6


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def gateway(args: argparse.Namespace, work: Path) -> dict[str, dict[str, float]]:
    srv = _serving()
    _, X, env, _ = srv.setup(work)
    single = srv.bodies(X, 1, 1000)
    script = srv.lua_script(work / "s1.lua", single, env["PILOTDECK_BENCH_TOKEN"])
    out = {}
    for kind in [k for i in range(args.rounds) for k in WRITERS[::1 if i % 2 else -1]]:
        port = srv.free_port()
        proc = srv.start([str(BIN / "python"), str(HERE / "serve.py"), str(port), kind], env)
        try:
            srv.wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
            url = f"http://127.0.0.1:{port}/v1/pilots/bench/predict"
            srv.wrk(url, script, 4, 2)  # warm up
            r = srv.wrk(url, script, 32, args.duration)
        finally:
            srv.stop(proc)
        best = out.get(kind)
        if best is None or r["rps"] > best["rps"]:  # best of the rounds: less noise
            out[kind] = r
    home = Path(env["PILOTDECK_HOME"]) / "lakehouse"
    from deltalake import DeltaTable

    logged = DeltaTable(str(home / "predictions")).count()
    print(f"  (delta log holds {logged:,} rows after the runs)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="Gateway runs per writer "
                        "(order alternating, best kept); (a) and (b) run rounds+1 times.")
    parser.add_argument("--no-gateway", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pilotdeck-predlog-"))
    try:
        recs = records(args.records)
        print(f"== (a) hot path: ns per append ({args.records:,} records, best of "
              f"{args.rounds + 1} interleaved runs) ==")
        hot_path("parquet", work / "warm", recs[:20_000])  # imports and caches warm
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in WRITERS}
        for i in range(args.rounds + 1):
            for k in WRITERS[::1 if i % 2 else -1]:  # alternate who goes first
                runs[k].append(hot_path(k, work / f"hot{i}", recs))
        # The best run: the code's cost without the other tenants of the machine.
        hot = {k: (min(r[0] for r in v), min(r[1] for r in v)) for k, v in runs.items()}
        for k in WRITERS:
            print(f"  {k:8} alone {hot[k][0]:7.1f} ns   while flushing {hot[k][1]:7.1f} ns")
        print(f"  ratio delta/parquet: alone {hot['delta'][0] / hot['parquet'][0]:.2f}   "
              f"while flushing {hot['delta'][1] / hot['parquet'][1]:.2f}")
        print("\n== (b) flush throughput: rows/s committed (median), CPU s per 1M rows ==")
        for batch in (5000, 50_000):
            got: dict[str, list[tuple[float, float]]] = {k: [] for k in WRITERS}
            for i in range(args.rounds + 1):
                for k in WRITERS:
                    got[k].append(flush_rate(k, work, recs, batch, i))
            rate = {k: _median([g[0] for g in v]) for k, v in got.items()}
            cpu = {k: _median([g[1] for g in v]) for k, v in got.items()}
            print(f"  {batch:>6,}-row flushes: parquet {rate['parquet']:>9,.0f} rows/s "
                  f"({cpu['parquet']:.1f} CPU s)   delta {rate['delta']:>9,.0f} rows/s "
                  f"({cpu['delta']:.1f} CPU s)   ratio delta/parquet "
                  f"{rate['delta'] / rate['parquet']:.2f}")
        if args.no_gateway:
            return
        print(f"\n== (c) gateway, 1 row, c=32, log on ({args.duration} s, best of "
              f"{args.rounds}) ==")
        gw = gateway(args, work)
        for k in WRITERS:
            r = gw[k]
            print(f"  {k:8} {r['rps']:>8,.0f} req/s   p50 {r['p50']:6.2f} ms   "
                  f"p99 {r['p99']:6.2f} ms" + ("   (errors!)" if r["errors"] else ""))
        print(f"  ratio delta/parquet: req/s {gw['delta']['rps'] / gw['parquet']['rps']:.2f}"
              f"   p99 {gw['delta']['p99'] / gw['parquet']['p99']:.2f}")
        print("  target: req/s within noise (~1.0); (b) above the gateway's req/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
