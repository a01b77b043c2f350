"""RFC 6962 Merkle tree: leaf and node hashes, proofs built from stored complete subtrees, RFC 9162 verification."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# A stored node: (level, index) is the complete subtree over leaves [index * 2**level, (index + 1) * 2**level).
Node = tuple[int, int]
# A half-open leaf range [start, end) whose Merkle tree hash (MTH) is a proof element.
_Range = tuple[int, int]


class MissingNodeError(LookupError):
    """A proof or root needs a stored node that was not supplied."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the leaf hashes, straight from the RFC 6962 §2.1 definition (the reference for everything else)."""

    def mth(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaf_hashes[start]
        mid = start + _split(end - start)
        return node_hash(mth(start, mid), mth(mid, end))

    return mth(0, len(leaf_hashes)) if leaf_hashes else EMPTY_ROOT


def build_nodes(leaf_hashes: Sequence[bytes]) -> dict[Node, bytes]:
    """Every complete-subtree node of the tree over `leaf_hashes`, as a log that appended them would store them."""
    nodes: dict[Node, bytes] = {}
    level_hashes = list(leaf_hashes)
    level = 0
    while level_hashes:
        for index, value in enumerate(level_hashes):
            nodes[(level, index)] = value
        level_hashes = [node_hash(level_hashes[i], level_hashes[i + 1]) for i in range(0, len(level_hashes) - 1, 2)]
        level += 1
    return nodes


def nodes_needed_for_append(leaf_index: int) -> list[Node]:
    """The stored left siblings that appending leaf `leaf_index` combines with (fetch them in one query)."""
    _check_size(leaf_index, "leaf_index")
    needed = []
    level, index = 0, leaf_index
    while index & 1:
        needed.append((level, index - 1))
        level, index = level + 1, index >> 1
    return needed


def nodes_completed_by_append(
    leaf_index: int, leaf_hash: bytes, get_node: Callable[[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """The nodes to store when leaf `leaf_index` is appended: (0, leaf_index) and every subtree it completes.

    `get_node(level, index)` returns an already stored node; it is called only for the left siblings listed by
    `nodes_needed_for_append`, so a caller can fetch those in one query and pass a lookup into them.
    """
    _check_size(leaf_index, "leaf_index")
    _check_hash(leaf_hash, "leaf_hash")
    completed = [(0, leaf_index, leaf_hash)]
    value, level, index = leaf_hash, 0, leaf_index
    while index & 1:
        value = node_hash(get_node(level, index - 1), value)
        level, index = level + 1, index >> 1
        completed.append((level, index, value))
    return completed


def _range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up the RFC subtree [start, end), largest first."""
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 6962 tree")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    # MTH([start, end)) splits at the largest power of two, so the complete parts fold from the right.
    parts = _range_nodes(start, end)
    try:
        hashes = [nodes[node] for node in parts]
    except KeyError as exc:
        raise MissingNodeError(f"stored node {exc.args[0]} is needed for leaves [{start}, {end})") from None
    value = hashes[-1]
    for left in reversed(hashes[:-1]):
        value = node_hash(left, value)
    return value


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    """RFC 6962 §2.1.1 PATH(index, D[0:size]) as leaf ranges, deepest sibling first."""
    _check_size(size, "size")
    _check_size(index, "index")
    if index >= size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    return ranges[::-1]


def _consistency_ranges(old_size: int, new_size: int) -> list[_Range]:
    """RFC 6962 §2.1.2 PROOF(old_size, D[0:new_size]) as leaf ranges, in proof order."""
    _check_size(old_size, "old_size")
    _check_size(new_size, "new_size")
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges = []
    start, end, m, known_root = 0, new_size, old_size, True
    while end - start != m:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, known_root = start + k, m - k, False
    if not known_root:
        ranges.append((start, end))
    return ranges[::-1]


def _unique_nodes(ranges: Sequence[_Range]) -> list[Node]:
    seen: dict[Node, None] = {}
    for start, end in ranges:
        for node in _range_nodes(start, end):
            seen.setdefault(node)
    return list(seen)


def root_nodes(size: int) -> list[Node]:
    """The complete subtrees whose hashes give the root of a tree of `size` leaves (at most log2(size) + 1)."""
    _check_size(size, "size")
    return _range_nodes(0, size)


def inclusion_proof_nodes(index: int, size: int) -> list[Node]:
    """The stored nodes from which the inclusion proof of leaf `index` in a tree of `size` is built."""
    return _unique_nodes(_inclusion_ranges(index, size))


def consistency_proof_nodes(old_size: int, new_size: int) -> list[Node]:
    """The stored nodes from which the consistency proof between two tree sizes is built."""
    return _unique_nodes(_consistency_ranges(old_size, new_size))


def root_from_nodes(size: int, nodes: Mapping[Node, bytes]) -> bytes:
    """The root of a tree of `size` leaves from its `root_nodes` (EMPTY_ROOT for size 0)."""
    _check_size(size, "size")
    return _range_hash(0, size, nodes) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The RFC 6962 audit path of leaf `index` in a tree of `size`, from the fetched `inclusion_proof_nodes`."""
    return [_range_hash(start, end, nodes) for start, end in _inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The RFC 6962 consistency proof between two sizes, from the fetched `consistency_proof_nodes`."""
    return [_range_hash(start, end, nodes) for start, end in _consistency_ranges(old_size, new_size)]


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` lead from the leaf at `index` to `root` of a tree of `size`?"""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    fn, sn, value = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            value = node_hash(value, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(value, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of `new_size` with `new_root` an append-only extension of the old one?

    Equal sizes need equal roots and an empty proof; an empty old tree needs EMPTY_ROOT and an empty proof.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_value = new_value = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_value = node_hash(sibling, old_value)
            new_value = node_hash(sibling, new_value)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_value = node_hash(new_value, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(old_value, old_root) and hmac.compare_digest(new_value, new_root)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_size(value: object, name: str) -> None:
    if not _is_size(value):
        raise ValueError(f"{name} must be a non-negative int, not {value!r}")


def _check_hash(value: object, name: str) -> None:
    if not _is_hash(value):
        raise ValueError(f"{name} must be {HASH_SIZE} bytes")
