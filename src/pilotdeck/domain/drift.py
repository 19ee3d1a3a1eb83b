"""Per-column drift with Evidently's default verdicts, and dataset drift (pure math).

Defaults (Evidently's documented algorithm, so users get the verdicts they
know), decided on the non-null values:

- reference <= 1000 rows: numeric with > 5 unique values -> two-sample KS;
  otherwise chi-square, or a two-proportion Z-test for <= 2 values; p < 0.05;
- reference > 1000 rows: numeric with > 5 unique values -> Wasserstein distance
  divided by the reference std (drift >= 0.1); otherwise Jensen-Shannon
  distance (drift >= 0.1).

"Unique values" counts reference and current together. PSI, KS, chi-square, Z,
Wasserstein, Jensen-Shannon and Hellinger can be chosen per column.

Every method works on a :class:`Dist`, a summary of one side of a column:
sorted numeric values (possibly a sample, with the true size and exact
moments beside it) and exact value counts when there are few distinct values.
Summaries are what make drift fast: a million-row categorical column is a
handful of counts, and sorting a numeric column once serves KS, Wasserstein,
histograms, distinct counts and range checks alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

# scipy.stats is imported only by the two tests that need it (ks, chisquare):
# it is about 50 MB resident and 0.7 s of import, and the default methods on
# large tables (Wasserstein, Jensen-Shannon) and the z-test need none of it
# (benchmarks/drift measures peak memory).

P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})
DEFAULT_THRESHOLD = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1,
                     "jensenshannon": 0.1, "psi": 0.1, "hellinger": 0.1}
METHODS = frozenset(DEFAULT_THRESHOLD)
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})
DISTINCT_CAP = 1000  # exact value counts are kept up to this many distinct values


@dataclass(frozen=True)
class Dist:
    """One side of one column.

    ``values`` holds sorted numeric values (numeric columns only); it may be a
    uniform sample of ``size`` values, in which case ``std``/``min``/``max``
    still describe all of them. ``keys``/``counts`` are exact value counts, or
    None when the column has more than :data:`DISTINCT_CAP` distinct values.
    """

    kind: str  # num | cat
    size: int
    values: np.ndarray | None = None
    keys: np.ndarray | None = None
    counts: np.ndarray | None = None
    std: float = 0.0
    min: float | None = None
    max: float | None = None

    @classmethod
    def of_values(cls, kind: str, values: np.ndarray, *, owned: bool = False) -> Dist:
        """From raw non-null values (numbers already free of NaN and infinities);
        ``owned``: the array is the caller's to give away (sorted in place, not
        copied: a million-row column is 8 MB less at the peak)."""
        if kind == "cat":
            keys, counts = np.unique(np.asarray(values).astype(str), return_counts=True)
            return cls("cat", int(counts.sum()), keys=keys.astype(object), counts=counts)
        s = values if owned and values.dtype == np.float64 else np.array(values, np.float64)
        s.sort()
        nums, freq = distinct_counts(s)
        return cls("num", len(s), s, nums, freq, _std(s),
                   float(s[0]) if len(s) else None, float(s[-1]) if len(s) else None)

    @classmethod
    def of_counts(cls, keys: list[str], counts: list[int]) -> Dist:
        order = np.argsort(np.asarray(keys, dtype=object).astype(str))
        k = np.asarray(keys, dtype=object)[order] if keys else np.empty(0, dtype=object)
        c = np.asarray(counts, dtype=np.int64)[order] if counts else np.empty(0, np.int64)
        return cls("cat", int(c.sum()), keys=k, counts=c)

    @property
    def n_distinct(self) -> int:
        """Distinct values; more than DISTINCT_CAP when only that is known."""
        return len(self.keys) if self.keys is not None else DISTINCT_CAP + 1


_CHUNK = 1 << 16  # elements per pass over a long column: temporaries stay in cache


def _std(values: np.ndarray) -> float:
    """``np.std`` (population) in chunks: the same two-pass result without a
    temporary the size of the column."""
    n = len(values)
    if not n:
        return 0.0
    mean = float(values.sum()) / n  # pairwise summation, as np.std's mean
    buf = np.empty(min(n, _CHUNK))
    acc = 0.0
    for s in range(0, n, _CHUNK):
        part = buf[:min(_CHUNK, n - s)]
        np.subtract(values[s:s + _CHUNK], mean, out=part)
        np.multiply(part, part, out=part)  # not np.dot: BLAS would start threads
        acc += float(part.sum())
    return math.sqrt(acc / n)


def distinct_counts(sorted_values: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Exact (keys, counts) of a sorted array, or (None, None) past DISTINCT_CAP.

    Counted a chunk at a time first, so a column of a million distinct values
    stops after the first chunk instead of listing every change of value."""
    if not len(sorted_values):
        return np.empty(0), np.empty(0, np.int64)
    seen = 0
    for s in range(0, len(sorted_values) - 1, _CHUNK):
        part = sorted_values[s:s + _CHUNK + 1]
        seen += int(np.count_nonzero(part[1:] != part[:-1]))
        if seen + 1 > DISTINCT_CAP:
            return None, None
    starts = np.flatnonzero(np.diff(sorted_values)) + 1
    if len(starts) + 1 > DISTINCT_CAP:
        return None, None
    bounds = np.concatenate([[0], starts, [len(sorted_values)]])
    return sorted_values[bounds[:-1]], np.diff(bounds)


