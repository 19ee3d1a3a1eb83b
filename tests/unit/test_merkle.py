"""RFC 6962 tree, proofs and their verification, against a naive reference."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pilotdeck.audit import merkle


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.largest_power_of_two_below(len(leaves))
    return merkle.node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def build(n: int) -> tuple[list[bytes], dict[tuple[int, int], bytes], merkle.Frontier]:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
    nodes = {(0, i): h for i, h in enumerate(leaves)}
    f = merkle.Frontier()
    for h in leaves:
        for level, idx, nh in f.append(h):
            nodes[(level, idx)] = nh
    return leaves, nodes, f


def test_known_answer_rfc6962_empty_and_single() -> None:
    assert merkle.Frontier().root().hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    # RFC 6962 leaf hash of the empty string.
    assert merkle.leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=140))
def test_frontier_root_matches_rfc_definition_and_stored_nodes(n: int) -> None:
    leaves, nodes, f = build(n)
    assert f.root() == naive_root(leaves)
    for (level, idx), h in nodes.items():
        assert h == naive_root(leaves[idx << level : (idx + 1) << level])


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_inclusion_proofs_verify_and_reject_tampering(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=130))
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    leaves, nodes, f = build(n)
    proof = merkle.inclusion_proof(i, n, lambda lv, ix: nodes[(lv, ix)])
    root = f.root()
    assert merkle.verify_inclusion(leaves[i], i, n, proof, root)
    assert len(proof) <= (n - 1).bit_length()
    wrong = merkle.leaf_hash(b"forged")
    assert not merkle.verify_inclusion(wrong, i, n, proof, root)
    if n > 1:
        assert not merkle.verify_inclusion(leaves[i], (i + 1) % n, n, proof, root)
    if proof:
        bad = list(proof)
        bad[0] = merkle.leaf_hash(b"x")
        assert not merkle.verify_inclusion(leaves[i], i, n, bad, root)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_consistency_proofs_verify_and_reject_rewritten_history(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=130))
    m = data.draw(st.integers(min_value=1, max_value=n))
    leaves, nodes, _ = build(n)
    proof = merkle.consistency_proof(m, n, lambda lv, ix: nodes[(lv, ix)])
    old, new = naive_root(leaves[:m]), naive_root(leaves)
    assert merkle.verify_consistency(m, n, old, new, proof)
    if m < n:
        rewritten = list(leaves[:m])
        rewritten[m - 1] = merkle.leaf_hash(b"rewritten")
        assert not merkle.verify_consistency(m, n, naive_root(rewritten), new, proof)
        assert not merkle.verify_consistency(m, n, old, merkle.leaf_hash(b"y"), proof)
