"""Same per-column verdicts as Evidently's ``Report([DataDriftPreset()])``.

Evidently runs in its own venv (it needs pandas<3), built once per machine
and reused by ``benchmarks/drift/evidently_peer.py``; the test skips only when
that venv cannot be installed, and fails then in CI. Against a table the
statistics must match Evidently's to float precision; against a sampled
profile the verdicts must.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.backends import missing
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
        missing(f"Evidently could not be installed: {exc}")


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


CASES = [(120, 200, 0.3), (600, 900, 0.25), (1000, 400, 0.4), (1001, 1500, 0.15),
         (4000, 3000, 0.1), (20_000, 20_000, 0.05)]
PROFILE_CASES = [(800, 100_000), (60_000, 10_000)]


Case = tuple[Path, Path, dict[str, Any]]  # reference, current, Evidently's verdicts


def write_pair(d: Path, rng: np.random.Generator, n_ref: int, n_cur: int,
               shift: float) -> tuple[Path, Path]:
    d.mkdir()
    frame(rng, n_ref, 0.0).to_parquet(d / "ref.parquet")
    frame(rng, n_cur, shift).to_parquet(d / "cur.parquet")
    return d / "ref.parquet", d / "cur.parquet"


@pytest.fixture(scope="module")
def cases(evidently: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every case's files and Evidently's verdicts on them, from one Evidently process.

    Importing Evidently costs seconds, so its venv's python runs the peer's own
    per-pair report (``evidently_peer._main``) for all pairs in a single process.
    """
    root = tmp_path_factory.mktemp("evidently")
    pairs = {f"tables-{r}-{c}-{s}": write_pair(root / f"t{i}", np.random.default_rng(r + c),
                                               r, c, s) for i, (r, c, s) in enumerate(CASES)}
    pairs |= {f"profile-{r}": write_pair(root / f"p{i}", np.random.default_rng(7), r, r, 0.3)
              for i, (r, _) in enumerate(PROFILE_CASES)}
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import evidently_peer as p\n"
              "for ref, cur in zip(sys.argv[2::2], sys.argv[3::2]): p._main(ref, cur)\n")
    r = subprocess.run([str(evidently), "-c", script, str(Path(peer.__file__).parent),
                        *(str(f) for pair in pairs.values() for f in pair)],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, f"Evidently failed: {r.stderr[-2000:]}"
    outs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(outs) == len(pairs), r.stdout[-2000:]
    return {name: (ref, cur, out["columns"])
            for (name, (ref, cur)), out in zip(pairs.items(), outs, strict=True)}


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), CASES)
def test_same_statistic_and_verdict_as_evidently_on_tables(
        tmp_path: Path, cases: dict[str, Case], n_ref: int, n_cur: int, shift: float) -> None:
    ref, cur, theirs = cases[f"tables-{n_ref}-{n_cur}-{shift}"]
    ours = {c.column: c for c in monitoring_at(tmp_path).drift(ref, cur).columns}
    assert set(ours) == set(theirs)
    for col, t in theirs.items():
        o = ours[col]
        assert NAMES[o.method] == t["method"], col
        assert o.value == pytest.approx(t["value"], rel=1e-6, abs=1e-12), col
        assert o.drifted == t["drifted"], col
    assert any(t["drifted"] for t in theirs.values())  # the cases are not all quiet


@pytest.mark.parametrize(("n_ref", "exact_limit"), PROFILE_CASES)
def test_same_verdicts_as_evidently_against_a_stored_profile(
        tmp_path: Path, cases: dict[str, Case], n_ref: int, exact_limit: int) -> None:
    ref, cur, theirs = cases[f"profile-{n_ref}"]
    monitoring_at(tmp_path / "p").build_profile(ref, "ref", exact_limit=exact_limit,
                                                chunk_rows=7000)
    ours = monitoring_at(tmp_path / "p").drift(None, cur, profile="ref").columns
    disagree = [(c.column, c.value, theirs[c.column]["value"]) for c in ours
                if c.drifted != theirs[c.column]["drifted"]
                or NAMES[c.method] != theirs[c.column]["method"]]
    assert not disagree
