"""Ed25519 keys, signatures, key ids and the exchange's public keys document (/.well-known/exchange-keys.json)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "Ed25519"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)


class KeysError(ValueError):
    """A key file or keys document that cannot be read as Ed25519 public keys."""


def generate_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a private key, encrypted when a password is given."""
    encryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key(pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM; any other key type is a KeysError."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise KeysError(f"not a readable private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeysError(f"expected an Ed25519 private key, got {type(key).__name__}")
    return key


def public_key_to_pem(public_key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----") of a public key."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from SubjectPublicKeyInfo PEM; any other key type is a KeysError."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeysError(f"not a readable public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeysError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


def raw_public_key(public_key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of a public key (of the public half when given a private key)."""
    if isinstance(public_key, Ed25519PrivateKey):
        public_key = public_key.public_key()
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Lower-case hex of the first 8 bytes of SHA-256(raw public key): 16 characters."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `message`."""
    return private_key.sign(message)


def verify_signature(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` under `public_key`."""
    if not isinstance(signature, bytes) or len(signature) != 64:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def keys_document(entries: Iterable[dict]) -> dict:
    """The public keys document, one entry per key, old keys kept so earlier signatures stay verifiable.

    Each entry gives `public_key` (an Ed25519PublicKey, or its PEM as bytes or str; `public_key_pem` is also
    accepted), `created_at` (ISO 8601 UTC) and optionally `retired_at` (None while the key is in use).
    """
    keys = []
    for entry in entries:
        public_key = entry.get("public_key", entry.get("public_key_pem"))
        if isinstance(public_key, str):
            public_key = public_key.encode("ascii")
        if isinstance(public_key, bytes):
            public_key = load_public_key(public_key)
        if not isinstance(public_key, Ed25519PublicKey):
            raise KeysError(f"entry {entry!r} has no Ed25519 public key")
        retired_at = entry.get("retired_at")
        keys.append({
            "key_id": key_id(public_key),
            "alg": ALG,
            "public_key_pem": public_key_to_pem(public_key).decode("ascii"),
            "created_at": entry["created_at"],
            "retired_at": retired_at,
            "status": "retired" if retired_at else "active",
        })
    return {"keys": keys}


def load_public_keys(data: bytes | str) -> dict[str, Ed25519PublicKey]:
    """Key id → public key from a PEM file (one or more PUBLIC KEY blocks) or a saved keys document (JSON).

    Retired keys are included: they no longer sign, but what they signed stays verifiable. A document entry
    whose key_id does not match its key is rejected rather than skipped.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        keys = _keys_from_pem(text)
    else:
        keys = _keys_from_document(text)
    if not keys:
        raise KeysError("no public keys found")
    return keys


def _keys_from_pem(text: bytes) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for block in _PEM_BLOCK.finditer(text):
        if block.group(1) != b"PUBLIC KEY":
            raise KeysError(f"expected PUBLIC KEY blocks, found {block.group(1).decode()}")
        public_key = load_public_key(block.group(0))
        keys[key_id(public_key)] = public_key
    return keys


def _keys_from_document(text: bytes) -> dict[str, Ed25519PublicKey]:
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeysError(f"neither PEM nor a JSON keys document: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeysError('a keys document is a JSON object with a "keys" list')
    keys = {}
    for number, entry in enumerate(document["keys"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("public_key_pem"), str):
            raise KeysError(f"keys[{number}] has no public_key_pem")
        if entry.get("alg", ALG) != ALG:
            raise KeysError(f"keys[{number}] has alg {entry.get('alg')!r}, expected {ALG}")
        public_key = load_public_key(entry["public_key_pem"].encode("utf-8"))
        computed = key_id(public_key)
        if entry.get("key_id", computed) != computed:
            raise KeysError(f"keys[{number}] says key_id {entry['key_id']!r} but its key has id {computed}")
        keys[computed] = public_key
    return keys
