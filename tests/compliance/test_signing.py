"""Tests for Ed25519 signing, key ids and reading public keys from a PEM file or the keys document."""

import hashlib
import json

import pytest

from compliance.signing import (
    KeysError,
    generate_private_key,
    key_id,
    keys_document,
    load_private_key,
    load_public_key,
    load_public_keys,
    private_key_to_pem,
    public_key_to_pem,
    raw_public_key,
    sign,
    verify_signature,
)

MESSAGE = b'{"number":"SZDE-2025-000001"}'


@pytest.fixture(scope="module")
def key():
    return generate_private_key()


@pytest.fixture(scope="module")
def other_key():
    return generate_private_key()


def test_sign_and_verify_round_trip(key):
    signature = sign(key, MESSAGE)
    assert len(signature) == 64
    assert verify_signature(key.public_key(), MESSAGE, signature)


def test_another_keys_signature_fails(key, other_key):
    assert not verify_signature(key.public_key(), MESSAGE, sign(other_key, MESSAGE))


def test_a_changed_message_or_signature_fails(key):
    signature = sign(key, MESSAGE)
    assert not verify_signature(key.public_key(), MESSAGE + b" ", signature)
    assert not verify_signature(key.public_key(), MESSAGE, bytes([signature[0] ^ 1]) + signature[1:])
    assert not verify_signature(key.public_key(), MESSAGE, signature[:-1])


def test_key_id_is_stable_and_short(key, other_key):
    expected = hashlib.sha256(raw_public_key(key.public_key())).hexdigest()[:16]
    assert key_id(key.public_key()) == key_id(key) == expected
    assert len(expected) == 16 and expected == expected.lower()
    reloaded = load_public_key(public_key_to_pem(key.public_key()))
    assert key_id(reloaded) == expected
    assert key_id(other_key) != expected


def test_private_key_pem_round_trip(key):
    reloaded = load_private_key(private_key_to_pem(key))
    assert key_id(reloaded) == key_id(key)
    encrypted = private_key_to_pem(key, password=b"s3cret")
    assert key_id(load_private_key(encrypted, password=b"s3cret")) == key_id(key)


def test_load_public_keys_reads_a_pem(key):
    keys = load_public_keys(public_key_to_pem(key.public_key()))
    assert list(keys) == [key_id(key)]


def test_load_public_keys_reads_several_pem_blocks(key, other_key):
    pem = public_key_to_pem(key.public_key()) + public_key_to_pem(other_key.public_key())
    assert set(load_public_keys(pem)) == {key_id(key), key_id(other_key)}


def test_keys_document_keeps_retired_keys_verifiable(key, other_key):
    document = keys_document([
        {"public_key": other_key.public_key(), "created_at": "2024-01-01T00:00:00+00:00",
         "retired_at": "2025-01-01T00:00:00+00:00"},
        {"public_key": public_key_to_pem(key.public_key()), "created_at": "2025-01-01T00:00:00+00:00"},
    ])
    assert [(k["key_id"], k["status"], k["alg"]) for k in document["keys"]] == [
        (key_id(other_key), "retired", "Ed25519"), (key_id(key), "active", "Ed25519"),
    ]
    assert document["keys"][1]["retired_at"] is None
    keys = load_public_keys(json.dumps(document).encode())
    assert set(keys) == {key_id(key), key_id(other_key)}
    assert verify_signature(keys[key_id(other_key)], MESSAGE, sign(other_key, MESSAGE))


def test_a_document_whose_key_id_lies_is_rejected(key):
    document = keys_document([{"public_key": key.public_key(), "created_at": "2025-01-01T00:00:00+00:00"}])
    document["keys"][0]["key_id"] = "0" * 16
    with pytest.raises(KeysError, match="key_id"):
        load_public_keys(json.dumps(document))


@pytest.mark.parametrize("data", [
    b"", b"not a key", b"{}", b'{"keys": []}', b'{"keys": [{"public_key_pem": "x"}]}', b"[1, 2]",
    b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
])
def test_unreadable_keys_raise_keys_error(data):
    with pytest.raises(KeysError):
        load_public_keys(data)


def test_a_private_key_is_not_accepted_as_public(key):
    with pytest.raises(KeysError, match="PUBLIC KEY"):
        load_public_keys(private_key_to_pem(key))


def test_other_key_types_are_rejected():
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = public_key_to_pem(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(KeysError, match="Ed25519"):
        load_public_key(pem)
