"""The benchmark scripts still run (tiny sizes; the numbers are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.backends import missing

REPO = Path(__file__).resolve().parents[2]


def test_audit_benchmark_runs_and_prints_ratios() -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/audit/run.py"), "--sizes", "3000",
         "--append-single", "50", "--append-batch", "2000"],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "ratio" in r.stdout and "proof" in r.stdout and "read+SHA-256" in r.stdout


def test_drift_benchmark_runs_and_compares_verdicts_with_evidently(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "evidently_peer", REPO / "benchmarks/drift/evidently_peer.py")
    assert spec and spec.loader
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    try:
        peer.ensure_venv()
    except Exception as exc:  # noqa: BLE001 - any install failure means "cannot compare"
        missing(f"Evidently could not be installed: {exc}")
    r = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/drift/run.py"), "--rows", "3000",
         "--wide-rows", "1500", "--wide-cols", "12", "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "speed ratio" in r.stdout and "memory ratio" in r.stdout
    assert "columns agree" in r.stdout and "DISAGREE" not in r.stdout
    assert "us/row/col" in r.stdout


def test_explain_benchmark_runs_and_prints_ratios() -> None:
    r = subprocess.run([sys.executable, str(REPO / "benchmarks/explain/run.py"), "--rows", "30"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "pilotdeck ModelExplainer.explain" in r.stdout and "ratio" in r.stdout


def test_predlog_benchmark_runs_and_prints_ratios() -> None:
    r = subprocess.run([sys.executable, str(REPO / "benchmarks/predlog/run.py"), "--records",
                        "6000", "--rounds", "0", "--no-gateway"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ratio delta/parquet") == 3, r.stdout


def test_rollout_benchmark_runs_and_prints_both_gates() -> None:
    r = subprocess.run([sys.executable, str(REPO / "benchmarks/rollout/run.py"), "--replays",
                        "4"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "anytime-valid" in r.stdout and "naive z-test" in r.stdout
    assert "A/A false rollbacks" in r.stdout
