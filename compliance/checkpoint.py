"""Signed log checkpoints in the C2SP signed-note format: origin, tree size, root hash and timestamp."""

# A checkpoint note reads
#
#     <origin>
#     <size>
#     <base64 root>
#     <timestamp>
#
#     — <key name> <base64(key hint || Ed25519 signature)>
#
# The signature covers the body (the four lines with their newlines). The 4-byte key hint is the C2SP
# signed-note Ed25519 key id, the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || raw public key), so
# our notes can also be checked by other signed-note verifiers given `note_verifier_key(...)`.

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from compliance.merkle import HASH_SIZE
from compliance.signing import raw_public_key, sign, verify_signature

SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space, as in C2SP signed notes
_ED25519_ALG = b"\x01"
_MAX_NOTE = 64 * 1024
_KEY_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class CheckpointError(ValueError):
    """A checkpoint that is malformed or not signed by any known key."""


@dataclass(frozen=True)
class Checkpoint:
    """The log's signed statement that its tree of `size` leaves has `root`."""

    origin: str
    size: int
    root: bytes
    timestamp: str  # ISO 8601, UTC

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or self.origin != self.origin.strip():
            raise CheckpointError(f"origin {self.origin!r} must be one non-empty line without outer spaces")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise CheckpointError(f"size {self.size!r} must be a non-negative int")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CheckpointError(f"root must be {HASH_SIZE} bytes")
        _check_timestamp(self.timestamp)

    def body(self) -> str:
        """The signed text: origin, size, base64 root and timestamp, one per line."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n{self.timestamp}\n"


def _check_timestamp(value: object) -> None:
    if not isinstance(value, str) or "\n" in value:
        raise CheckpointError(f"timestamp {value!r} must be one line of ISO 8601")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CheckpointError(f"timestamp {value!r} is not ISO 8601") from None
    if moment.utcoffset() != timedelta(0):
        raise CheckpointError(f"timestamp {value!r} must be in UTC")


def note_key_hint(key_name: str, public_key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The C2SP signed-note key hint: SHA-256(key name || "\\n" || 0x01 || raw public key)[:4]."""
    material = key_name.encode("utf-8") + b"\n" + _ED25519_ALG + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def note_verifier_key(key_name: str, public_key: Ed25519PublicKey) -> str:
    """The C2SP verifier key string "<name>+<hex hint>+<base64(0x01 || key)>", for other note verifiers."""
    _check_key_name(key_name)
    encoded = base64.b64encode(_ED25519_ALG + raw_public_key(public_key)).decode("ascii")
    return f"{key_name}+{note_key_hint(key_name, public_key).hex()}+{encoded}"


def _check_key_name(key_name: object) -> None:
    if not isinstance(key_name, str) or not _KEY_NAME.fullmatch(key_name):
        raise CheckpointError(f"key name {key_name!r} must be non-empty, without spaces or '+'")


def _signature_line(body: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    blob = note_key_hint(key_name, private_key) + sign(private_key, body.encode("utf-8"))
    return f"{SIGNATURE_PREFIX}{key_name} {base64.b64encode(blob).decode('ascii')}\n"


def sign_checkpoint(cp: Checkpoint, *, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: the checkpoint body, a blank line and one signature line."""
    _check_key_name(key_name)
    body = cp.body()
    return body + "\n" + _signature_line(body, key_name, private_key)


def cosign_checkpoint(note: str, *, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The note with one more signature line, e.g. by the new key during a key rotation."""
    _check_key_name(key_name)
    body, _ = _split_note(note)
    return note + _signature_line(body, key_name, private_key)


def _split_note(text: object) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The signed body and its (key name, key hint, signature) lines."""
    if not isinstance(text, str):
        raise CheckpointError("a signed note is text")
    if len(text) > _MAX_NOTE:
        raise CheckpointError(f"a signed note is at most {_MAX_NOTE} characters")
    if not text.endswith("\n"):
        raise CheckpointError("a signed note ends with a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise CheckpointError("a signed note has a blank line between its text and its signatures")
    body, lines = text[: split + 1], text[split + 2 :].split("\n")[:-1]
    if not lines:
        raise CheckpointError("the note has no signature lines")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"signature line {line!r} does not start with an em dash")
        parts = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise CheckpointError(f"signature line {line!r} is not '— <name> <base64>'")
        name, encoded = parts
        _check_key_name(name)
        blob = _b64decode(encoded, "signature")
        if len(blob) < 5:
            raise CheckpointError(f"signature by {name} is too short")
        signatures.append((name, blob[:4], blob[4:]))
    return body, signatures


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CheckpointError(f"{what} is not standard base64") from None


def _parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")[:-1]
    if len(lines) != 4:
        raise CheckpointError(f"a checkpoint body has 4 lines (origin, size, root, timestamp), not {len(lines)}")
    origin, size, root, timestamp = lines
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"tree size {size!r} is not a decimal number")
    return Checkpoint(origin=origin, size=int(size), root=_b64decode(root, "root hash"), timestamp=timestamp)


def parse_signed_note(text: str) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """The checkpoint and its (key name, key hint, signature) lines, without checking any signature."""
    body, signatures = _split_note(text)
    cp = _parse_body(body)
    if cp.body() != body:
        raise CheckpointError("the checkpoint body is not in canonical form")
    return cp, signatures


def verify_checkpoint_signer(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> tuple[Checkpoint, str]:
    """The checkpoint and the id of the first known key whose signature on it verifies."""
    cp, signatures = parse_signed_note(text)
    body = cp.body().encode("utf-8")
    for name, hint, signature in signatures:
        for kid, public_key in public_keys.items():
            if note_key_hint(name, public_key) == hint and verify_signature(public_key, body, signature):
                return cp, kid
    names = ", ".join(sorted({name for name, _, _ in signatures}))
    raise CheckpointError(f"no signature by a known key (signed as: {names})")


def verify_checkpoint(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> Checkpoint:
    """The checkpoint, when at least one of its signatures verifies under a known key; else CheckpointError."""
    return verify_checkpoint_signer(text, public_keys)[0]
