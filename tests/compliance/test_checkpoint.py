"""Tests for signed checkpoints in the C2SP signed-note format."""

import base64
import hashlib
from dataclasses import replace

import pytest

from compliance.checkpoint import (
    Checkpoint,
    CheckpointError,
    cosign_checkpoint,
    note_key_hint,
    note_verifier_key,
    parse_signed_note,
    sign_checkpoint,
    verify_checkpoint,
    verify_checkpoint_signer,
)
from compliance.merkle import EMPTY_ROOT, leaf_hash
from compliance.signing import generate_private_key, key_id, raw_public_key

ROOT = leaf_hash(b"root")
CP = Checkpoint(origin="exchange.example/certificates", size=42, root=ROOT, timestamp="2025-03-01T08:00:00+00:00")
KEY = generate_private_key()
OTHER = generate_private_key()
KEYS = {key_id(KEY): KEY.public_key()}


def test_body_is_four_lines():
    root = base64.b64encode(ROOT).decode()
    assert CP.body() == f"exchange.example/certificates\n42\n{root}\n2025-03-01T08:00:00+00:00\n"


def test_sign_parse_verify_round_trip():
    note = sign_checkpoint(CP, key_name="exchange.example", private_key=KEY)
    assert note.startswith(CP.body() + "\n\u2014 exchange.example ")
    parsed, signatures = parse_signed_note(note)
    assert parsed == CP
    [(name, hint, signature)] = signatures
    assert name == "exchange.example" and len(hint) == 4 and len(signature) == 64
    assert verify_checkpoint(note, KEYS) == CP
    assert verify_checkpoint_signer(note, KEYS) == (CP, key_id(KEY))


def test_key_hint_follows_c2sp():
    expected = hashlib.sha256(b"exchange.example\n\x01" + raw_public_key(KEY)).digest()[:4]
    assert note_key_hint("exchange.example", KEY.public_key()) == expected
    name, hint_hex, encoded = note_verifier_key("exchange.example", KEY.public_key()).split("+", 2)
    assert (name, bytes.fromhex(hint_hex)) == ("exchange.example", expected)
    assert base64.b64decode(encoded) == b"\x01" + raw_public_key(KEY)


def test_unknown_key_raises():
    note = sign_checkpoint(CP, key_name="exchange.example", private_key=OTHER)
    with pytest.raises(CheckpointError, match="no signature by a known key"):
        verify_checkpoint(note, KEYS)


def test_a_cosignature_by_a_known_key_is_enough():
    note = sign_checkpoint(CP, key_name="old", private_key=OTHER)
    note = cosign_checkpoint(note, key_name="new", private_key=KEY)
    assert len(parse_signed_note(note)[1]) == 2
    assert verify_checkpoint_signer(note, KEYS) == (CP, key_id(KEY))


@pytest.mark.parametrize("change", [
    {"size": 43}, {"size": 41}, {"root": EMPTY_ROOT}, {"origin": "evil.example/certificates"},
    {"timestamp": "2025-03-02T08:00:00+00:00"},
])
def test_a_changed_field_fails(change):
    note = sign_checkpoint(CP, key_name="exchange.example", private_key=KEY)
    forged_body = replace(CP, **change).body()
    forged = forged_body + note[len(CP.body()):]
    with pytest.raises(CheckpointError):
        verify_checkpoint(forged, KEYS)


def test_a_relabelled_signature_fails():
    note = sign_checkpoint(CP, key_name="exchange.example", private_key=KEY)
    with pytest.raises(CheckpointError):
        verify_checkpoint(note.replace("\u2014 exchange.example ", "\u2014 someone.else "), KEYS)


@pytest.mark.parametrize("mangle", [
    lambda n: n.rstrip("\n"),
    lambda n: n.replace("\n\n", "\n"),
    lambda n: n.replace("\u2014", "-"),
    lambda n: n.split("\n\n")[0] + "\n\n",
    lambda n: n.replace("\n42\n", "\n042\n"),
    lambda n: n.replace("\n42\n", "\n-1\n"),
    lambda n: "extra\n" + n,
    lambda n: n.replace(base64.b64encode(ROOT).decode(), "not base64!"),
    lambda n: n.replace(base64.b64encode(ROOT).decode(), base64.b64encode(b"short").decode()),
    lambda n: n.replace("+00:00\n", "+08:00\n"),
    lambda n: n.replace("2025-03-01T08:00:00+00:00", "yesterday"),
    lambda n: n + "\u2014 name onlyonefield extra\n",
])
def test_malformed_notes_raise(mangle):
    note = sign_checkpoint(CP, key_name="exchange.example", private_key=KEY)
    with pytest.raises(CheckpointError):
        parse_signed_note(mangle(note))


@pytest.mark.parametrize("fields", [
    {"origin": ""}, {"origin": "a\nb"}, {"size": -1}, {"size": True}, {"root": b"x"}, {"timestamp": "2025-03-01"},
])
def test_invalid_checkpoints_cannot_be_built(fields):
    with pytest.raises(CheckpointError):
        replace(CP, **fields)


@pytest.mark.parametrize("name", ["", "has space", "a+b"])
def test_key_names_follow_the_note_format(name):
    with pytest.raises(CheckpointError):
        sign_checkpoint(CP, key_name=name, private_key=KEY)
