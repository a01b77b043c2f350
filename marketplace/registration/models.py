"""Reviews with their checklist items, public notices, objections and certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance import checklist
from marketplace.extensions import db
from marketplace.registration.states import CertificateState, NoticeState, ObjectionState, ReviewState
from marketplace.types import UTCDateTime, utcnow


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"), index=True)
    state: Mapped[str] = mapped_column(String(30), default=ReviewState.PENDING, index=True)
    template_version: Mapped[str] = mapped_column(String(20))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    version = relationship("ProductVersion", lazy="joined")
    reviewer = relationship("User", lazy="joined")
    items = relationship("ReviewItem", back_populates="review", order_by="ReviewItem.position", lazy="selectin")

    __mapper_args__ = {"version_id_col": lock_version}

    def item(self, code: str) -> ReviewItem | None:
        return next((item for item in self.items if item.code == code), None)

    def unresolved(self) -> list[ReviewItem]:
        """Applicable items still undecided or failed: while any remain, nobody can approve."""
        return [item for item in self.items if item.applicable and item.decision not in ("pass", "not_applicable")]


class ReviewItem(db.Model):
    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("review_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    applicable: Mapped[bool]
    auto_outcome: Mapped[str | None] = mapped_column(String(10))
    auto_message: Mapped[dict | None] = mapped_column(JSON)
    auto_details: Mapped[dict | None] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    review = relationship("Review", back_populates="items")
    decided_by = relationship("User", lazy="joined")

    @property
    def definition(self) -> checklist.ChecklistItem:
        return checklist.DEFAULT_TEMPLATE.item(self.code)


class Notice(db.Model):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=NoticeState.OPEN, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    version = relationship("ProductVersion", lazy="joined")
    objections = relationship("Objection", back_populates="notice", order_by="Objection.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": lock_version}

    def open_objections(self) -> list[Objection]:
        return [o for o in self.objections if o.state == ObjectionState.OPEN]


class Objection(db.Model):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=ObjectionState.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notice = relationship("Notice", back_populates="objections", lazy="joined")
    raised_by = relationship("User", foreign_keys=[raised_by_id], lazy="joined")


class Certificate(db.Model):
    """数据资产登记凭证: one valid certificate per product version (a partial unique index enforces it)."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("year", "kind", "serial"),
        db.Index("uq_certificates_valid_version", "version_id", unique=True,
                 sqlite_where=db.text("status = 'valid'"), postgresql_where=db.text("status = 'valid'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(1))
    serial: Mapped[int] = mapped_column(Integer)
    registration_type: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_uscc: Mapped[str] = mapped_column(String(18))
    product_name: Mapped[str] = mapped_column(String(200))
    version_number: Mapped[int] = mapped_column(Integer)
    metadata_digest: Mapped[str] = mapped_column(String(64))
    rights: Mapped[list] = mapped_column(JSON)
    issuing_body: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=CertificateState.VALID)
    predecessor_number: Mapped[str | None] = mapped_column(String(40))
    # Ed25519 over the canonical document (compliance.receipt.certificate_signature_message).
    key_id: Mapped[str | None] = mapped_column(ForeignKey("signing_keys.key_id"))
    signature: Mapped[str | None] = mapped_column(String(100))
    status_reason: Mapped[str | None] = mapped_column(Text)

    version = relationship("ProductVersion", lazy="joined")

    @property
    def state(self) -> str:
        return self.status

    @state.setter
    def state(self, value: str) -> None:
        self.status = value

    def document(self) -> dict:
        """The certificate as signed data: the seam where signatures and the transparency log attach."""
        return {
            "number": self.number, "type": "product", "registration_type": self.registration_type,
            "holder": {"name": self.holder_name, "uscc": self.holder_uscc},
            "product": {"id": self.product_id, "name": self.product_name, "version": self.version_number},
            "metadata_digest": {"alg": "sha256", "value": self.metadata_digest},
            "rights": list(self.rights), "review_reference": self.review_id,
            "issued_at": self.issued_at.isoformat(), "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(), "issuing_body": self.issuing_body,
            "predecessor": self.predecessor_number,
        }
