"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs, pure functions.

Leaves are ``SHA-256(0x00 || data)``, interior nodes ``SHA-256(0x01 || l || r)``.
Stored trees are addressed by ``(level, index)`` of *perfect* subtrees: node
``(L, i)`` covers leaves ``[i * 2**L, (i + 1) * 2**L)``. Proof builders take a
``node(level, index)`` lookup so the store can serve them from saved nodes in
O(log n) reads instead of rehashing every leaf.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

Hash = bytes
NodeLookup = Callable[[int, int], Hash]
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_digest = type(hashlib.sha256()).digest


def leaf_hash(data: bytes) -> Hash:
    return _sha256(b"\x00" + data).digest()


def leaf_hashes(datas: Iterable[bytes]) -> list[Hash]:
    """``leaf_hash`` of each, as C-level ``map`` passes (no Python frame per leaf:
    what lets verify hash a block of events at the speed of hashlib itself)."""
    return list(map(_digest, map(_sha256, map(b"\x00".__add__, datas))))


def node_hash(left: Hash, right: Hash) -> Hash:
    return _sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The ``k`` of RFC 6962: the largest power of two strictly less than ``n``."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The compact range [0, size): one perfect subtree root per set bit of ``size``.

    Appending a leaf merges equal-sized subtrees like a binary counter, so each
    append costs one leaf hash plus amortised one node hash, and the root of the
    current tree is available at any time in O(log n).
    """

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: Sequence[Hash] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("frontier does not match tree size")
        self.size = size
        self.hashes: list[Hash] = list(hashes)

    def append(self, leaf: Hash) -> list[tuple[int, int, Hash]]:
        """Add one leaf hash; return the new perfect nodes as ``(level, index, hash)``."""
        return self.append_subtree(0, leaf)

    def append_subtree(self, level: int, root: Hash) -> list[tuple[int, int, Hash]]:
        """Add the root of a perfect subtree of ``2**level`` leaves; the size must be
        a multiple of ``2**level``. Return the nodes the merge creates above it."""
        if self.size & ((1 << level) - 1):
            raise ValueError(f"a subtree of level {level} cannot start at {self.size}")
        hashes = self.hashes
        hashes.append(root)
        self.size += 1 << level
        size = self.size
        created: list[tuple[int, int, Hash]] = []
        while not (size >> level) & 1:  # merge while the counter carries
            right = hashes.pop()
            left = hashes.pop()
            merged = _sha256(b"\x01" + left + right).digest()
            level += 1
            hashes.append(merged)
            created.append((level, (size >> level) - 1, merged))
        return created

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)

    def root(self) -> Hash:
        if not self.hashes:
            return EMPTY_ROOT
        it = reversed(self.hashes)
        acc = next(it)
        for h in it:
            acc = node_hash(h, acc)
        return acc


def levels(leaves: list[Hash]) -> list[list[Hash]]:
    """Every perfect subtree over a block of leaves, level by level: ``out[L][j]``
    covers leaves ``[j * 2**L, (j + 1) * 2**L)`` of the block. One C-level
    ``map`` pass per level, so a verifier hashes a block without a Python
    frame per node (a block that starts at a multiple of its own size has the
    same nodes as the log's tree over those leaves)."""
    out = [leaves]
    while len(out[-1]) > 1:
        cur = out[-1]
        pairs = map(bytes.__add__, cur[::2], cur[1::2])
        out.append(list(map(_digest, map(_sha256, map(b"\x01".__add__, pairs)))))
    return out


def root_of(leaves: Iterable[Hash]) -> Hash:
    """Root hash of a whole list of leaf hashes (reference implementation)."""
    f = Frontier()
    for leaf in leaves:
        f.append(leaf)
    return f.root()


def subtree_hash(start: int, end: int, node: NodeLookup) -> Hash:
    """MTH(D[start:end]) built from stored perfect nodes."""
    n = end - start
    if n <= 0:
        raise ValueError("empty range")
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return node(level, start >> level)
    k = largest_power_of_two_below(n)
    return node_hash(subtree_hash(start, start + k, node), subtree_hash(start + k, end, node))


def inclusion_proof(index: int, size: int, node: NodeLookup) -> list[Hash]:
    """PATH(index, D[0:size]) of RFC 6962 section 2.1.1."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[Hash] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index < start + k:
            path.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, node))
            start = start + k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, node: NodeLookup) -> list[Hash]:
    """PROOF(old_size, D[0:new_size]) of RFC 6962 section 2.1.2."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size == new_size:
        return []
    out: list[Hash] = []
    m, start, end, complete = old_size, 0, new_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                out.append(subtree_hash(start, end, node))
            break
        k = largest_power_of_two_below(n)
        if m <= k:
            out.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            out.append(subtree_hash(start, start + k, node))
            start, m, complete = start + k, m - k, False
    out.reverse()
    return out


def verify_inclusion(
    leaf: Hash, index: int, size: int, proof: Sequence[Hash], root: Hash
) -> bool:
    """RFC 9162 section 2.1.3.2: does ``proof`` put ``leaf`` at ``index`` under ``root``?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: Hash, new_root: Hash, proof: Sequence[Hash]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree ``new_root`` an append-only extension?"""
    if old_size < 1 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
