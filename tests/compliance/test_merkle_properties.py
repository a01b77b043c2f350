"""Property tests: proofs from stored nodes equal the RFC 6962 reference and verify; any change breaks them."""

import functools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.merkle import (
    build_nodes,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    nodes_completed_by_append,
    root_from_nodes,
    root_nodes,
    root_of,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 1000
PROPERTY = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]), recursively over leaf hashes."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return _reference_path(m, leaves[:k]) + [root_of(leaves[k:])]
    return _reference_path(m - k, leaves[k:]) + [root_of(leaves[:k])]


def _reference_subproof(m: int, leaves: list[bytes], known: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b), recursively over leaf hashes."""
    n = len(leaves)
    if m == n:
        return [] if known else [root_of(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return _reference_subproof(m, leaves[:k], known) + [root_of(leaves[k:])]
    return _reference_subproof(m - k, leaves[k:], False) + [root_of(leaves[:k])]


@functools.cache
def _log(salt: int) -> tuple[list[bytes], dict]:
    """MAX_LEAVES distinct leaf hashes and every stored node; the prefix of size n is the log at size n."""
    leaves = [leaf_hash(f"{salt}:{i}".encode()) for i in range(MAX_LEAVES)]
    return leaves, build_nodes(leaves)


def _flip(value: bytes, position: int, mask: int) -> bytes:
    position %= len(value)
    return value[:position] + bytes([value[position] ^ mask]) + value[position + 1:]


salts = st.integers(0, 3)
masks = st.integers(1, 255)


@st.composite
def leaf_in_tree(draw):
    size = draw(st.integers(1, MAX_LEAVES))
    return draw(salts), draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw):
    new = draw(st.integers(1, MAX_LEAVES))
    return draw(salts), draw(st.integers(1, new)), new


@PROPERTY
@given(leaf_in_tree())
def test_inclusion_proof_from_stored_nodes_is_the_reference_path_and_verifies(case):
    salt, index, size = case
    leaves, nodes = _log(salt)
    fetched = {node: nodes[node] for node in inclusion_proof_nodes(index, size)}
    proof = inclusion_proof(index, size, fetched)
    assert proof == _reference_path(index, leaves[:size])
    assert len(fetched) <= 2 * size.bit_length()
    assert verify_inclusion(leaves[index], index, size, proof, root_of(leaves[:size]))


@PROPERTY
@given(two_sizes())
def test_consistency_proof_from_stored_nodes_is_the_reference_and_verifies(case):
    salt, old, new = case
    leaves, nodes = _log(salt)
    fetched = {node: nodes[node] for node in consistency_proof_nodes(old, new)}
    proof = consistency_proof(old, new, fetched)
    assert proof == ([] if old == new else _reference_subproof(old, leaves[:new], True))
    assert len(fetched) <= 2 * new.bit_length()
    assert verify_consistency(old, new, root_of(leaves[:old]), root_of(leaves[:new]), proof)


@PROPERTY
@given(leaf_in_tree(), st.sampled_from(["leaf", "proof", "root"]), st.integers(0, 10**6), masks)
def test_any_single_byte_change_breaks_an_inclusion_proof(case, target, position, mask):
    salt, index, size = case
    leaves, nodes = _log(salt)
    leaf, root = leaves[index], root_from_nodes(size, nodes)
    proof = inclusion_proof(index, size, nodes)
    if target == "leaf":
        leaf = _flip(leaf, position, mask)
    elif target == "root":
        root = _flip(root, position, mask)
    elif proof:
        at = position % len(proof)
        proof[at] = _flip(proof[at], position // len(proof), mask)
    else:
        leaf = _flip(leaf, position, mask)  # a one-leaf tree has no proof node to change
    assert not verify_inclusion(leaf, index, size, proof, root)


@PROPERTY
@given(two_sizes(), st.sampled_from(["old_root", "new_root", "proof"]), st.integers(0, 10**6), masks)
def test_any_single_byte_change_breaks_a_consistency_proof(case, target, position, mask):
    salt, old, new = case
    leaves, nodes = _log(salt)
    old_root, new_root = root_of(leaves[:old]), root_of(leaves[:new])
    proof = consistency_proof(old, new, nodes)
    if target == "old_root":
        old_root = _flip(old_root, position, mask)
    elif target == "new_root" or not proof:
        new_root = _flip(new_root, position, mask)
    else:
        at = position % len(proof)
        proof[at] = _flip(proof[at], position // len(proof), mask)
    assert not verify_consistency(old, new, old_root, new_root, proof)


@PROPERTY
@given(leaf_in_tree(), st.integers(1, MAX_LEAVES))
def test_a_proof_for_another_tree_size_fails(case, other):
    salt, index, size = case
    if other == size or index >= other:
        other = size + 1 if size < MAX_LEAVES else index + 1
    if other == size:
        return
    leaves, nodes = _log(salt)
    proof_for_other = inclusion_proof(index, other, nodes)
    assert not verify_inclusion(leaves[index], index, size, proof_for_other, root_of(leaves[:size]))


@PROPERTY
@given(two_sizes(), st.integers(1, MAX_LEAVES))
def test_a_consistency_proof_for_other_sizes_fails(case, other):
    salt, old, new = case
    if other in (old, new) or other > new:
        return
    leaves, nodes = _log(salt)
    proof = consistency_proof(other, new, nodes)
    assert not verify_consistency(old, new, root_of(leaves[:old]), root_of(leaves[:new]), proof)


def test_appends_store_exactly_the_complete_subtrees():
    leaves, _ = _log(0)
    stored: dict = {}
    for index, value in enumerate(leaves[:300]):
        for level, i, node in nodes_completed_by_append(index, value, lambda lv, ix: stored[(lv, ix)]):
            stored[(level, i)] = node
        size = index + 1
        complete = {(level, i) for level in range(size.bit_length()) for i in range(size >> level)}
        assert set(stored) == complete
        assert root_from_nodes(size, stored) == root_of(leaves[:size])
        assert set(root_nodes(size)) <= complete
    # Each stored node is the MTH of the leaves it covers.
    for (level, i), node in stored.items():
        assert node == root_of(leaves[i << level:(i + 1) << level])
    assert node_hash(stored[(0, 0)], stored[(0, 1)]) == stored[(1, 0)]
