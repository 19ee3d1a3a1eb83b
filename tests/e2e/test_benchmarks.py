"""The benchmark scripts still run (tiny sizes; the numbers are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_audit_benchmark_runs_and_prints_ratios() -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/audit/run.py"), "--sizes", "3000",
         "--append-single", "50", "--append-batch", "2000"],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "ratio" in r.stdout and "proof" in r.stdout and "read+SHA-256" in r.stdout
