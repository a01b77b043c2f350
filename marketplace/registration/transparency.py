"""The certificate transparency log (RFC 6962): leaves, stored subtree hashes, signed checkpoints, receipts.

Every complete aligned subtree's hash is stored once, when the append that completes it happens, so a
root, an inclusion proof or a consistency proof is one query for O(log n) rows — never a rebuild.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, Integer, String, Text, and_, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from compliance import checkpoint, merkle, receipt
from marketplace import keys
from marketplace.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow


class LogLeaf(db.Model):
    __tablename__ = "log_leaves"

    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as the leaf
    leaf_hash: Mapped[str] = mapped_column(String(64))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class LogNode(db.Model):
    """The hash of the complete subtree (level, index): leaves [index·2^level, (index+1)·2^level)."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class LogCheckpoint(db.Model):
    """A signed tree head; one per tree size, so every size a receipt names stays checkable."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_keys.key_id"))
    note: Mapped[str] = mapped_column(Text)


class LogHead(db.Model):
    """One row: the log's size. Appenders lock it, so concurrent issuers cannot take the same index."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)


def _origin() -> str:
    return f"{current_app.config['MARKETPLACE_EXCHANGE_CODE']}/certificates"


def nodes_query(coordinates: list[tuple[int, int]]):
    """One SELECT for the given nodes. An OR of primary-key equalities, not a row-value IN: SQLite 3.40 plans
    `(level, index) IN (VALUES …)` as a scan of the whole table, but this as one index search per node."""
    return select(LogNode.level, LogNode.index, LogNode.hash).where(
        or_(*(and_(LogNode.level == level, LogNode.index == index) for level, index in coordinates)))


