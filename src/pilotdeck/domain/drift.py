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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial import distance

P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})
DEFAULT_THRESHOLD = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1,
                     "jensenshannon": 0.1, "psi": 0.1, "hellinger": 0.1}
METHODS = frozenset(DEFAULT_THRESHOLD)


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


def _shares(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of each value in both samples over the union of values (sorted)."""
    keys, inverse = np.unique(np.concatenate([ref, cur]), return_inverse=True)
    ref_counts = np.bincount(inverse[: len(ref)], minlength=len(keys))
    cur_counts = np.bincount(inverse[len(ref):], minlength=len(keys))
    return keys, ref_counts, cur_counts


def _binned(ref: np.ndarray, cur: np.ndarray, kind: str,
            fill_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    """Share of each sample per bucket: Sturges bins over both samples for
    numeric columns with > 20 distinct reference values, else per value."""
    if kind == "num" and len(np.unique(ref)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, edges)[0] / len(ref)
        c = np.histogram(cur, edges)[0] / len(cur)
    else:
        _, rc, cc = _shares(ref, cur)
        r, c = rc / len(ref), cc / len(cur)
    if fill_zeros:  # avoid log(0) in PSI, as Evidently does
        for arr in (r, c):
            smallest = arr[arr > 0].min() if (arr > 0).any() else 1.0
            arr[arr == 0] = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    return r.astype(float), c.astype(float)


def _z_test(ref: np.ndarray, cur: np.ndarray) -> float:
    keys = np.unique(np.concatenate([ref, cur]))
    if len(keys) == 1:
        return 1.0
    p1, p2 = float(np.mean(ref != keys[0])), float(np.mean(cur != keys[0]))
    n1, n2 = len(ref), len(cur)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    denom = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if denom == 0:
        return 1.0
    return float(2 * (1 - stats.norm.cdf(abs((p1 - p2) / denom))))


def statistic(method: str, ref: np.ndarray, cur: np.ndarray, kind: str) -> float:
    """The method's p-value or distance for two non-empty, null-free samples."""
    if method == "ks":
        return float(stats.ks_2samp(ref, cur).pvalue)
    if method == "chisquare":
        _, rc, cc = _shares(ref, cur)
        return float(stats.chisquare(cc, rc * (len(cur) / len(ref))).pvalue)
    if method == "z":
        return _z_test(ref, cur)
    if method == "wasserstein":
        return float(stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001))
    if method == "jensenshannon":
        r, c = _binned(ref, cur, kind, fill_zeros=False)
        return float(distance.jensenshannon(r, c))
    if method == "psi":
        r, c = _binned(ref, cur, kind, fill_zeros=True)
        return float(np.sum((r - c) * np.log(r / c)))
    if method == "hellinger":
        r, c = _binned(ref, cur, kind, fill_zeros=False)
        return float(np.sqrt(max(0.0, 1 - np.sum(np.sqrt(r * c)))))
    raise ValueError(f"unknown drift method {method!r}")


def column_drift(column: str, ref: np.ndarray, cur: np.ndarray, kind: str,
                 method: str | None = None, threshold: float | None = None,
                 ref_size: int | None = None) -> ColumnDrift:
    """Drift of one column; ``ref`` and ``cur`` hold its non-null values.

    ``ref_size`` is the reference's true non-null count when ``ref`` is a sample
    of it (a stored profile), so the method is chosen as on the full data.
    """
    if method is None:
        n_values = len(np.unique(np.concatenate([ref, cur]))) if len(ref) + len(cur) else 0
        method = default_method(kind, len(ref) if ref_size is None else ref_size, n_values)
    t = DEFAULT_THRESHOLD[method] if threshold is None else threshold
    if len(ref) == 0 or len(cur) == 0:
        return ColumnDrift(column, kind, method, float("nan"), t, False)
    value = statistic(method, ref, cur, kind)
    drifted = value < t if method in P_VALUE_METHODS else value >= t
    return ColumnDrift(column, kind, method, value, t, bool(drifted))


def dataset_drift(columns: list[ColumnDrift], share: float = 0.5) -> dict[str, Any]:
    drifted = sum(c.drifted for c in columns)
    frac = drifted / len(columns) if columns else 0.0
    return {"dataset_drift": bool(columns) and frac >= share, "drifted_columns": drifted,
            "columns_total": len(columns), "share_drifted": frac, "share_threshold": share}
