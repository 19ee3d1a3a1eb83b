"""Reference profiles: what a table looked like, stored once and merged from chunks.

Per column: kind, row and missing counts, min/max, mean and variance (merged
with Chan et al.'s parallel formula), exact category counts; plus a uniform
row sample of the numeric columns, which *is* the whole table when it has at
most ``exact_limit`` rows, so tests on small references stay exact. Profiles
of chunks merge into the profile of their union (build in parallel or on Spark).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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
        else:
            cats = dict(self.categories)
            for k, v in other.categories.items():
                cats[k] = cats.get(k, 0) + v
            out.categories = cats
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "count": self.count,
                "missing": self.missing, "min": self.min, "max": self.max, "mean": self.mean,
                "m2": self.m2, "std": self.std, "categories": self.categories}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnProfile:
        return cls(d["name"], d["kind"], d["count"], d["missing"], d["min"], d["max"],
                   d["mean"], d["m2"], dict(d["categories"]))


def profile_column(name: str, kind: str, values: np.ndarray, missing: int) -> ColumnProfile:
    """Profile of one chunk's non-null values of a column."""
    p = ColumnProfile(name, kind, int(len(values)), int(missing))
    if not len(values):
        return p
    if kind == "num":
        p.min, p.max = float(values.min()), float(values.max())
        p.mean = float(values.mean())
        p.m2 = float(((values - p.mean) ** 2).sum())
    else:
        keys, counts = np.unique(values, return_counts=True)
        p.categories = {str(k): int(c) for k, c in zip(keys, counts, strict=True)}
    return p


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
