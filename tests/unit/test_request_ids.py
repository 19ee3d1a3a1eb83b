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


def test_tags_match_the_documented_hmac_and_nonces_never_repeat_across_pools() -> None:
    import hashlib
    import hmac

    ids = RequestIds(b"k" * 32)
    seen = set()
    for _ in range(3000):  # about three refills of the nonce pool
        rid = ids.new("churn")
        nonce, tag = rid[:24], rid[24:]
        assert tag == hmac.new(b"k" * 32, f"churn\0{nonce}".encode(),
                               hashlib.sha256).hexdigest()[:16]
        seen.add(nonce)
    assert len(seen) == 3000


def test_a_forked_child_does_not_reuse_the_parents_nonces() -> None:
    import os

    ids = RequestIds(b"k" * 32)
    ids.new("churn")  # the pool now holds unread nonces
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ids.new("churn").encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100).decode() != ids.new("churn")
