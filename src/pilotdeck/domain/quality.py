"""Data-quality checks of a current sample against its reference (pure).

Reported next to drift: missing-value rates and their change, values outside
the reference range, categories the reference never had, and columns that
have become (or were) constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pilotdeck.domain.drift import Dist

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


def column_quality(column: str, ref: Dist, cur: Dist, missing_ref: float, missing_cur: float,
                   missing_tolerance: float = 0.05) -> ColumnQuality:
    """Quality of one column's current side; missing shares come from the caller."""
    q = ColumnQuality(column, ref.kind, missing_ref, missing_cur)
    if missing_cur - missing_ref > missing_tolerance:
        q.problems.append(f"missing values rose from {missing_ref:.1%} to {missing_cur:.1%}")
    if cur.size and cur.n_distinct == 1:
        q.problems.append("constant in the current data")
    elif ref.size and ref.n_distinct == 1:
        q.details["constant_in_reference"] = True
    if not ref.size or not cur.size:
        return q
    if ref.kind == "num":
        assert ref.min is not None and ref.max is not None and cur.values is not None
        lo, hi = ref.min, ref.max
        below = np.searchsorted(cur.values, lo, "left")
        above = len(cur.values) - np.searchsorted(cur.values, hi, "right")
        outside = float((below + above) / len(cur.values))
        q.details.update(reference_min=lo, reference_max=hi, out_of_range=outside)
        if outside > 0:
            q.problems.append(f"{outside:.1%} of values outside the reference range "
                              f"[{lo:.4g}, {hi:.4g}]")
    else:
        assert ref.keys is not None and cur.keys is not None and cur.counts is not None
        new = ~np.isin(cur.keys, ref.keys)
        unseen = [(str(v), int(c)) for v, c in zip(cur.keys[new], cur.counts[new], strict=True)]
        unseen.sort(key=lambda vc: -vc[1])
        share = sum(c for _, c in unseen) / cur.size
        q.details.update(unseen_categories=[v for v, _ in unseen[:MAX_LISTED]],
                         unseen_share=share)
        if unseen:
            q.problems.append(f"{len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} "
                              f"unseen in the reference ({share:.1%} of rows)")
    return q