def _fetch(coordinates: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    if not coordinates:
        return {}
    rows = db.session.execute(nodes_query(coordinates)).all()
    return {(level, index): bytes.fromhex(value) for level, index, value in rows}


def _head() -> LogHead:
    head = db.session.execute(select(LogHead).where(LogHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = LogHead(id=1, size=0)
        db.session.add(head)
        db.session.flush()
    return head


def append(certificate, event: str) -> LogLeaf:
    """Add one leaf for this certificate event and sign the new tree head, in the caller's transaction."""
    head = _head()
    at = utcnow()
    entry = receipt.log_entry(certificate.document(), event, at.isoformat())
    leaf_hash = merkle.leaf_hash(entry)
    index = head.size
    siblings = _fetch(merkle.nodes_needed_for_append(index))
    for level, node_index, value in merkle.nodes_completed_by_append(
            index, leaf_hash, lambda level, i: siblings[(level, i)]):
        db.session.add(LogNode(level=level, index=node_index, hash=value.hex()))
    leaf = LogLeaf(index=index, entry=entry.decode(), leaf_hash=leaf_hash.hex(), certificate_id=certificate.id,
                   event=event, at=at)
    db.session.add(leaf)
    head.size = index + 1
    db.session.flush()
    _sign_checkpoint(head.size)
    return leaf


def _root(size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.root_from_nodes(size, _fetch(merkle.root_nodes(size)))


def _sign_checkpoint(size: int) -> LogCheckpoint:
    key_id, private_key = keys.active_key()
    head = checkpoint.Checkpoint(origin=_origin(), size=size, root=_root(size), timestamp=utcnow().isoformat())
    signed = LogCheckpoint(size=size, root=head.root.hex(), timestamp=head.timestamp, key_id=key_id,
                           note=checkpoint.sign_checkpoint(head, key_name=_origin(), private_key=private_key))
    db.session.add(signed)
    return signed


def latest_checkpoint() -> LogCheckpoint:
    found = db.session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))
    if found is None:
        raise NotFound("The log is empty: no certificate has been issued yet.")
    return found


def consistency(old_size: int, new_size: int) -> list[bytes]:
    size = latest_checkpoint().size
    if not 0 < old_size <= new_size <= size:
        raise ValidationFailed(f"Need 0 < from ≤ to ≤ {size} (the current tree size).",
                               errors={"from": ["Out of range."], "to": ["Out of range."]})
    return merkle.consistency_proof(old_size, new_size, _fetch(merkle.consistency_proof_nodes(old_size, new_size)))


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def receipt_of(certificate) -> dict:
    """The certificate, its signature, and its latest log leaf proven under the latest signed checkpoint."""
    head = latest_checkpoint()
    leaves = history_of(certificate)
    if not leaves:
        raise NotFound(f"Certificate {certificate.number} is not in the log yet; the next housekeeping run logs it.")
    leaf = leaves[-1]
    proof = merkle.inclusion_proof(leaf.index, head.size, _fetch(merkle.inclusion_proof_nodes(leaf.index, head.size)))
    return {
        "certificate": certificate.document(),
        "status": certificate.status,
        "signature": {"alg": "Ed25519", "key_id": certificate.key_id, "value": certificate.signature},
        "log": {"entry": _b64(leaf.entry.encode()), "leaf_index": leaf.index, "tree_size": head.size,
                "inclusion_proof": [_b64(node) for node in proof], "checkpoint": head.note},
        "history": [{"event": item.event, "at": item.at.isoformat(), "leaf_index": item.index} for item in leaves],
    }


@dataclass(frozen=True)
class AuditFinding:
    ok: bool
    leaves: int
    problem: str | None = None


def audit_log(batch: int = 5000) -> AuditFinding:
    """Recompute every leaf hash and stored subtree from the entries, then every checkpoint's root.

    Reports the first leaf, node or checkpoint that does not match what its entries say.
    """
    recomputed: dict[tuple[int, int], bytes] = {}
    expected_index, last = 0, -1
    while True:
        leaves = db.session.scalars(select(LogLeaf).where(LogLeaf.index > last).order_by(LogLeaf.index)
                                    .limit(batch)).all()
        if not leaves:
            break
        for leaf in leaves:
            if leaf.index != expected_index:
                return AuditFinding(False, expected_index, f"leaf {expected_index} is missing")
            leaf_hash = merkle.leaf_hash(leaf.entry.encode())
            if leaf_hash.hex() != leaf.leaf_hash:
                return AuditFinding(False, leaf.index, f"leaf {leaf.index}: its entry does not hash to its leaf hash")
            for level, index, value in merkle.nodes_completed_by_append(
                    leaf.index, leaf_hash, lambda level, i: recomputed[(level, i)]):
                recomputed[(level, index)] = value
            expected_index, last = expected_index + 1, leaf.index
        db.session.expunge_all()
    stored = {(row.level, row.index): row.hash for row in db.session.scalars(select(LogNode))}
    for coordinates in sorted(set(stored) | set(recomputed), key=lambda c: (c[0], c[1])):
        if stored.get(coordinates) != (recomputed[coordinates].hex() if coordinates in recomputed else None):
            level, index = coordinates
            return AuditFinding(False, expected_index,
                                f"stored node (level {level}, index {index}) does not match the leaves")
    for head in db.session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)):
        if head.size > expected_index:
            return AuditFinding(False, expected_index, f"checkpoint {head.size} is beyond the log")
        root = merkle.root_from_nodes(head.size, recomputed)
        if root.hex() != head.root:
            return AuditFinding(False, expected_index, f"checkpoint {head.size}: its root does not match the leaves")
        try:
            checkpoint.verify_checkpoint(head.note, keys.public_keys())
        except checkpoint.CheckpointError as exc:
            return AuditFinding(False, expected_index, f"checkpoint {head.size}: {exc}")
    return AuditFinding(True, expected_index)


def history_of(certificate) -> list[LogLeaf]:
    return list(db.session.scalars(select(LogLeaf).where(LogLeaf.certificate_id == certificate.id)
                                   .order_by(LogLeaf.index)))
