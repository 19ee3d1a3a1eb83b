"""Evidently, the peer we match verdicts with and race: its own venv, its own process.

Evidently 0.7 needs ``pandas<3`` while pilotdeck runs on pandas 3, so it lives
in a separate virtual environment (``.venv-evidently`` in the repo root, made
once and reused by the benchmark and the agreement test).

- imported (by the benchmark and tests): :func:`ensure_venv`, :func:`run`;
- run as a script inside that venv: reads two Parquet files, runs
  ``Report([DataDriftPreset()])`` and prints per-column verdicts, seconds and
  peak RSS as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("PILOTDECK_EVIDENTLY_VENV", REPO / ".venv-evidently"))
REQUIREMENTS = ["evidently==0.7.23", "pandas<3"]
P_VALUE = ("p_value",)


def ensure_venv(venv: Path = VENV) -> Path:
    """The venv's python, creating the venv first if needed (raises on failure)."""
    python = venv / "bin" / "python"
    marker = venv / ".pilotdeck-ready"
    if marker.exists() and marker.read_text() == " ".join(REQUIREMENTS):
        return python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True,
                   capture_output=True, text=True)
    marker.write_text(" ".join(REQUIREMENTS))
    return python


def run(python: Path, reference: Path, current: Path, timeout: float = 3600) -> dict[str, Any]:
    """Evidently's verdicts on two Parquet files: {columns: {name: {...}}, seconds, rss_mb}."""
    r = subprocess.run([str(python), __file__, str(reference), str(current)],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        raise RuntimeError(f"Evidently failed: {r.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _main(reference: str, current: str) -> None:
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    start = time.perf_counter()
    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    snapshot = Report([DataDriftPreset()]).run(cur, ref)
    seconds = time.perf_counter() - start
    columns = {}
    for m in snapshot.dict()["metrics"]:
        cfg = m["config"]
        if not cfg["type"].endswith("ValueDrift"):
            continue
        method, value, threshold = cfg["method"], float(m["value"]), float(cfg["threshold"])
        p_value = method.endswith("p_value")
        columns[cfg["column"]] = {"method": method, "value": value, "threshold": threshold,
                                  "drifted": value < threshold if p_value
                                  else value >= threshold}
    print(json.dumps({"columns": columns, "seconds": seconds, "rss_mb": _peak_rss_mb()}))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
