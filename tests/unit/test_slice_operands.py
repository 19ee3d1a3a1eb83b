"""Slice conditions with operands a column cannot be compared with are input
errors (422 naming the condition), not numpy crashes (500)."""

from __future__ import annotations

import numpy as np
import pytest

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.performance import check_slices, slice_mask

DATA = {"age": np.array([25.0, 40.0, 61.0]), "region": np.array(["n", "s", "n"])}


@pytest.mark.parametrize(("conds", "field"), [
    ({"x": {"age": {">=": "abc"}}}, "slices.x.age.>="),
    ({"x": {"region": {"<": 5}}}, "slices.x.region.<"),
    ({"x": {"age": {">=": None}}}, "slices.x.age.>="),
    ({"x": {"age": {">": {"nested": 1}}}}, "slices.x.age.>"),
    ({"x": {"age": {"in": 30}}}, "slices.x.age.in"),
    ({"x": {"age": {"<": float("nan")}}}, "slices.x.age.<"),
])
def test_bad_operands_name_the_condition(conds: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_slices(conds, list(DATA))
        for name, c in conds.items():
            slice_mask(DATA, c, name)
    assert [e.field for e in err.value.errors] == [field]


def test_good_operands_still_select_rows() -> None:
    conds = {"older-north": {"age": {">=": 40}, "region": {"in": ["n"]}}}
    check_slices(conds, list(DATA))
    assert slice_mask(DATA, conds["older-north"], "older-north").tolist() == [False, False, True]
