"""Known-answer tests for the RFC 6962 Merkle tree, and the stored-node proofs against them."""

import hashlib

import pytest

from compliance.merkle import (
    EMPTY_ROOT,
    MissingNodeError,
    build_nodes,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    nodes_completed_by_append,
    nodes_needed_for_append,
    root_from_nodes,
    root_nodes,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# Vectors copied from the Go transparency-dev/merkle project (Apache-2.0), which carries the Certificate
# Transparency reference test data:
#   testonly/constants.go   @ 582a6ad190b6848f1d26f8bf08ddef29955d9db1  (LeafInputs, NodeHashes, RootHashes)
#   proof/verify_test.go    @ 02194e9afb6c1d95b5381350007963aa70fff472  (inclusionProofs, consistencyProofs)
#   testonly/reference_test.go @ 141d627eab770a7e9a2514f46a8b6338e6d90874 (TestRefInclusionProof/ConsistencyProof)
LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
LEAF_HASHES = [leaf_hash(entry) for entry in LEAVES]

# RootHashes(): index = tree size.
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]

# NodeHashes(): [level][index] for every complete subtree of the 8-leaf tree.
NODE_HASHES = [[bytes.fromhex(h) for h in level] for level in (
    ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",),
)]


def _hashes(*hexes):
    return [bytes.fromhex(h) for h in hexes]


_H96, _H5F, _H6B = ("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")
_HBC, _HCA, _HD3 = ("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")
_H6E, _HFA, _H0E, _HB0 = ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                          "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                          "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                          "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f")

# (0-based leaf index, tree size, proof): verify_test.go inclusionProofs (there 1-based) and the
# reference_test.go TestRefInclusionProof cases.
INCLUSION = [
    (0, 1, []),
    (0, 2, _hashes(_H96)),
    (1, 2, _hashes(_H6E)),
    (2, 3, _hashes(_HFA)),
    (1, 5, _hashes(_H6E, _H5F, _HBC)),
    (0, 8, _hashes(_H96, _H5F, _H6B)),
    (5, 8, _hashes(_HBC, _HCA, _HD3)),
]

# (old size, new size, proof): verify_test.go consistencyProofs.
CONSISTENCY = [
    (1, 1, []),
    (1, 8, _hashes(_H96, _H5F, _H6B)),
    (6, 8, _hashes(_H0E, _HCA, _HD3)),
    (2, 5, _hashes(_H5F, _HBC)),
    (6, 7, _hashes(_H0E, _HB0, _HD3)),
]

ALL_NODES = build_nodes(LEAF_HASHES)


def test_empty_root_is_sha256_of_nothing():
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]


def test_leaf_and_node_hashes_are_domain_separated():
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference_vectors(size):
    assert root_of(LEAF_HASHES[:size]) == ROOTS[size]
    assert root_from_nodes(size, build_nodes(LEAF_HASHES[:size])) == ROOTS[size]


def test_every_complete_subtree_matches_node_hashes():
    assert ALL_NODES == {(level, i): value for level, row in enumerate(NODE_HASHES) for i, value in enumerate(row)}


def test_appending_the_leaves_one_by_one_stores_node_hashes():
    stored = {}
    for index, value in enumerate(LEAF_HASHES):
        assert {n for n in nodes_needed_for_append(index)} <= set(stored)
        for level, i, node in nodes_completed_by_append(index, value, lambda lv, ix: stored[(lv, ix)]):
            assert (level, i) not in stored
            stored[(level, i)] = node
    assert stored == ALL_NODES
    assert nodes_needed_for_append(7) == [(0, 6), (1, 2), (2, 0)]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(index, size, proof):
    fetched = {node: ALL_NODES[node] for node in inclusion_proof_nodes(index, size)}
    assert inclusion_proof(index, size, fetched) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(old, new, proof):
    fetched = {node: ALL_NODES[node] for node in consistency_proof_nodes(old, new)}
    assert consistency_proof(old, new, fetched) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def _corrupt_inclusion(index, size, proof, root, leaf):
    """The wrong inputs of verify_test.go corruptInclusionProof, each of which must be rejected."""
    some_hash = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (index - 1, size, root, leaf, proof), (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof), (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof), (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, leaf, proof), (index, size, some_hash, leaf, proof),
        (index, size, root, leaf, [*proof, b""]), (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]), (index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root, leaf, wrong))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], some_hash, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), [case for case in INCLUSION if case[1] > 1])
def test_corrupted_inclusion_proofs_are_rejected(index, size, proof):
    for probe in _corrupt_inclusion(index, size, proof, ROOTS[size], LEAF_HASHES[index]):
        p_index, p_size, p_root, p_leaf, p_proof = probe
        if p_index < 0:
            continue
        assert not verify_inclusion(p_leaf, p_index, p_size, p_proof, p_root), probe


@pytest.mark.parametrize(("old", "new", "proof"), [case for case in CONSISTENCY if case[2]])
def test_corrupted_consistency_proofs_are_rejected(old, new, proof):
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof), (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof), (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof), (old, new, r1, b"WrongRoot", proof), (old, new, r2, r1, proof),
        (old, new, r1, r2, []), (old, new, r1, r2, [*proof, b""]), (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]), (old, new, r1, r2, [b"", *proof]), (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]), (old, new, r1, r2, [proof[0], *proof]), (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((old, new, r1, r2, wrong))
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_single_leaf_tree_needs_an_empty_proof():
    value = leaf_hash(b"data")
    assert verify_inclusion(value, 0, 1, [], value)
    assert not verify_inclusion(value, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], value)
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1)]:
        assert not verify_inclusion(value, index, size, [], EMPTY_ROOT)


def test_consistency_edge_cases():
    root = ROOTS[3]
    assert verify_consistency(3, 3, root, root, [])
    assert not verify_consistency(3, 3, root, ROOTS[4], [])
    assert not verify_consistency(3, 3, root, root, [EMPTY_ROOT])
    assert verify_consistency(0, 3, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 3, root, root, [])  # stricter than Go: the empty tree has EMPTY_ROOT
    assert not verify_consistency(4, 3, ROOTS[4], root, [])
    assert not verify_consistency(1, 2, ROOTS[1], ROOTS[2], [])


def test_root_nodes_are_the_complete_subtrees_left_to_right():
    assert root_nodes(0) == []
    assert root_nodes(7) == [(2, 0), (1, 2), (0, 6)]
    assert root_nodes(8) == [(3, 0)]


def test_proof_nodes_are_only_complete_subtrees_within_the_tree():
    assert inclusion_proof_nodes(0, 7) == [(0, 1), (1, 1), (1, 2), (0, 6)]
    assert consistency_proof_nodes(6, 7) == [(1, 2), (0, 6), (2, 0)]


def test_a_missing_stored_node_is_named():
    with pytest.raises(MissingNodeError, match=r"\(1, 2\)"):
        inclusion_proof(0, 7, {node: ALL_NODES[node] for node in [(0, 1), (1, 1), (0, 6)]})


@pytest.mark.parametrize(("call", "args"), [
    (inclusion_proof_nodes, (3, 3)), (inclusion_proof_nodes, (-1, 3)), (inclusion_proof_nodes, (0, 0)),
    (consistency_proof_nodes, (4, 3)), (consistency_proof_nodes, (-1, 3)), (root_nodes, (-1,)),
    (nodes_needed_for_append, (True,)),
])
def test_invalid_sizes_raise(call, args):
    with pytest.raises(ValueError):
        call(*args)
