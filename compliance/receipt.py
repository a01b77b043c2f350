"""Certificate receipts: the log entry of a certificate event, the receipt document and its offline checks."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from compliance.checkpoint import CheckpointError, parse_signed_note, verify_checkpoint_signer
from compliance.digest import canonical_json
from compliance.merkle import leaf_hash, verify_inclusion
from compliance.signing import ALG, verify_signature

EVENTS = ("issued", "superseded", "cancelled", "revoked", "expired", "renewed")
CHECKS = ("signature", "entry", "status", "leaf", "inclusion", "checkpoint")

# The status a certificate has after each logged event: a receipt must present the status its latest
# logged event gives it, so a revoked certificate cannot pass as valid with an older "issued" leaf.
STATUS_AFTER = {
    "issued": "valid",
    "superseded": "superseded",
    "cancelled": "cancelled",
    "revoked": "revoked",
    "expired": "expired",
    "renewed": "renewed",
}


class Check(NamedTuple):
    """One offline check of a receipt: its name, whether it holds, and what was found."""

    name: str
    ok: bool
    detail: str


class _Failed(Exception):
    """A check that ran and does not hold."""


def b64encode(data: bytes) -> str:
    """Standard base64 with padding, as every hash and signature travels on the wire."""
    return base64.b64encode(data).decode("ascii")


def b64decode(value: object) -> bytes:
    """Strict standard base64 → bytes; anything else is a ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"expected a base64 string, got {type(value).__name__}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{value[:20]!r}… is not standard base64") from None


def log_entry(document: dict, event: str, at: str) -> bytes:
    """The bytes appended to the log (and hashed as its leaf) for one event of a certificate."""
    if event not in EVENTS:
        raise ValueError(f"event {event!r} is not one of {', '.join(EVENTS)}")
    if not isinstance(document, dict) or not isinstance(at, str):
        raise TypeError("log_entry takes the certificate document (a dict) and `at` as an ISO 8601 string")
    return canonical_json({"certificate": document, "event": event, "at": at})


def certificate_signature_message(document: dict) -> bytes:
    """The bytes the exchange signs for a certificate: canonical JSON of its document."""
    if not isinstance(document, dict):
        raise TypeError("a certificate document is a dict")
    return canonical_json(document)


def build_receipt(
    *,
    document: dict,
    status: str,
    key_id: str,
    signature: bytes,
    entry: bytes,
    leaf_index: int,
    tree_size: int,
    inclusion_proof: Sequence[bytes],
    checkpoint: str,
    history: Iterable[Mapping] = (),
) -> dict:
    """The receipt that GET /api/v1/certificates/{number} returns, in the documented JSON shape."""
    return {
        "certificate": document,
        "status": status,
        "signature": {"alg": ALG, "key_id": key_id, "value": b64encode(signature)},
        "log": {
            "entry": b64encode(entry),
            "leaf_index": leaf_index,
            "tree_size": tree_size,
            "inclusion_proof": [b64encode(node) for node in inclusion_proof],
            "checkpoint": checkpoint,
        },
        "history": [{"event": h["event"], "at": h["at"], "leaf_index": h["leaf_index"]} for h in history],
    }


def _field(obj: object, key: str, kind: type, where: str) -> object:
    if not isinstance(obj, dict) or key not in obj:
        raise ValueError(f"{where}.{key} is missing")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}.{key} must be {kind.__name__}")
    return value


def _log(receipt: object) -> dict:
    return _field(receipt, "log", dict, "receipt")


def _entry_bytes(receipt: object) -> bytes:
    return b64decode(_field(_log(receipt), "entry", str, "log"))


