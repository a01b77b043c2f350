"""Use cases of payments: the buyer starts paying a countersigned contract (bank transfer or Stripe), exchange
finance confirms a transfer, Stripe's signed events move a payment forward, and reconciliation repairs the
events that never arrived. A succeeded payment activates its contract in the same transaction.

Stripe calls happen outside any transaction: the payment row and its idempotency key are committed first,
so a retry after a crash or timeout repeats the very same create call and Stripe returns the same intent.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import policy
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.payments import gateway
from marketplace.payments.models import Payment, StripeEvent
from marketplace.payments.states import ACTION_TO, OPEN, PAYMENT, RANK, PaymentAction, PaymentState
from marketplace.trading import services as trading
from marketplace.trading.models import Contract
from marketplace.trading.states import ContractAction, ContractState
from marketplace.types import utcnow

METHODS = ("offline", "stripe")
# Stripe events that move a payment, and where to.
EVENT_STATES = {
    "payment_intent.processing": PaymentState.PROCESSING,
    "payment_intent.succeeded": PaymentState.SUCCEEDED,
    "payment_intent.payment_failed": PaymentState.FAILED,
    "charge.refunded": PaymentState.REFUNDED,
}


def methods() -> list[str]:
    return [m for m in METHODS if m == "offline" or gateway.enabled()]


def _open_payment(contract_id: int) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.contract_id == contract_id,
                                                   Payment.state.in_([*OPEN, PaymentState.SUCCEEDED])))


def start_payment(contract_id: int, *, method: str, actor) -> Payment:
    """Pay a countersigned contract. Asking again returns the same payment (and finishes its Stripe call)."""
    if method not in methods():
        raise ValidationFailed(_("Unknown or unavailable payment method."),
                               errors={"method": [_("Choose one of %(list)s.", list=", ".join(methods()))]})
    with unit_of_work():
        contract = trading.get_contract(contract_id, actor=actor)
        payment = _open_payment(contract.id)
        if payment is None:
            if contract.state != ContractState.AWAITING_PAYMENT:
                raise InvalidTransition(_("Only a contract awaiting payment can be paid; this one is %(state)s.",
                                          state=contract.state))
            policy.require(policy.can_pay_contract, actor, contract)
            payment = Payment(state=PaymentState.NEW, contract_id=contract.id, provider=method,
                              amount_minor=contract.amount_minor, currency=contract.currency,
                              idempotency_key=str(uuid.uuid4()),
                              reference=f"{contract.number}-P{uuid.uuid4().hex[:6].upper()}",
                              created_by_id=actor.id)
            db.session.add(payment)
            transition(payment, PAYMENT, PaymentAction.CREATE, actor=actor,
                       data={"contract_id": contract.id, "provider": method, "amount_minor": payment.amount_minor})
        elif policy.contract_party(actor, contract) != "buyer":
            raise Forbidden(_("Only the buyer pays a contract."))
        elif payment.provider != method:
            raise Conflict(_("This contract is already being paid by %(method)s.", method=payment.provider))
    if payment.provider == "stripe" and payment.stripe_payment_intent is None:
        _create_intent(payment.id)
    return db.session.get(Payment, payment.id)


def _create_intent(payment_id: int) -> None:
    payment = db.session.get(Payment, payment_id)
    contract = payment.contract
    try:
        intent = gateway.create_intent(
            amount_minor=payment.amount_minor, currency=payment.currency, idempotency_key=payment.idempotency_key,
            metadata={"payment_id": str(payment.id), "contract": contract.number},
            description=f"{contract.number} {current_app.config['MARKETPLACE_EXCHANGE_NAME_EN']}")
    except gateway.StripeError as exc:
        db.session.rollback()
        current_app.logger.warning("Stripe create failed for payment %s: %s", payment_id, type(exc).__name__)
        raise Conflict(_("The card payment could not be started; try again (nothing was charged twice).")) from exc
    with unit_of_work():
        payment = db.session.get(Payment, payment_id)
        payment.stripe_payment_intent = intent.id
        target = gateway.INTENT_STATES.get(intent.status)
        if target is not None:
            _advance(payment, PaymentState(target), actor=None, reason=f"intent {intent.status}")


def confirm_offline(payment_id: int, *, bank_reference: str, actor, lock_version: int | None = None) -> Payment:
    """Exchange finance found the buyer's transfer on the bank statement."""
    with unit_of_work():
        payment = db.session.get(Payment, payment_id)
        if payment is None or not policy.allowed(policy.is_exchange_staff, actor):
            raise NotFound(_("No such payment."))
        policy.require(policy.can_confirm_payment, actor, payment)
        if lock_version is not None and lock_version != payment.lock_version:
            raise Conflict(_("This payment was changed by someone else since you loaded it; reload and try again."))
        if not bank_reference.strip():
            raise ValidationFailed(_("Enter the bank's reference of the transfer."),
                                   errors={"bank_reference": [_("A bank reference is required.")]})
        payment.bank_reference = bank_reference.strip()
        _advance(payment, PaymentState.SUCCEEDED, actor=actor, reason=f"bank transfer {payment.bank_reference}")
    return payment


