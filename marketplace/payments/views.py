"""HTML views of payments: the pay section of a contract's page, the finance settlement queue, and the money
panel of the dashboard (revenue, spending, or the exchange's volume and fees)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from marketplace import policy, ui
from marketplace.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from marketplace.payments import reports, services
from marketplace.payments.schemas import ConfirmSchema, PaymentInSchema
from marketplace.payments.states import OPEN, PaymentState

blueprint = Blueprint("payments", __name__)

DOMAIN_ERRORS = (ValidationFailed, Conflict, InvalidTransition, Forbidden)


def _actor():
    return current_user._get_current_object()


@ui.panel("contract")
def _payment_panel(user, contract):
    """On the contract's page: how it is being paid, and the buyer's choice of method while nothing is open."""
    payments = services.payments_of(contract)
    live = next((p for p in payments if p.state in (*OPEN, PaymentState.SUCCEEDED)), None)
    can_pay = live is None and policy.allowed(policy.can_pay_contract, user, contract)
    if not payments and not can_pay:
        return None
    return {"template": "payments/_panel_contract.html", "payments": payments, "live": live, "can_pay": can_pay,
            "methods": services.methods()}


@blueprint.route("/trading/contracts/<int:contract_id>/pay", methods=["POST"])
@login_required
def pay(contract_id: int):
    try:
        data = PaymentInSchema().load({"method": request.form.get("method", "").strip() or "offline"})
        payment = services.start_payment(contract_id, actor=_actor(), **data)
    except ValidationError as exc:
        flash(" ".join(ui.error_list(exc.messages)), "error")
    except DOMAIN_ERRORS as exc:
        flash(exc.detail, "error")
    else:
        if payment.provider == "offline":
            flash(_("Transfer %(amount)s to the exchange's settlement account quoting %(reference)s.",
                    amount=ui.money(payment.amount_minor, payment.currency), reference=payment.reference), "success")
        else:
            flash(_("Card payment started; it completes on Stripe's side."), "success")
    return redirect(url_for("trading.contract", contract_id=contract_id, _anchor="payment"))


def _render_settlements(status: int = 200, **extra):
    user = _actor()
    return render_template("payments/settlements.html", payments=services.awaiting_confirmation(actor=user),
                           can_confirm=lambda payment: policy.allowed(policy.can_confirm_payment, user, payment),
                           **extra), status


@blueprint.route("/finance/settlements")
@login_required
def settlements():
    return _render_settlements()


@blueprint.route("/finance/settlements/<int:payment_id>/confirm", methods=["POST"])
@login_required
def confirm_settlement(payment_id: int):
    typed = {name: request.form.get(name, "").strip() for name in ("bank_reference", "lock_version")}
    try:
        data = ConfirmSchema().load({"bank_reference": typed["bank_reference"],
                                     "lock_version": int(typed["lock_version"])
                                     if typed["lock_version"].isdigit() else None})
        payment = services.confirm_offline(payment_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_settlements(422, failed_id=payment_id, typed=typed, errors=exc.messages)
    except DOMAIN_ERRORS as exc:
        return _render_settlements(exc.status, failed_id=payment_id, typed=typed, error=exc.detail,
                                   errors=exc.errors)
    flash(_("Payment %(reference)s confirmed; contract %(number)s is %(state)s.", reference=payment.reference,
            number=payment.contract.number, state=ui.state_label(payment.contract.state)), "success")
    return redirect(url_for("payments.settlements"))


@ui.panel("dashboard")
def _money_panel(user):
    """Contracts by state and money by month, as an inline SVG bar chart (see templates/trading/_chart.html)."""
    if not policy.allowed(policy.can_trade, user):
        return None
    staff = policy.allowed(policy.is_exchange_staff, user)
    return {"template": "payments/_panel_dashboard.html", "side": reports.side(user),
            "by_state": reports.contracts_by_state(actor=user), "months": reports.monthly(actor=user),
            "awaiting": services.awaiting_confirmation(actor=user) if staff else []}
