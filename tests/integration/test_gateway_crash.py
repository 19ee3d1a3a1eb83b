"""Standing suite (issue 8): kill -9 of a real gateway process under load.

The prediction log is buffered in memory and written every
``PILOTDECK_PREDLOG_FLUSH_S`` seconds (one Delta commit: whole files, then the commit).
So a kill -9 may lose the rows of requests answered in the last flush interval
plus the one write in flight — the documented window — and nothing older; and
the log must stay readable (no half-written file is ever visible).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq

from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests.integration.conftest import COLS, free_port, logged_rows
from tests.polling import wait_until

FLUSH_S = 0.5
# The documented window is FLUSH_S plus one write; the slack covers a write and the
# scheduling delays of a shared 2-core machine.
WINDOW_S = FLUSH_S + 1.0
SERVE = ("import sys, uvicorn\n"
         "from pilotdeck.config import Settings\n"
         "from pilotdeck.gateway.app import create_gateway\n"
         "from pilotdeck.platform import Platform\n"
         "uvicorn.run(create_gateway(Platform(Settings())), host='127.0.0.1',"
         " port=int(sys.argv[1]), log_level='warning', access_log=False)\n")


def test_kill_9_under_load_loses_at_most_the_flush_window(served_home: tuple[Path, str],
                                                          trained: dict[str, Any]) -> None:
    root, token = served_home
    port = free_port()
    env = {**os.environ, "PILOTDECK_HOME": str(root), "PILOTDECK_PREDLOG_FLUSH_S": str(FLUSH_S)}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    answered: dict[str, float] = {}  # request id -> when the answer arrived
    stop = threading.Event()
    rows = trained["X"].values.tolist()

    def load(worker: int) -> None:
        with httpx.Client(base_url=base, timeout=5,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            i = worker
            while not stop.is_set():
                try:
                    r = http.post("/v1/pilots/churn-prediction/predict", json={
                        "dataframe_split": {"columns": COLS, "data": [rows[i % len(rows)]]}})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    answered[r.json()["requestId"]] = time.monotonic()
                i += 4

    try:
        def up() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "exited"
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=60, interval=0.1, message="the gateway process to start")
        workers = [threading.Thread(target=load, args=(w,)) for w in range(4)]
        for w in workers:
            w.start()
        lake = root / "lakehouse"
        wait_until(lambda: len(answered) >= 300 and logged_rows(lake, "predictions") > 0,
                   timeout=60, interval=0.05, message="300 answers and a first flush")
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for w in workers:
            w.join(timeout=10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    # Readable: every file opens, and the lake reads the log back as a whole.
    files = [f for f in (lake / "predictions").rglob("*.parquet") if "_delta_log" not in f.parts]
    assert files and all(pq.ParquetFile(f).metadata.num_rows > 0 for f in files)
    platform = Platform(Settings(home=root))
    try:
        table = platform.lake.requests("churn-prediction")
    finally:
        platform.close()
    logged = set(table.column("request_id").to_pylist())
    assert len(logged) == table.num_rows  # nothing written twice
    lost = {rid: at for rid, at in answered.items() if rid not in logged}
    old = {rid: round(killed_at - at, 2) for rid, at in lost.items()
           if at < killed_at - WINDOW_S}
    assert not old, f"{len(old)} rows older than the {WINDOW_S} s window were lost: {old}"
    assert len(logged) > 0 and len(lost) < len(answered)
