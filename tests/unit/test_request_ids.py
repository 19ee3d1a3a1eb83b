"""Request ids carry an HMAC: feedback is checked without a lookup."""

from __future__ import annotations

import pytest

from pilotdeck.gateway.request_ids import LENGTH, RequestIds


def test_an_id_is_valid_only_for_its_pilot_and_key() -> None:
    ids = RequestIds(b"k" * 32)
    rid = ids.new("churn")
    assert len(rid) == LENGTH and rid.isalnum()
    assert ids.issued(rid, "churn")
    assert not ids.issued(rid, "fraud")
    assert not RequestIds(b"j" * 32).issued(rid, "churn")
    flipped = rid[:-1] + ("0" if rid[-1] != "0" else "1")
    assert not ids.issued(flipped, "churn")
    assert not ids.issued(rid[:32], "churn")  # the old uuid4-hex form proves nothing
    assert len({ids.new("churn") for _ in range(1000)}) == 1000


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        RequestIds(b"short")
