"""The append-only, hash-chained audit log every state change writes in its own transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, ForeignKey, Integer, String, event, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from compliance.digest import canonical_json, sha256_hex
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (db.Index("ix_audit_entries_object", "object_type", "object_id"),)

    def payload(self) -> dict:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }


class AuditHead(db.Model):
    """One row: the chain's tip. Writers lock it, so concurrent transactions cannot fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


# The append-only rule lives in the database so that no code path (or hand-typed SQL) can rewrite history.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
]

for _statement in APPEND_ONLY_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in APPEND_ONLY_POSTGRESQL:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


@event.listens_for(AuditHead.__table__, "after_create")
def _seed_head(target, connection, **_kw):
    connection.execute(insert(target).values(id=1, seq=0, hash=GENESIS_HASH))


def entry_hash(payload: dict) -> str:
    return sha256_hex(payload)


def record(actor, action: str, object_type: str, object_id: int | None, data: dict | None = None) -> AuditEntry:
    """Append one entry to the session's transaction; the caller's unit of work commits it."""
    head = db.session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        prev_hash=head.hash,
    )
    # Round-trip the JSON so that the hash covers exactly what the database will hand back.
    entry.data = _json_roundtrip(entry.data)
    entry.hash = entry_hash(entry.payload())
    head.seq, head.hash = entry.seq, entry.hash
    db.session.add(entry)
    return entry


def _json_roundtrip(data: dict) -> dict:
    return json.loads(canonical_json(data))


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_bad_seq: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(batch: int = 1000) -> ChainReport:
    """Walk the chain in order, recomputing every hash; name the first entry that does not hold."""
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev:
                return ChainReport(count, entry.seq, "prev_hash does not match the previous entry")
            if entry_hash(entry.payload()) != entry.hash:
                return ChainReport(count, entry.seq, "hash does not match the entry's content")
            prev, expected_seq, last_seq = entry.hash, expected_seq + 1, entry.seq
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev):
        return ChainReport(count, last_seq + 1, "the chain head does not match the last entry")
    return ChainReport(count, None, None)
