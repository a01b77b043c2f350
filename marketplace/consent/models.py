"""A consent (the exact notice the subject read, its hash, their decision) and every access made under it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.consent.states import ConsentState
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow


class Consent(db.Model):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set when granted: the personal data certificate's number, e.g. JMDE-2026-S-000001.
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    subject_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The keyed hash of the subject's identity number, which their records are found by.
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    recipient_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    state: Mapped[str] = mapped_column(String(20), default=ConsentState.NEW)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    # What the subject is told and agrees to (PIPL art. 17, 23): all of it is in notice_text too.
    purpose: Mapped[str] = mapped_column(String(40))  # the contract's scenario code
    purpose_text: Mapped[str] = mapped_column(Text)
    categories: Mapped[list] = mapped_column(JSON)  # field names of the product's dictionary
    method: Mapped[str] = mapped_column(String(40), default="records_api")
    retention_days: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    notice_text: Mapped[str] = mapped_column(Text)
    notice_hash: Mapped[str] = mapped_column(String(64))

    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Withdrawal obliges the recipient to delete what it received by then (PIPL art. 47).
    erasure_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The exchange's Ed25519 signature over the certificate's canonical JSON, set on grant.
    certificate: Mapped[dict | None] = mapped_column(JSON)
    key_id: Mapped[str] = mapped_column(String(64), default="")
    signature: Mapped[str] = mapped_column(String(200), default="")

    subject = relationship("User", foreign_keys=[subject_user_id])
    contract = relationship("Contract")
    recipient = relationship("Organization", foreign_keys=[recipient_org_id], lazy="joined")
    provider = relationship("Organization", foreign_keys=[provider_org_id])

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (Index("ix_consents_lookup", "subject_hash", "recipient_org_id", "state"),)


class SubjectAccess(db.Model):
    """One read of a subject's record: who, when, under which consent and contract, which fields. Kept after
    withdrawal (the subject's page shows every access)."""

    __tablename__ = "subject_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    subject_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    recipient_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    accessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    fields: Mapped[list] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(20), default="records")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recipient = relationship("Organization", lazy="joined")
    accessed_by = relationship("User", foreign_keys=[accessed_by_id], lazy="joined")
