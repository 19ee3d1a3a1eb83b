"""Drift methods against independent SciPy computations, and Evidently's method choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial import distance

from pilotdeck.domain.drift import (
    Dist,
    column_drift,
    dataset_drift,
    default_method,
    statistic,
    wasserstein,
)

RNG = np.random.default_rng(11)


@pytest.mark.parametrize(("kind", "ref_size", "n_values", "method"), [
    ("num", 1000, 6, "ks"), ("num", 1000, 5, "chisquare"), ("num", 1000, 2, "z"),
    ("cat", 500, 7, "chisquare"), ("cat", 500, 2, "z"),
    ("num", 1001, 6, "wasserstein"), ("num", 1001, 5, "jensenshannon"),
    ("cat", 5000, 2, "jensenshannon"),
])
def test_default_method_follows_evidently(kind: str, ref_size: int, n_values: int,
                                          method: str) -> None:
    assert default_method(kind, ref_size, n_values) == method


def test_each_method_matches_an_independent_computation() -> None:
    ref, cur = RNG.normal(0, 1, 800), RNG.normal(0.3, 1.2, 700)
    assert statistic("ks", ref, cur, "num") == pytest.approx(stats.ks_2samp(ref, cur).pvalue)
    assert statistic("wasserstein", ref, cur, "num") == pytest.approx(
        stats.wasserstein_distance(ref, cur) / np.std(ref))
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    assert statistic("jensenshannon", ref, cur, "num") == pytest.approx(
        distance.jensenshannon(r, c))
    assert statistic("hellinger", ref, cur, "num") == pytest.approx(
        np.sqrt(1 - np.sum(np.sqrt(r * c))))
    cats_r = RNG.choice(np.array(["a", "b", "c"]), 600, p=[0.5, 0.3, 0.2])
    cats_c = RNG.choice(np.array(["a", "b", "c", "d"]), 400, p=[0.3, 0.3, 0.3, 0.1])
    counts_r = np.array([np.sum(cats_r == k) for k in "abcd"])
    counts_c = np.array([np.sum(cats_c == k) for k in "abcd"])
    assert statistic("chisquare", cats_r, cats_c, "cat") == pytest.approx(
        stats.chisquare(counts_c, counts_r * len(cats_c) / len(cats_r)).pvalue)
    rr, cc = counts_r / len(cats_r), counts_c / len(cats_c)
    assert statistic("jensenshannon", cats_r, cats_c, "cat") == pytest.approx(
        distance.jensenshannon(rr, cc))
    # Two-proportion Z-test, by hand.
    b_r, b_c = RNG.random(900) < 0.3, RNG.random(800) < 0.4
    p1, p2 = b_r.mean(), b_c.mean()
    pooled = (b_r.sum() + b_c.sum()) / (len(b_r) + len(b_c))
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(b_r) + 1 / len(b_c)))
    assert statistic("z", b_r.astype(str), b_c.astype(str), "cat") == pytest.approx(
        2 * (1 - stats.norm.cdf(abs(z))))


def test_psi_on_identical_and_shifted_samples() -> None:
    x = RNG.normal(size=5000)
    assert statistic("psi", x, x, "num") == pytest.approx(0.0, abs=1e-12)
    assert statistic("psi", x, x + 1.0, "num") > 0.5


@pytest.mark.parametrize("n", [300, 5000])
def test_known_shift_is_detected_and_no_shift_is_not(n: int) -> None:
    ref = RNG.normal(0, 1, n)
    num = lambda a: Dist.of_values("num", a)  # noqa: E731
    same = column_drift("x", num(ref), num(RNG.normal(0, 1, n)))
    moved = column_drift("x", num(ref), num(RNG.normal(0.8, 1, n)))
    assert same.method == moved.method == ("ks" if n <= 1000 else "wasserstein")
    assert not same.drifted and moved.drifted
    assert dataset_drift([same, moved], share=0.5)["dataset_drift"]
    assert not dataset_drift([same, moved], share=0.75)["dataset_drift"]


def test_empty_samples_do_not_drift_and_overrides_apply() -> None:
    num = lambda a: Dist.of_values("num", a)  # noqa: E731
    r = column_drift("x", num(np.array([])), num(RNG.normal(size=10)))
    assert not r.drifted and np.isnan(r.value)
    forced = column_drift("x", num(RNG.normal(size=50)), num(RNG.normal(size=50)), "psi", 0.0)
    assert forced.method == "psi" and forced.drifted


@pytest.mark.parametrize(("n", "m"), [(10, 8), (1000, 503), (50_000, 20_003), (700, 700)])
def test_sorted_wasserstein_equals_scipy(n: int, m: int) -> None:
    u, v = RNG.gamma(2, 3, n), RNG.normal(5, 2, m).round(1)  # ties too
    assert wasserstein(np.sort(u), np.sort(v)) == pytest.approx(
        stats.wasserstein_distance(u, v), rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=40),
       st.lists(st.integers(-3, 3), min_size=1, max_size=40), st.floats(0.01, 10))
def test_sorted_wasserstein_equals_scipy_on_any_sizes_and_ties(
        a: list[int], b: list[int], scale: float) -> None:
    """Every size pair (sizes that divide each other put u's steps on piece
    boundaries) and heavy ties."""
    u, v = np.array(a) * scale, np.array(b) * scale / 3
    assert wasserstein(np.sort(u), np.sort(v)) == pytest.approx(
        stats.wasserstein_distance(u, v), rel=1e-9, abs=1e-12)


def test_histogram_shares_match_numpy_on_many_distinct_values() -> None:
    ref, cur = RNG.normal(0, 1, 3000), RNG.normal(0.2, 1.1, 2000)
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    r_ = np.where(r == 0, 1e-4, r)
    c_ = np.where(c == 0, 1e-4, c)
    assert statistic("psi", ref, cur, "num") == pytest.approx(np.sum((r_ - c_) * np.log(r_ / c_)))


def test_low_cardinality_numbers_are_counted_per_value_even_if_current_explodes() -> None:
    ref = RNG.integers(0, 4, 5000).astype(float)
    cur = np.concatenate([RNG.integers(0, 4, 3000), RNG.normal(10, 1, 2000)])
    keys = np.unique(np.concatenate([ref, cur]))
    rc = np.array([np.sum(ref == k) for k in keys]) / len(ref)
    cc = np.array([np.sum(cur == k) for k in keys]) / len(cur)
    assert statistic("jensenshannon", ref, cur, "num") == pytest.approx(
        distance.jensenshannon(rc, cc))
    assert statistic("hellinger", ref, cur, "num") == pytest.approx(
        np.sqrt(1 - np.sum(np.sqrt(rc * cc))))


def test_methods_that_do_not_fit_the_data_say_so() -> None:
    with pytest.raises(ValueError, match="numeric"):
        statistic("ks", np.array(["a", "b"]), np.array(["a"]), "cat")
    with pytest.raises(ValueError, match="distinct"):
        statistic("chisquare", RNG.normal(size=3000), RNG.normal(size=3000), "num")


def test_jensen_shannon_and_the_z_test_match_scipy_without_importing_it() -> None:
    import math
    import subprocess
    import sys

    import numpy as np
    from scipy import stats
    from scipy.spatial import distance

    from pilotdeck.domain.drift import jensen_shannon

    rng = np.random.default_rng(3)
    for _ in range(200):
        p, q = rng.random(12), rng.random(12)
        p[rng.random(12) < 0.3] = 0  # values seen on one side only
        q[rng.random(12) < 0.3] = 0
        if p.sum() == 0 or q.sum() == 0:
            continue
        assert math.isclose(jensen_shannon(p, q), distance.jensenshannon(p, q),
                            rel_tol=1e-12, abs_tol=1e-15)
    for z in (0.0, 0.5, 1.96, 3.0, 6.0):
        assert math.isclose(math.erfc(z / math.sqrt(2)), 2 * (1 - stats.norm.cdf(z)),
                            rel_tol=1e-9, abs_tol=1e-15)
    loaded = subprocess.run([sys.executable, "-c", "import sys, pilotdeck.domain.drift; "
                             "print('scipy.stats' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