def union_distinct(ref: Dist, cur: Dist) -> int:
    if ref.keys is None or cur.keys is None:
        return DISTINCT_CAP + 1
    return len(np.union1d(ref.keys, cur.keys))


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: str  # num | cat
    method: str
    value: float
    threshold: float
    drifted: bool

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind, "method": self.method,
                "value": None if np.isnan(self.value) else float(self.value),
                "threshold": self.threshold, "drifted": self.drifted,
                "stat": "p_value" if self.method in P_VALUE_METHODS else "distance"}


def default_method(kind: str, ref_size: int, n_values: int) -> str:
    if ref_size <= 1000:
        if kind == "num" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == "num" and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def _aligned_counts(ref: Dist, cur: Dist) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each value in both sides over the sorted union of values.

    When the current side has too many distinct values to count (a numeric
    column that stopped being low-cardinality), its values unknown to the
    reference share one bucket: Jensen-Shannon and Hellinger come out the same
    as with one bucket per value, since the reference has none of them."""
    assert ref.keys is not None and ref.counts is not None
    if cur.keys is None or cur.counts is None:
        assert cur.values is not None
        known = (np.searchsorted(cur.values, ref.keys, "right")
                 - np.searchsorted(cur.values, ref.keys, "left"))
        return (np.append(ref.counts, 0), np.append(known, cur.size - known.sum()))
    keys = np.union1d(ref.keys, cur.keys)
    r = np.zeros(len(keys), np.int64)
    c = np.zeros(len(keys), np.int64)
    r[np.searchsorted(keys, ref.keys)] = ref.counts
    c[np.searchsorted(keys, cur.keys)] = cur.counts
    return r, c


def sturges_edges(lo: float, hi: float, n: int) -> np.ndarray:
    """``np.histogram_bin_edges(x, "sturges")`` for data with this range and size,
    so the sides need not be concatenated (and the reference may be a sample)."""
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / (np.log2(n) + 1.0)
    bins = max(int(np.ceil((hi - lo) / width)), 1)
    return np.linspace(lo, hi, bins + 1)


def _histogram(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram`` counts (last bin closed) of sorted values, by binary search."""
    pos = np.searchsorted(sorted_values, edges, "left")
    pos[-1] = np.searchsorted(sorted_values, edges[-1], "right")
    return np.diff(pos)


