"""Evidently, the peer we match verdicts with and race: its own venv, its own process.

Evidently 0.7 needs ``pandas<3`` while pilotdeck runs on pandas 3, so it lives
in a separate virtual environment, built once per machine and reused by the
benchmark and the agreement tests of every checkout:
``${XDG_CACHE_HOME:-~/.cache}/pilotdeck/evidently-VERSION-pyX.Y`` (or
``$PILOTDECK_EVIDENTLY_VENV``). A marker file written after a successful
install says the venv is complete; a file lock keeps two processes from
building it at once; a half-built venv (no marker) is removed and rebuilt.

- imported (by the benchmark and tests): :func:`ensure_venv`, :func:`run`;
- run as a script inside that venv: reads two Parquet files, runs
  ``Report([DataDriftPreset()])`` and prints per-column verdicts, seconds and
  peak RSS as JSON.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

EVIDENTLY_VERSION = "0.7.23"
REQUIREMENTS = [f"evidently=={EVIDENTLY_VERSION}", "pandas<3"]
P_VALUE = ("p_value",)
MARKER = ".pilotdeck-ready"


def default_venv() -> Path:
    """Where the shared venv lives: one per Evidently version and Python version."""
    if os.environ.get("PILOTDECK_EVIDENTLY_VENV"):
        return Path(os.environ["PILOTDECK_EVIDENTLY_VENV"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    return cache / "pilotdeck" / f"evidently-{EVIDENTLY_VERSION}-py{py}"


def _ready(venv: Path) -> bool:
    marker = venv / MARKER
    return (marker.is_file() and marker.read_text() == " ".join(REQUIREMENTS)
            and (venv / "bin" / "python").exists())


def ensure_venv(venv: Path | None = None, lock_timeout: float = 1800) -> Path:
    """The venv's python, building the venv first if no complete one exists.

    Raises ``RuntimeError`` (with pip's own message) when it cannot be built.
    """
    venv = default_venv() if venv is None else venv
    python = venv / "bin" / "python"
    if _ready(venv):
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        deadline = time.monotonic() + lock_timeout
        while True:  # another process may be building it right now: wait for it
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"waited {lock_timeout:g} s for another process "
                                       f"building {venv}") from None
                time.sleep(1)
        try:
            if _ready(venv):  # built while we waited
                return python
            shutil.rmtree(venv, ignore_errors=True)  # a half-built one is never reused
            for cmd in ([sys.executable, "-m", "venv", str(venv)],
                        [str(python), "-m", "pip", "install", "-q", *REQUIREMENTS]):
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode:
                    raise RuntimeError(f"{' '.join(cmd[-3:])} failed: "
                                       f"{(r.stderr or r.stdout).strip()[-2000:]}")
            (venv / MARKER).write_text(" ".join(REQUIREMENTS))
            return python
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
