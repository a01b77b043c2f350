"""Figures for the dashboards: money from succeeded payments by month (a provider's revenue, a buyer's spending,
the exchange's volume and fees) and contracts by state, each scoped to what the actor's organisation may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import extract, func, select

from marketplace import policy
from marketplace.extensions import db
from marketplace.payments.models import Payment
from marketplace.payments.states import PaymentState
from marketplace.trading.models import Contract
from marketplace.types import utcnow

MONTHS = 12


@dataclass(frozen=True)
class MonthTotal:
    month: str  # "2026-03"
    currency: str
    amount_minor: int  # what buyers paid
    fee_minor: int  # the exchange's fee on it
    count: int

    @property
    def net_minor(self) -> int:
        """What the provider receives."""
        return self.amount_minor - self.fee_minor


def side(actor) -> str:
    """Which figures the actor reads: the exchange's (staff), a provider's (broker) or a buyer's."""
    if policy.allowed(policy.is_exchange_staff, actor):
        return "exchange"
    policy.require(policy.can_trade, actor)
    return "provider" if actor.role == "broker" else "buyer"


def _scoped(statement, actor):
    scope = side(actor)
    if scope == "provider":
        return statement.where(Contract.provider_org_id == actor.org_id)
    if scope == "buyer":
        return statement.where(Contract.buyer_org_id == actor.org_id)
    return statement


def _month_starts(months: int, now: datetime) -> list[datetime]:
    year, month = now.year, now.month
    starts = []
    for _i in range(months):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _utc(column):
    """The timestamp as UTC wall time before taking its month: PostgreSQL would use the session's zone."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.timezone("UTC", column)
    return column  # SQLite stores UTC wall time (marketplace.types.UTCDateTime)


def monthly(*, actor, months: int = MONTHS, now: datetime | None = None) -> dict[str, list[MonthTotal]]:
    """Succeeded payments of the last `months` calendar months, summed by month, per currency; months with no
    payment are there with zeros so a chart's bars line up. A refunded payment no longer counts."""
    starts = _month_starts(months, now or utcnow())
    moment = _utc(Payment.succeeded_at)
    year, month = extract("year", moment), extract("month", moment)
    statement = _scoped(
        select(year, month, Payment.currency, func.sum(Payment.amount_minor), func.sum(Contract.fee_minor),
               func.count(Payment.id))
        .join(Contract, Contract.id == Payment.contract_id)
        .where(Payment.state == PaymentState.SUCCEEDED, Payment.succeeded_at >= starts[0])
        .group_by(year, month, Payment.currency), actor)
    found = {(int(y), int(m), currency): (int(amount or 0), int(fee or 0), int(count))
             for y, m, currency, amount, fee, count in db.session.execute(statement)}
    totals: dict[str, list[MonthTotal]] = {}
    for currency in sorted({key[2] for key in found}):
        totals[currency] = [MonthTotal(f"{start:%Y-%m}", currency,
                                       *found.get((start.year, start.month, currency), (0, 0, 0)))
                            for start in starts]
    return totals


def contracts_by_state(*, actor) -> dict[str, int]:
    statement = _scoped(select(Contract.state, func.count(Contract.id)).group_by(Contract.state), actor)
    return {state: int(count) for state, count in db.session.execute(statement)}