def _shares(ref: Dist, cur: Dist, fill_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    """Share of each side per bucket, as Evidently bins: Sturges bins over both
    sides for numeric columns with > 20 distinct reference values, else per value."""
    if ref.kind == "num" and ref.n_distinct > 20:
        assert ref.values is not None and cur.values is not None
        lo = min(v for v in (ref.min, cur.min) if v is not None)
        hi = max(v for v in (ref.max, cur.max) if v is not None)
        edges = sturges_edges(lo, hi, ref.size + cur.size)
        r = _histogram(ref.values, edges) / len(ref.values)
        c = _histogram(cur.values, edges) / len(cur.values)
    else:
        rc, cc = _aligned_counts(ref, cur)
        r, c = rc / ref.size, cc / cur.size
    if fill_zeros:  # avoid log(0) in PSI, as Evidently does
        for arr in (r, c):
            smallest = arr[arr > 0].min() if (arr > 0).any() else 1.0
            arr[arr == 0] = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    return r.astype(float), c.astype(float)


def wasserstein(u: np.ndarray, v: np.ndarray) -> float:
    """First Wasserstein distance of two *sorted* samples. Equal to
    ``scipy.stats.wasserstein_distance`` (tested), without sorting or merging.

    It is the area between the two quantile functions: with ``n <= m``, split
    [0, 1] into the larger sample's m equal pieces; on piece j the larger
    sample's quantile is ``v[j]`` and the smaller's is ``u[floor(j n / m)]``,
    except on the (at most one) piece where the smaller sample's quantile
    steps, at t = i / n, which is corrected afterwards. So: one pass over v
    with u repeated to its length, then one over u's steps; several times
    faster than merging the two samples, and no merged copy in memory."""
    if not len(u) or not len(v):
        return float("nan")
    if len(u) == len(v):
        return float(np.mean(np.abs(u - v)))
    if len(u) > len(v):
        u, v = v, u
    n, m = len(u), len(v)
    # Piece j (0-based) lies in [j/m, (j+1)/m): u's quantile at its start is
    # u[floor(j n / m)], so u[i] covers pieces ceil(i m / n) .. ceil((i+1) m / n) - 1.
    starts = -((-np.arange(n + 1, dtype=np.int64) * m) // n)  # ceil(i m / n)
    spread = np.repeat(u, np.diff(starts))
    spread -= v
    np.abs(spread, out=spread)
    total = float(spread.sum()) / m
    # u steps from u[i-1] to u[i] at t = i/n, inside piece j = floor(i m / n)
    # unless that is a piece boundary; above the step the piece is worth
    # |u[i] - v[j]| instead of |u[i-1] - v[j]|, over a width (j + 1)/m - i/n.
    i = np.arange(1, n, dtype=np.int64)
    j = (i * m) // n
    inside = (i * m) % n != 0
    i, j = i[inside], j[inside]
    width = (j + 1) / m - i / n
    vj = v[j]
    return total + float(((np.abs(u[i] - vj) - np.abs(u[i - 1] - vj)) * width).sum())


def _z_test(ref: Dist, cur: Dist) -> float:
    r, c = _aligned_counts(ref, cur)
    if len(r) <= 1:
        return 1.0
    # Share of the first value on each side; with two values the test is symmetric.
    p1, p2 = r[0] / ref.size, c[0] / cur.size
    n1, n2 = ref.size, cur.size
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    denom = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if denom == 0:
        return 1.0
    # 2 (1 - Phi(|z|)) without cancellation: erfc(|z| / sqrt 2).
    return float(math.erfc(abs((p1 - p2) / denom) / math.sqrt(2)))


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """``scipy.spatial.distance.jensenshannon(p, q)`` (natural log), written out
    so drift does not import scipy: the square root of the mean Kullback-Leibler
    divergence of each side from their midpoint (tested equal to scipy's)."""
    p = p / np.sum(p)
    q = q / np.sum(q)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / m), 0.0)
        right = np.where(q > 0, q * np.log(q / m), 0.0)
    return float(np.sqrt((np.sum(left) + np.sum(right)) / 2))


