"""An access request (a buyer asking for a listed product under one offer, for a stated purpose), the contract
its approval creates, and the parties' signatures over the contract's exact text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.trading.states import ContractState, RequestState
from marketplace.types import UTCDateTime, utcnow


class AccessRequest(db.Model):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20), default=RequestState.NEW)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    # What the buyer states (DOMAIN.md §8).
    scenario: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(30))
    term_months: Mapped[int] = mapped_column(Integer)
    expected_volume: Mapped[str] = mapped_column(String(200), default="")
    delivery_region: Mapped[str] = mapped_column(String(20), default="domestic")
    responsible_person: Mapped[str] = mapped_column(String(100))
    responsible_contact: Mapped[str] = mapped_column(String(200), default="")

    # The broker's decision; a negotiable offer's price is agreed here.
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreed_price_minor: Mapped[int | None] = mapped_column(db.BigInteger)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    listing = relationship("Listing")
    offer = relationship("Offer")
    product = relationship("Product")
    provider = relationship("Organization", foreign_keys=[provider_org_id], lazy="joined")
    buyer = relationship("Organization", foreign_keys=[buyer_org_id], lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    contract = relationship("Contract", back_populates="request", uselist=False)

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (Index("ix_access_requests_state_expires", "state", "expires_at"),)


class Contract(db.Model):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # One contract per approved request, however many brokers approve at once.
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"))
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ContractState.NEW)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    signature_count: Mapped[int] = mapped_column(Integer, default=0)

    template_version: Mapped[str] = mapped_column(String(20))
    terms: Mapped[dict] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    document_hash: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict] = mapped_column(JSON)

    # Money in integer minor units: what the buyer pays up front, and the exchange's fee on it.
    pricing_mode: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(db.BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fee_bps: Mapped[int] = mapped_column(Integer)
    fee_minor: Mapped[int] = mapped_column(db.BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request = relationship("AccessRequest", back_populates="contract")
    listing = relationship("Listing")
    offer = relationship("Offer")
    product = relationship("Product")
    version = relationship("ProductVersion")
    provider = relationship("Organization", foreign_keys=[provider_org_id], lazy="joined")
    buyer = relationship("Organization", foreign_keys=[buyer_org_id], lazy="joined")
    signatures = relationship("Signature", back_populates="contract", order_by="Signature.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (Index("ix_contracts_state_ends", "state", "ends_at"),)

    @property
    def net_minor(self) -> int:
        """What the provider receives: the amount less the exchange's fee."""
        return self.amount_minor - self.fee_minor

    def signature_of(self, party: str) -> Signature | None:
        return next((s for s in self.signatures if s.party == party), None)


class Signature(db.Model):
    """One party's signature: who, when, how they proved it was them, and the hash of the text they signed.
    The exchange's countersignature is an Ed25519 signature over that hash by its registry key."""

    __tablename__ = "contract_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    party: Mapped[str] = mapped_column(String(10))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(20))
    document_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64), default="")
    signature: Mapped[str] = mapped_column(String(200), default="")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contract = relationship("Contract", back_populates="signatures")
    signer = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("contract_id", "party", name="uq_contract_signatures_party"),)
