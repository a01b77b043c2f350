"""JSON API of payments: pay a contract, confirm a bank transfer; and Stripe's webhook (signed, not CSRF)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint

from marketplace.accounts.guard import api_actor
from marketplace.errors import problem
from marketplace.payments import gateway, services
from marketplace.payments.schemas import ConfirmSchema, PaymentInSchema, PaymentSchema
from marketplace.trading import services as trading

blueprint = ApiBlueprint("payments_api", __name__, url_prefix="/contracts", description="Paying contracts")
finance_blueprint = ApiBlueprint("finance_api", __name__, url_prefix="/payments",
                                 description="Exchange finance: bank-transfer settlement")
webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.route("/<int:contract_id>/payments", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["trading"]}, {"session": []}])
@blueprint.arguments(PaymentInSchema)
@blueprint.response(201, PaymentSchema)
def pay(data, contract_id):
    """Pay a countersigned contract by bank transfer (quote the reference) or by card through Stripe.
    Repeating the call returns the same payment."""
    return services.start_payment(contract_id, actor=api_actor("trading"), **data)


@blueprint.route("/<int:contract_id>/payments", methods=["GET"])
@blueprint.doc(security=[{"oauth2": ["trading"]}, {"session": []}])
@blueprint.response(200, PaymentSchema(many=True))
def list_payments(contract_id):
    return services.payments_of(trading.get_contract(contract_id, actor=api_actor("trading")))


@finance_blueprint.route("/<int:payment_id>/confirm", methods=["POST"])
@finance_blueprint.doc(security=[{"oauth2": ["payments"]}, {"session": []}])
@finance_blueprint.arguments(ConfirmSchema)
@finance_blueprint.response(200, PaymentSchema)
def confirm(data, payment_id):
    """Exchange finance confirms the transfer arrived (with the bank's reference); the contract becomes active."""
    return services.confirm_offline(payment_id, actor=api_actor("payments"), **data)


@webhooks.post("/stripe")
def stripe_webhook():
    """Stripe's events: the signature is checked on the raw body before anything is parsed."""
    if not gateway.enabled():
        return problem(404, _("Not found"), _("Card payments are not configured."))
    try:
        event = gateway.verify_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except (gateway.SignatureError, ValueError):
        current_app.logger.warning("Stripe webhook refused: bad signature or timestamp")
        return problem(400, _("Bad request"), _("The Stripe signature is missing, wrong or too old."))
    outcome = services.apply_event(event)
    return jsonify({"received": True, "outcome": outcome})