def measure(method: str, ref: Dist, cur: Dist) -> float:
    """The method's p-value or distance for two non-empty sides."""
    if method in NUMERIC_ONLY and ref.kind != "num":
        raise ValueError(f"{method} applies to numeric columns only")
    if method in ("chisquare", "z") and (ref.keys is None or cur.keys is None):
        raise ValueError(f"{method} needs columns with at most {DISTINCT_CAP} distinct values")
    if method == "ks":
        from scipy import stats

        assert ref.values is not None and cur.values is not None
        return float(stats.ks_2samp(ref.values, cur.values).pvalue)
    if method == "chisquare":
        from scipy import stats

        rc, cc = _aligned_counts(ref, cur)
        return float(stats.chisquare(cc, rc * (cur.size / ref.size)).pvalue)
    if method == "z":
        return _z_test(ref, cur)
    if method == "wasserstein":
        assert ref.values is not None and cur.values is not None
        return wasserstein(ref.values, cur.values) / max(ref.std, 0.001)
    if method == "jensenshannon":
        r, c = _shares(ref, cur, fill_zeros=False)
        return jensen_shannon(r, c)
    if method == "psi":
        r, c = _shares(ref, cur, fill_zeros=True)
        return float(np.sum((r - c) * np.log(r / c)))
    if method == "hellinger":
        r, c = _shares(ref, cur, fill_zeros=False)
        return float(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(r * c)))))
    raise ValueError(f"unknown drift method {method!r}")


def statistic(method: str, ref: np.ndarray, cur: np.ndarray, kind: str) -> float:
    """:func:`measure` on raw non-null values (convenient for small data and tests)."""
    return measure(method, Dist.of_values(kind, ref), Dist.of_values(kind, cur))


def column_drift(column: str, ref: Dist, cur: Dist, method: str | None = None,
                 threshold: float | None = None) -> ColumnDrift:
    """Drift of one column, the method chosen as on the full reference (``ref.size``)."""
    if method is None:
        method = default_method(ref.kind, ref.size, union_distinct(ref, cur))
    t = DEFAULT_THRESHOLD[method] if threshold is None else threshold
    if ref.size == 0 or cur.size == 0:
        return ColumnDrift(column, ref.kind, method, float("nan"), t, False)
    value = measure(method, ref, cur)
    drifted = value < t if method in P_VALUE_METHODS else value >= t
    return ColumnDrift(column, ref.kind, method, value, t, bool(drifted))


MIN_ROWS = 30
"""Rows each side of a comparison needs before a drift verdict is given (default).

With a handful of rows every test is noise: one logged row against a profile
reads as "5/5 columns drifted". Below the minimum the verdict is "not enough
data": no drift verdict and no alert."""

Verdict = Literal["drift", "no drift", "not enough data"]
NOT_ENOUGH_DATA: Verdict = "not enough data"


def enough_rows(reference_rows: int, current_rows: int, min_rows: int) -> bool:
    """Whether both sides hold at least ``min_rows`` rows."""
    return min(reference_rows, current_rows) >= min_rows


def verdict(reference_rows: int, current_rows: int, min_rows: int, drifted: bool) -> Verdict:
    """``drift``, ``no drift``, or ``not enough data`` when a side is below ``min_rows``."""
    if not enough_rows(reference_rows, current_rows, min_rows):
        return NOT_ENOUGH_DATA
    return "drift" if drifted else "no drift"


def dataset_drift(columns: list[ColumnDrift], share: float = 0.5) -> dict[str, Any]:
    drifted = sum(c.drifted for c in columns)
    frac = drifted / len(columns) if columns else 0.0
    return {"dataset_drift": bool(columns) and frac >= share, "drifted_columns": drifted,
            "columns_total": len(columns), "share_drifted": frac, "share_threshold": share}
