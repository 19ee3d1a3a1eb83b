"""Data-quality checks of a current sample against its reference (pure).

Reported next to drift: missing-value rates and their change, values outside
the reference range, categories the reference never had, and columns that
have become (or were) constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_LISTED = 10


@dataclass
class ColumnQuality:
    column: str
    kind: str
    missing_reference: float
    missing_current: float
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind,
                "missing_reference": self.missing_reference,
                "missing_current": self.missing_current,
                "missing_change": self.missing_current - self.missing_reference,
                "problems": self.problems, **self.details}


def column_quality(column: str, kind: str, ref: np.ndarray, cur: np.ndarray,
                   missing_ref: float, missing_cur: float,
                   missing_tolerance: float = 0.05) -> ColumnQuality:
    """``ref``/``cur`` are the non-null values; missing shares come from the caller."""
    q = ColumnQuality(column, kind, missing_ref, missing_cur)
    if missing_cur - missing_ref > missing_tolerance:
        q.problems.append(f"missing values rose from {missing_ref:.1%} to {missing_cur:.1%}")
    if len(cur) and len(np.unique(cur)) == 1:
        q.problems.append("constant in the current data")
    elif len(ref) and len(np.unique(ref)) == 1:
        q.details["constant_in_reference"] = True
    if not len(ref) or not len(cur):
        return q
    if kind == "num":
        lo, hi = float(ref.min()), float(ref.max())
        outside = float(np.mean((cur < lo) | (cur > hi)))
        q.details.update(reference_min=lo, reference_max=hi, out_of_range=outside)
        if outside > 0:
            q.problems.append(f"{outside:.1%} of values outside the reference range "
                              f"[{lo:.4g}, {hi:.4g}]")
    else:
        seen = set(np.unique(ref).tolist())
        new_values, counts = np.unique(cur, return_counts=True)
        unseen = [(str(v), int(c)) for v, c in zip(new_values, counts, strict=True)
                  if v not in seen]
        share = sum(c for _, c in unseen) / len(cur)
        q.details.update(unseen_categories=[v for v, _ in unseen[:MAX_LISTED]],
                         unseen_share=share)
        if unseen:
            q.problems.append(f"{len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} "
                              f"unseen in the reference ({share:.1%} of rows)")
    return q