def _check_signature(receipt: object, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    document = _field(receipt, "certificate", dict, "receipt")
    signature = _field(receipt, "signature", dict, "receipt")
    alg = _field(signature, "alg", str, "signature")
    if alg != ALG:
        raise _Failed(f"algorithm {alg!r} is not {ALG}")
    kid = _field(signature, "key_id", str, "signature")
    value = b64decode(_field(signature, "value", str, "signature"))
    if kid not in public_keys:
        raise _Failed(f"signed by key {kid}, which is not among the given public keys")
    if not verify_signature(public_keys[kid], certificate_signature_message(document), value):
        raise _Failed(f"the signature does not match this certificate under key {kid}")
    return f"Ed25519 signature by key {kid} over certificate {document.get('number')!r}"


def _check_entry(receipt: object, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    document = _field(receipt, "certificate", dict, "receipt")
    raw = _entry_bytes(receipt)
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _Failed("the log entry is not JSON") from None
    if not isinstance(entry, dict) or set(entry) != {"certificate", "event", "at"}:
        raise _Failed("the log entry is not {certificate, event, at}")
    if canonical_json(entry) != raw:
        raise _Failed("the log entry is not in canonical JSON")
    if entry["event"] not in EVENTS:
        raise _Failed(f"the log entry records an unknown event {entry['event']!r}")
    logged = entry["certificate"]
    if not isinstance(logged, dict) or canonical_json(logged) != canonical_json(document):
        differing = _differing_fields(logged, document)
        raise _Failed(f"the logged certificate differs from the presented one in: {', '.join(differing)}")
    return f"the log entry records {entry['event']!r} at {entry['at']} for this certificate"


def _check_status(receipt: object, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    status = _field(receipt, "status", str, "receipt")
    try:
        event = json.loads(_entry_bytes(receipt))["event"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        raise _Failed("the log entry names no event") from None
    expected = STATUS_AFTER.get(event)
    if status != expected:
        raise _Failed(f"the receipt says {status!r} but the logged event {event!r} means {expected!r}")
    history = receipt.get("history") if isinstance(receipt, dict) else None
    leaf_index = _field(_log(receipt), "leaf_index", int, "log")
    if isinstance(history, list) and history and history[-1].get("leaf_index") != leaf_index:
        raise _Failed("the proven leaf is not the certificate's latest logged event")
    return f"status {status!r} follows from the logged event {event!r}"


def _differing_fields(logged: object, document: dict) -> list[str]:
    if not isinstance(logged, dict):
        return ["(the logged certificate is not an object)"]
    keys = sorted(set(logged) | set(document))
    return [key for key in keys if key not in logged or key not in document or
            canonical_json(logged[key]) != canonical_json(document[key])]


def _check_leaf(receipt: object, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    computed = leaf_hash(_entry_bytes(receipt))
    log = _log(receipt)
    if "leaf_hash" in log and b64decode(log["leaf_hash"]) != computed:
        raise _Failed(f"log.leaf_hash differs from SHA-256(0x00 || entry) = {computed.hex()}")
    leaf_index = _field(log, "leaf_index", int, "log")
    if leaf_index < 0:
        raise _Failed(f"leaf index {leaf_index} is negative")
    return f"leaf {leaf_index} hash SHA-256(0x00 || entry) = {computed.hex()}"


def _check_inclusion(receipt: object, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    log = _log(receipt)
    leaf_index = _field(log, "leaf_index", int, "log")
    tree_size = _field(log, "tree_size", int, "log")
    proof = [b64decode(node) for node in _field(log, "inclusion_proof", list, "log")]
    try:
        cp, _ = parse_signed_note(_field(log, "checkpoint", str, "log"))
    except CheckpointError as exc:
        raise _Failed(f"the checkpoint cannot be read: {exc}") from None
    if tree_size != cp.size:
        raise _Failed(f"the proof is for tree size {tree_size} but the checkpoint is of size {cp.size}")
    if not verify_inclusion(leaf_hash(_entry_bytes(receipt)), leaf_index, cp.size, proof, cp.root):
        raise _Failed(f"the proof does not lead from leaf {leaf_index} to the checkpoint root of size {cp.size}")
    return f"leaf {leaf_index} is in the tree of size {cp.size} with root {cp.root.hex()} ({len(proof)} hashes)"


def _check_checkpoint(receipt: object, public_keys: Mapping[str, Ed25519PublicKey]) -> str:
    note = _field(_log(receipt), "checkpoint", str, "log")
    try:
        cp, kid = verify_checkpoint_signer(note, public_keys)
    except CheckpointError as exc:
        raise _Failed(str(exc)) from None
    return f"checkpoint of {cp.origin} at size {cp.size} ({cp.timestamp}) signed by key {kid}"


_RUNNERS: dict[str, Callable[[object, Mapping[str, Ed25519PublicKey]], str]] = {
    "signature": _check_signature,
    "entry": _check_entry,
    "status": _check_status,
    "leaf": _check_leaf,
    "inclusion": _check_inclusion,
    "checkpoint": _check_checkpoint,
}


def verify_receipt(receipt: dict, public_keys: Mapping[str, Ed25519PublicKey]) -> list[Check]:
    """Every offline check of a receipt, in the order of CHECKS; the receipt holds only if all are ok.

    signature: the Ed25519 signature over the certificate document, by a given key; entry: the log entry
    is canonical and records this very document; leaf: its leaf hash; inclusion: the proof leads from that
    leaf to the checkpoint's root, for the checkpoint's size; checkpoint: signed by a given key. A malformed
    receipt fails the checks that need the missing part rather than raising.
    """
    checks = []
    for name in CHECKS:
        try:
            checks.append(Check(name, True, _RUNNERS[name](receipt, public_keys)))
        except _Failed as exc:
            checks.append(Check(name, False, str(exc)))
        except (ValueError, TypeError) as exc:
            checks.append(Check(name, False, f"malformed receipt: {exc}"))
    return checks
