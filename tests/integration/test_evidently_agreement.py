"""Same per-column verdicts as Evidently's ``Report([DataDriftPreset()])``.

Evidently runs in its own venv (it needs pandas<3), made once by
``benchmarks/drift/evidently_peer.py``; the test skips only when that venv
cannot be installed. Against a table the statistics must match Evidently's
to float precision; against a sampled profile the verdicts must.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import monitoring_at

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "evidently_peer", REPO / "benchmarks/drift/evidently_peer.py")
assert _spec and _spec.loader
peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(peer)

# Evidently's display names for our method ids.
NAMES = {"ks": "K-S p_value", "chisquare": "chi-square p_value", "z": "Z-test p_value",
         "wasserstein": "Wasserstein distance (normed)",
         "jensenshannon": "Jensen-Shannon distance"}


@pytest.fixture(scope="session")
def evidently() -> Path:
    try:
        return peer.ensure_venv()
    except Exception as exc:  # noqa: BLE001 - any install failure means "cannot compare"
        pytest.skip(f"Evidently could not be installed: {exc}")


def frame(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    """Columns of every kind the default method choice distinguishes, a few shifted."""
    df = pd.DataFrame({
        "normal": rng.normal(shift, 1, n),
        "normal_still": rng.normal(0, 1, n),
        "lognormal": rng.lognormal(1 + shift * 0.2, 0.5, n),
        "wide_int": rng.integers(0, 500 + int(shift * 300), n),
        "few_int": rng.poisson(1 + shift, n).clip(0, 4),  # <= 5 distinct values
        "binary": (rng.random(n) < 0.3 + shift * 0.1).astype(int),
        "rounded": rng.normal(10, 3 + shift, n).round(0),  # ties, ~20 distinct values
        "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2] if not shift
                           else [0.3, 0.3, 0.4]),
        "region": rng.choice([f"r{i}" for i in range(8)], n),
        "yes_no": rng.choice(["yes", "no"], n),
    })
    df.loc[rng.random(n) < 0.05, "normal_still"] = np.nan
    if shift:
        df.loc[: n // 50, "region"] = "r_new"  # unseen in the reference
    return df


def evidently_verdicts(python: Path, ref: Path, cur: Path) -> dict[str, Any]:
    result: dict[str, Any] = peer.run(python, ref, cur, timeout=600)["columns"]
    return result


CASES = [(120, 200, 0.3), (600, 900, 0.25), (1000, 400, 0.4), (1001, 1500, 0.15),
         (4000, 3000, 0.1), (20_000, 20_000, 0.05)]


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), CASES)
def test_same_statistic_and_verdict_as_evidently_on_tables(
        tmp_path: Path, evidently: Path, n_ref: int, n_cur: int, shift: float) -> None:
    rng = np.random.default_rng(n_ref + n_cur)
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    frame(rng, n_ref, 0.0).to_parquet(ref)
    frame(rng, n_cur, shift).to_parquet(cur)
    theirs = evidently_verdicts(evidently, ref, cur)
    ours = {c.column: c for c in monitoring_at(tmp_path).drift(ref, cur).columns}
    assert set(ours) == set(theirs)
    for col, t in theirs.items():
        o = ours[col]
        assert NAMES[o.method] == t["method"], col
        assert o.value == pytest.approx(t["value"], rel=1e-6, abs=1e-12), col
        assert o.drifted == t["drifted"], col
    assert any(t["drifted"] for t in theirs.values())  # the cases are not all quiet


@pytest.mark.parametrize(("n_ref", "exact_limit"), [(800, 100_000), (60_000, 10_000)])
def test_same_verdicts_as_evidently_against_a_stored_profile(
        tmp_path: Path, evidently: Path, n_ref: int, exact_limit: int) -> None:
    rng = np.random.default_rng(7)
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    frame(rng, n_ref, 0.0).to_parquet(ref)
    frame(rng, n_ref, 0.3).to_parquet(cur)
    monitoring_at(tmp_path / "p").build_profile(ref, "ref", exact_limit=exact_limit,
                                                chunk_rows=7000)
    theirs = evidently_verdicts(evidently, ref, cur)
    ours = monitoring_at(tmp_path / "p").drift(None, cur, profile="ref").columns
    disagree = [(c.column, c.value, theirs[c.column]["value"]) for c in ours
                if c.drifted != theirs[c.column]["drifted"]
                or NAMES[c.method] != theirs[c.column]["method"]]
    assert not disagree
