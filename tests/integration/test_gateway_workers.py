"""``pilotdeck gateway --workers 2``: two processes behind one port.

Each worker builds its own gateway from the same settings; both answer, and
both commit to the one Delta prediction log (optimistic concurrency between
processes), so every answered request is logged exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests.integration.conftest import COLS, free_port
from tests.polling import wait_until


def test_two_workers_share_the_port_and_the_log(served_home: tuple[Path, str],
                                                trained: dict[str, Any]) -> None:
    home, token = served_home
    port = free_port()
    env = {**os.environ, "PILOTDECK_HOME": str(home), "PILOTDECK_PREDLOG_FLUSH_S": "0.2"}
    proc = subprocess.Popen([sys.executable, "-m", "pilotdeck", "gateway", "--workers", "2",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(base), timeout=90, message="the gateway's workers")
        workers = _worker_pids(proc.pid)
        assert len(workers) == 2, workers
        rows = trained["X"].values.tolist()

        def send(i: int) -> str:
            # A new connection per request: the kernel spreads them over the workers.
            r = httpx.post(f"{base}/v1/pilots/churn-prediction/predict", timeout=30,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"dataframe_split": {"columns": COLS, "data": [rows[i]]}})
            assert r.status_code == 200, r.text
            return str(r.json()["requestId"])

        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(send, range(200)))
        assert len(ids) == 200
        # Each worker counts its own requests: scrapes land on either, and the two
        # counts they show are both non-zero and add up to all of them.
        counts: set[int] = set()
        for _ in range(200):  # until both workers have answered a scrape
            counts.add(_served(base))
            if len(counts) == 2:
                break
        assert len(counts) == 2 and 0 not in counts and sum(counts) == 200, counts
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # each worker flushes its log on the way out
        proc.wait(timeout=60)
    logged = Platform(Settings(home=home)).lake.requests("churn-prediction")
    assert sorted(logged["request_id"].to_pylist()) == sorted(ids)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).json()["routes"] == 1
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def _worker_pids(parent: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    pids = [int(p) for p in out.split()]
    # uvicorn's parent may also run a helper (the resource tracker): workers serve HTTP.
    return [p for p in pids if "multiprocessing.resource_tracker" not in _cmdline(p)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _served(base: str) -> int:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
               if line.startswith("pilotdeck_requests_total{") and 'status="200"' in line)
