"""The feature-lookup benchmark still runs (tiny sizes; numbers not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.feast
REPO = Path(__file__).resolve().parents[2]


def test_feature_benchmark_runs_and_prints_the_added_latency(feast_required: None) -> None:
    r = subprocess.run([sys.executable, str(REPO / "benchmarks/features/run.py"),
                        "--requests", "5", "--customers", "50", "--redis", ""],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "sqlite" in r.stdout and "added p50" in r.stdout and "lookup alone" in r.stdout
