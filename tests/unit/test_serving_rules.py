"""Deployment rules and sticky routing."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.serving import BUCKETS, DeploymentSpec, Router, Variant, bucket


def spec(**kw: object) -> DeploymentSpec:
    base = {"variants": [{"name": "champion", "version": 1, "weight": 90},
                         {"name": "challenger", "version": 2, "weight": 10}]}
    return DeploymentSpec.parse({**base, **kw})


def test_rules_name_the_problem() -> None:
    with pytest.raises(ValidationFailed) as exc:
        DeploymentSpec.parse({"variants": [{"name": "a", "version": 1, "weight": 1}]})
    assert "champion" in str(exc.value)
    with pytest.raises(ValidationFailed):
        spec(shadow=[2])
    with pytest.raises(ValidationFailed) as exc:
        spec(breaker={"errorRate": 2})
    assert exc.value.errors[0].field == "breaker.errorRate"
    with pytest.raises(ValidationFailed) as exc:
        spec().with_weights({"nope": 3})
    assert exc.value.errors[0].field == "weights.nope"


def test_split_follows_weights() -> None:
    r = Router(spec().variants)
    counts = Counter(r.pick(f"user-{i}") for i in range(20_000))
    assert 0.08 < counts["challenger"] / 20_000 < 0.12


@settings(max_examples=100)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=50),
       st.floats(1, 99))
def test_sticky_and_monotone_when_weights_move(keys: list[str], w: float) -> None:
    base = Router([Variant(name="champion", version=1, weight=100 - w),
                   Variant(name="challenger", version=2, weight=w)])
    more = Router([Variant(name="champion", version=1, weight=100 - w - 0.5),
                   Variant(name="challenger", version=2, weight=w + 0.5)])
    for k in keys:
        assert base.pick(k) == base.pick(k)  # sticky
        if base.pick(k) == "challenger":  # more challenger weight never moves one back
            assert more.pick(k) == "challenger"
        assert 0 <= bucket(k) < BUCKETS


def test_zero_weight_variant_gets_nothing() -> None:
    r = Router(spec().with_weights({"challenger": 0}).variants)
    assert {r.pick(f"u{i}") for i in range(2000)} == {"champion"}


def test_rollback_moves_the_share_to_the_champion_even_after_a_full_cut_over() -> None:
    assert [v.weight for v in spec().rolled_back("challenger").variants] == [100, 0]
    cut_over = spec().with_weights({"champion": 0, "challenger": 100})
    back = cut_over.rolled_back("challenger")  # zeroing alone would leave no traffic
    assert [(v.name, v.weight) for v in back.variants] == [("champion", 100), ("challenger", 0)]
    three = DeploymentSpec.parse({"variants": [
        {"name": "champion", "version": 1, "weight": 50},
        {"name": "b", "version": 2, "weight": 30}, {"name": "c", "version": 3, "weight": 20}]})
    assert [v.weight for v in three.rolled_back("c").variants] == [70, 30, 0]