def _advance(payment: Payment, target: PaymentState, *, actor, reason: str) -> bool:
    """Move forward to `target` if it is ahead; a late, older event changes nothing. Returns whether it moved."""
    if RANK[target] <= RANK[PaymentState(payment.state)]:
        return False
    if target == PaymentState.REFUNDED and payment.state != PaymentState.SUCCEEDED:
        # The refund arrived before the success it undoes: apply both, as if in order.
        _advance(payment, PaymentState.SUCCEEDED, actor=actor, reason=reason)
    transition(payment, PAYMENT, ACTION_TO[target], actor=actor, reason=reason)
    contract = payment.contract
    if target == PaymentState.SUCCEEDED:
        payment.succeeded_at = utcnow()
        if contract.state == ContractState.AWAITING_PAYMENT:
            trading.activate_contract(contract, actor=actor, reason=f"payment {payment.reference}")
    elif target == PaymentState.REFUNDED and contract.state in (ContractState.ACTIVE, ContractState.AWAITING_PAYMENT):
        trading.end_contract(contract, ContractAction.TERMINATE, actor=actor, reason="payment refunded")
    elif target == PaymentState.FAILED:
        payment.failure_reason = reason
    return True


def _metadata(obj, key: str) -> str | None:
    try:
        return obj.metadata[key]
    except (AttributeError, KeyError, TypeError):
        return None


def _payment_of(intent_id: str | None, payment_id: str | None) -> Payment | None:
    if intent_id:
        payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent == intent_id))
        if payment is not None:
            return payment
    if payment_id and payment_id.isdigit():
        # The event can beat our own record of the intent id (a crash between Stripe's answer and our commit).
        payment = db.session.get(Payment, int(payment_id))
        if payment is not None and payment.provider == "stripe" and payment.stripe_payment_intent in (None, intent_id):
            payment.stripe_payment_intent = intent_id
            return payment
    return None


def apply_event(event) -> str:
    """Apply one verified Stripe event at most once; returns its outcome. Safe under concurrent deliveries:
    the event row and the payment's move commit together, and the loser of a race finds the row."""
    if db.session.get(StripeEvent, event.id) is not None:
        return "duplicate"
    target = EVENT_STATES.get(event.type)
    try:
        with unit_of_work():
            outcome, payment = "ignored", None
            if target is not None:
                obj = event.data.object
                intent_id = getattr(obj, "payment_intent", None) if event.type.startswith("charge.") else obj.id
                payment = _payment_of(intent_id, _metadata(obj, "payment_id"))
                if payment is None:
                    outcome = "unknown_payment"
                else:
                    moved = _advance(payment, target, actor=None, reason=f"stripe {event.type} {event.id}")
                    outcome = "applied" if moved else "stale"
            db.session.add(StripeEvent(event_id=event.id, type=event.type, outcome=outcome,
                                       payment_id=payment.id if payment is not None else None))
    except Conflict:
        # Another delivery of the same event (or another event of this payment) committed first.
        if db.session.get(StripeEvent, event.id) is not None:
            return "duplicate"
        raise
    return outcome


def reconcile(*, days: int = 3) -> dict:
    """Repair missed webhooks: replay Stripe's recent events we have not applied, then ask Stripe for the
    status of every payment still open. Idempotent; run by `flask payments reconcile` and housekeeping."""
    report = {"events_seen": 0, "events_applied": 0, "intents_checked": 0, "intents_moved": 0}
    if not gateway.enabled():
        return report
    try:
        _replay(report, days)
    except (gateway.StripeError, Conflict) as exc:
        # Stripe unreachable: report it (the command exits non-zero) and let the next run finish the job.
        report["error"] = f"{type(exc).__name__}: {exc}"
    return report


def _replay(report: dict, days: int) -> None:
    since = int((utcnow() - timedelta(days=days)).timestamp())
    for event in gateway.recent_events(since=since, types=sorted(EVENT_STATES)):
        report["events_seen"] += 1
        if apply_event(event) == "applied":
            report["events_applied"] += 1
    open_ids = db.session.scalars(select(Payment.id).where(
        Payment.provider == "stripe", Payment.state.in_(OPEN))).all()
    for payment_id in open_ids:
        payment = db.session.get(Payment, payment_id)
        if payment.stripe_payment_intent is None:
            _create_intent(payment_id)  # the create call never answered: repeat it with the same key
            payment = db.session.get(Payment, payment_id)
        intent = gateway.retrieve_intent(payment.stripe_payment_intent)
        report["intents_checked"] += 1
        target = gateway.INTENT_STATES.get(intent.status)
        if target is not None:
            with unit_of_work():
                payment = db.session.get(Payment, payment_id)
                if _advance(payment, PaymentState(target), actor=None, reason=f"reconciled: intent {intent.status}"):
                    report["intents_moved"] += 1


def payments_of(contract: Contract) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.contract_id == contract.id).order_by(Payment.id)))


def get_payment(payment_id: int, *, actor) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or not policy.allowed(policy.can_view_contract, actor, payment.contract):
        raise NotFound(_("No such payment."))
    return payment


def awaiting_confirmation(*, actor) -> list[Payment]:
    """Bank transfers exchange finance has yet to find on the statement."""
    policy.require(policy.is_exchange_staff, actor)
    # Each row names its contract and buyer: load the contracts with the payments, not one per row.
    return list(db.session.scalars(select(Payment).where(
        Payment.provider == "offline", Payment.state.in_(OPEN)).order_by(Payment.id)
        .options(selectinload(Payment.contract))))
