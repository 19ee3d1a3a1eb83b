"""Reference profiles: what a table looked like, stored once and merged from chunks.

Per column: kind, row and missing counts, min/max, mean and variance (merged
with Chan et al.'s parallel formula), exact category counts, and exact value
counts of numeric columns while they have few distinct values; plus a uniform
row sample of the numeric columns, which *is* the whole table when it has at
most ``exact_limit`` rows, so tests on small references stay exact. Profiles
of chunks merge into the profile of their union (build in parallel or on Spark):
a :class:`Partial` is the profile of some rows, and two partials merge.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pilotdeck.domain.drift import DISTINCT_CAP, Dist, distinct_counts


@dataclass
class ColumnProfile:
    name: str
    kind: str  # num | cat
    count: int = 0  # non-null values
    missing: int = 0
    min: float | None = None
    max: float | None = None
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    categories: dict[str, int] = field(default_factory=dict)
    # numeric value -> count while there are at most DISTINCT_CAP values; None past it
    distinct: dict[float, int] | None = field(default_factory=dict)

    @property
    def std(self) -> float:
        return float(np.sqrt(self.m2 / self.count)) if self.count else 0.0

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        n = self.count + other.count
        out = ColumnProfile(self.name, self.kind, n, self.missing + other.missing)
        if self.kind == "num":
            mins = [v for v in (self.min, other.min) if v is not None]
            maxs = [v for v in (self.max, other.max) if v is not None]
            out.min, out.max = (min(mins) if mins else None), (max(maxs) if maxs else None)
            if n:
                delta = other.mean - self.mean
                out.mean = self.mean + delta * other.count / n
                out.m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / n
            if self.distinct is None or other.distinct is None:
                out.distinct = None
            else:
                merged = dict(self.distinct)
                for x, v in other.distinct.items():
                    merged[x] = merged.get(x, 0) + v
                out.distinct = merged if len(merged) <= DISTINCT_CAP else None
        else:
            cats = dict(self.categories)
            for k, v in other.categories.items():
                cats[k] = cats.get(k, 0) + v
            out.categories = cats
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "count": self.count,
                "missing": self.missing, "min": self.min, "max": self.max, "mean": self.mean,
                "m2": self.m2, "std": self.std, "categories": self.categories,
                "distinct": None if self.distinct is None else sorted(self.distinct.items())}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnProfile:
        distinct = d.get("distinct", [])
        return cls(d["name"], d["kind"], d["count"], d["missing"], d["min"], d["max"],
                   d["mean"], d["m2"], dict(d["categories"]),
                   None if distinct is None else {float(k): int(v) for k, v in distinct})

    def dist(self, sample: np.ndarray | None) -> Dist:
        """This column as a drift side. ``sample`` holds the numeric sample values
        *sorted* as ``np.sort`` leaves them (-inf first; +inf, then NaN, last), so
        the finite values are one slice."""
        if self.kind == "cat":
            return Dist.of_counts(list(self.categories), list(self.categories.values()))
        vals = np.empty(0)
        if sample is not None:
            vals = sample[np.searchsorted(sample, -np.inf, "right"):
                          np.searchsorted(sample, np.inf, "left")]
        keys = counts = None
        if self.distinct is not None:
            keys = np.array(sorted(self.distinct), dtype=np.float64)
            counts = np.array([self.distinct[k] for k in keys], dtype=np.int64)
        return Dist("num", self.count, vals, keys, counts, self.std, self.min, self.max)


def profile_column(name: str, values: np.ndarray, missing: int) -> ColumnProfile:
    """Profile of one chunk's non-null values of a numeric column."""
    p = ColumnProfile(name, "num", int(len(values)), int(missing))
    if not len(values):
        return p
    p.min, p.max = float(values.min()), float(values.max())
    p.mean = float(values.mean())
    p.m2 = float(((values - p.mean) ** 2).sum())
    # Cheap early exit for continuous columns: a few thousand values already
    # show more distinct values than we would count.
    if len(np.unique(values[: 4 * DISTINCT_CAP])) > DISTINCT_CAP:
        p.distinct = None
    else:
        keys, counts = distinct_counts(np.sort(values))
        p.distinct = (None if keys is None or counts is None else
                      {float(k): int(c) for k, c in zip(keys, counts, strict=True)})
    return p


def profile_categories(name: str, keys: list[str], counts: list[int],
                       missing: int) -> ColumnProfile:
    """Profile of one chunk of a categorical column, from its value counts."""
    return ColumnProfile(name, "cat", int(sum(counts)), int(missing),
                         categories=dict(zip(keys, counts, strict=True)))


def merge_samples(a: np.ndarray, rows_a: int, b: np.ndarray, rows_b: int, limit: int,
                  rng: np.random.Generator) -> np.ndarray:
    """A uniform sample of at most ``limit`` rows of A union B from samples of each.

    Exact (the concatenation) while both fit; otherwise each side contributes
    in proportion to the rows it stands for.
    """
    if len(a) + len(b) <= limit and len(a) == rows_a and len(b) == rows_b:
        return np.concatenate([a, b]) if len(a) and len(b) else (a if len(a) else b)
    total = rows_a + rows_b
    take_a = min(len(a), int(round(limit * rows_a / total)))
    take_b = min(len(b), limit - take_a)
    pick_a = a[rng.choice(len(a), take_a, replace=False)] if take_a < len(a) else a
    pick_b = b[rng.choice(len(b), take_b, replace=False)] if take_b < len(b) else b
    return np.concatenate([pick_a, pick_b])


@dataclass
class Partial:
    cols: dict[str, ColumnProfile]
    sample: np.ndarray  # rows x numeric columns
    rows: int

    def merge(self, other: Partial, numeric: list[str], limit: int,
              rng: np.random.Generator) -> Partial:
        cols = dict(self.cols)
        for c, p in other.cols.items():
            cols[c] = cols[c].merge(p) if c in cols else p
        sample = merge_samples(self.sample, self.rows, other.sample, other.rows, limit, rng)
        return Partial(cols, sample, self.rows + other.rows)

    def dumps(self) -> tuple[str, bytes]:
        """JSON statistics and the sample as .npy bytes (to ship from executors)."""
        buf = io.BytesIO()
        np.save(buf, self.sample, allow_pickle=False)
        return json.dumps([p.as_dict() for p in self.cols.values()]), buf.getvalue()

    @classmethod
    def loads(cls, stats: str, sample: bytes, rows: int) -> Partial:
        cols = {d["name"]: ColumnProfile.from_dict(d) for d in json.loads(stats)}
        return cls(cols, np.load(io.BytesIO(sample), allow_pickle=False), rows)


def empty(numeric: list[str]) -> Partial:
    return Partial({}, np.empty((0, len(numeric))), 0)


def merge_all(parts: Iterable[Partial], numeric: list[str], limit: int,
              rng: np.random.Generator) -> Partial:
    acc = empty(numeric)
    for p in parts:
        acc = acc.merge(p, numeric, limit, rng)
    return acc
