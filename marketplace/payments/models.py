"""A payment of a contract, and the Stripe events already applied (each event id once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.payments.states import PaymentState
from marketplace.types import UTCDateTime, utcnow


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    provider: Mapped[str] = mapped_column(String(10))  # "offline" or "stripe"
    state: Mapped[str] = mapped_column(String(20), default=PaymentState.NEW)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_minor: Mapped[int] = mapped_column(db.BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Stored (committed) before the first call to Stripe and reused on every retry of that call.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # What the buyer writes on the bank transfer, and what exchange finance found on the statement.
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    bank_reference: Mapped[str] = mapped_column(String(100), default="")
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(100), unique=True)
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contract = relationship("Contract")

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        # One open or paid payment per contract: a double click or two buyers at once make one.
        Index("uq_payments_contract_live", "contract_id", unique=True,
              sqlite_where=text("state IN ('new', 'requires_payment', 'processing', 'succeeded')"),
              postgresql_where=text("state IN ('new', 'requires_payment', 'processing', 'succeeded')")),
    )


class StripeEvent(db.Model):
    """A Stripe event id, written in the transaction that applies it: a second delivery finds it and stops."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # applied | stale | unknown_payment | ignored
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
