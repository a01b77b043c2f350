"""HTML views of trading: the access-request form, requests and their decision, contracts and signing, and the
trading panel of the dashboard. Thin: parse the form through the API's schemas, call one service, redirect or
show the form again with each field's errors."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from marketplace import policy, ui
from marketplace.accounts import services as accounts
from marketplace.catalog import services as catalog
from marketplace.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from marketplace.lifecycle import history
from marketplace.trading import services
from marketplace.trading.schemas import (
    AccessRequestInSchema,
    DecisionSchema,
    ResubmitSchema,
    SignSchema,
    WithdrawSchema,
)
from marketplace.trading.states import ACCESS_REQUEST, CONTRACT

blueprint = Blueprint("trading", __name__, url_prefix="/trading")

# What a buyer states on the request form, all typed text but the two numbers.
REQUEST_FIELDS = ("offer_id", "scenario", "purpose", "legal_basis", "term_months", "expected_volume",
                  "delivery_region", "responsible_person", "responsible_contact")
NUMBERS = ("offer_id", "term_months", "lock_version")
# The contract text is the Chinese text, the English text and the ODRL annex, in that order (compliance.contracts).
TEXT_SEPARATOR = "\n----\n"
DOMAIN_ERRORS = (ValidationFailed, Conflict, InvalidTransition, Forbidden)


def _actor():
    return current_user._get_current_object()


def _typed(names) -> dict:
    return {name: request.form.get(name, "").strip() for name in names}


def _loadable(raw: dict) -> dict:
    """The typed form as the JSON API's schemas take it: digits become integers (the schemas are strict), a
    blank number is left out or None, anything else stays text for the schema to refuse."""
    data = {}
    for name, value in raw.items():
        if name in NUMBERS:
            value = int(value) if value.isdigit() else (value or None)
        data[name] = value
    return data


# Requesting access -----------------------------------------------------------------------------------------------

def _render_request_form(listing, values: dict, status: int = 200, error=None, errors=None):
    return render_template("trading/request_new.html", listing=listing, version=listing.version,
                           request_values=values, request_error=error, request_errors=errors or {}), status


@blueprint.route("/listings/<int:product_id>/request", methods=["GET", "POST"])
@login_required
def request_access(product_id: int):
    listing = catalog.shown_listing(product_id, actor=_actor())
    if request.method == "GET":
        if not policy.allowed(policy.can_request_access, _actor(), listing):
            raise Forbidden(_("Only a buyer of another organisation can request access to a listed product."))
        return _render_request_form(listing, {"offer_id": request.args.get("offer_id", ""), "term_months": "12"})
    raw = _typed(REQUEST_FIELDS)
    try:
        data = AccessRequestInSchema().load({**_loadable(raw), "product_id": product_id})
        data.pop("product_id")
        made = services.request_access(product_id=product_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_request_form(listing, raw, 422, _("Some fields need attention."), exc.messages)
    except DOMAIN_ERRORS as exc:
        return _render_request_form(listing, raw, exc.status, exc.detail, exc.errors)
    if made.state == "approved":
        flash(_("Instant access: the contract is ready for both parties to sign."), "success")
        return redirect(url_for("trading.contract", contract_id=made.contract.id))
    flash(_("Request sent. The provider's broker decides within %(days)d days.",
            days=(made.expires_at - made.submitted_at).days), "success")
    return redirect(url_for("trading.request_detail", request_id=made.id))


# Requests --------------------------------------------------------------------------------------------------------

def _state_arg() -> str | None:
    state = request.args.get("state", "").strip()
    return state if state in ui.STATE_LABELS else None


@blueprint.route("/requests")
@login_required
def requests():
    user, state = _actor(), _state_arg()
    found = services.list_requests(actor=user, state=state)
    return render_template("trading/requests.html", state=state, staff=policy.allowed(policy.is_exchange_staff, user),
                           made=[r for r in found if r.buyer_org_id == user.org_id],
                           received=[r for r in found if r.provider_org_id == user.org_id], every=found)


def _request_values(access_request) -> dict:
    values = {name: getattr(access_request, name) for name in REQUEST_FIELDS}
    return {name: "" if value is None else str(value) for name, value in values.items()}


def _render_request(request_id: int, status: int = 200, **extra):
    access_request = services.get_request(request_id, actor=_actor())
    extra.setdefault("request_values", _request_values(access_request))
    return render_template("trading/request.html", access_request=access_request, listing=access_request.listing,
                           version=access_request.listing.version,
                           timeline=history(ACCESS_REQUEST.name, [access_request.id]), **extra), status


@blueprint.route("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int):
    return _render_request(request_id)


@blueprint.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw_request(request_id: int):
    try:
        data = WithdrawSchema().load(_loadable(_typed(("reason", "lock_version"))))
        services.withdraw_request(request_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_request(request_id, 422, withdraw_errors=exc.messages)
    except DOMAIN_ERRORS as exc:
        return _render_request(request_id, exc.status, withdraw_error=exc.detail, withdraw_errors=exc.errors)
    flash(_("Request withdrawn. You may change it and send it again."), "success")
    return redirect(url_for("trading.request_detail", request_id=request_id))


@blueprint.route("/requests/<int:request_id>/resubmit", methods=["POST"])
@login_required
def resubmit_request(request_id: int):
    raw = _typed((*REQUEST_FIELDS, "lock_version"))
    data = _loadable(raw)
    data.pop("offer_id")  # the offer stays the one first asked for
    try:
        sent = services.resubmit_request(request_id, actor=_actor(), **ResubmitSchema().load(data))
    except ValidationError as exc:
        return _render_request(request_id, 422, request_values=raw, request_error=_("Some fields need attention."),
                               request_errors=exc.messages)
    except DOMAIN_ERRORS as exc:
        return _render_request(request_id, exc.status, request_values=raw, request_error=exc.detail,
                               request_errors=exc.errors)
    if sent.state == "approved":
        flash(_("Instant access: the contract is ready for both parties to sign."), "success")
        return redirect(url_for("trading.contract", contract_id=sent.contract.id))
    flash(_("Request sent again."), "success")
    return redirect(url_for("trading.request_detail", request_id=request_id))


@blueprint.route("/requests/<int:request_id>/decision", methods=["POST"])
@login_required
def decide_request(request_id: int):
    """Approve or decline (the button pressed); a negotiable offer's agreed price is typed in yuan."""
    raw = _typed(("decision", "reason", "price", "lock_version"))
    offer = services.get_request(request_id, actor=_actor()).offer
    try:
        price_minor = ui.parse_money(raw["price"], offer.currency)
    except ValueError as exc:
        return _render_request(request_id, 422, decision_values=raw, decision_errors={"price": [str(exc)]})
    try:
        data = DecisionSchema().load({**_loadable({k: raw[k] for k in ("decision", "reason", "lock_version")}),
                                      "price_minor": price_minor})
        decided = services.decide_request(request_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_request(request_id, 422, decision_values=raw,
                               decision_errors=_price_errors(exc.messages, offer.currency))
    except DOMAIN_ERRORS as exc:
        return _render_request(request_id, exc.status, decision_values=raw, decision_error=exc.detail,
                               decision_errors=_price_errors(exc.errors, offer.currency))
    if decided.state == "approved":
        flash(_("Approved: the contract is ready for both parties to sign."), "success")
        return redirect(url_for("trading.contract", contract_id=decided.contract.id))
    flash(_("Declined; the buyer sees your reason."), "success")
    return redirect(url_for("trading.request_detail", request_id=request_id))


def _price_errors(errors: dict, currency: str) -> dict:
    """The services speak of the price in minor units; the form's field is the price in yuan, so it gets its own
    message."""
    errors = dict(errors or {})
    if errors.pop("price_minor", None):
        errors["price"] = [_("Enter the agreed price in %(currency)s, such as 8800.00.", currency=currency)]
    return errors


# Contracts -------------------------------------------------------------------------------------------------------

@blueprint.route("/contracts")
@login_required
def contracts():
    state = _state_arg()
    return render_template("trading/contracts.html", state=state,
                           contracts=services.list_contracts(actor=_actor(), state=state))


def _text_sections(text: str) -> dict:
    parts = text.split(TEXT_SEPARATOR)
    return {"zh": parts[0], "en": parts[1] if len(parts) > 1 else "",
            "annex": TEXT_SEPARATOR.join(parts[2:])}


def _render_contract(contract_id: int, status: int = 200, **extra):
    user = _actor()
    contract = services.get_contract(contract_id, actor=user)
    party = policy.contract_party(user, contract)
    return render_template(
        "trading/contract.html", contract=contract, party=party, sections=_text_sections(contract.text),
        policy_json=json.dumps(contract.policy, indent=2, ensure_ascii=False, sort_keys=True),
        can_sign=policy.allowed(policy.can_sign_contract, user, contract) and contract.signature_of(party) is None,
        timeline=history(CONTRACT.name, [contract.id]), panels=ui.panels("contract", user, contract), **extra,
    ), status


@blueprint.route("/contracts/<int:contract_id>")
@login_required
def contract(contract_id: int):
    return _render_contract(contract_id)


@blueprint.route("/contracts/<int:contract_id>/sign", methods=["POST"])
@login_required
def sign_contract(contract_id: int):
    """Signing binds the organisation, so the signer types their password again (as the JSON API asks)."""
    try:
        data = SignSchema().load(_loadable(_typed(("document_hash", "password", "lock_version"))))
    except ValidationError as exc:
        return _render_contract(contract_id, 422, sign_error=_("The signature form is not valid; reload the page."),
                                sign_errors=exc.messages)
    try:
        accounts.reauthenticate(_actor(), data.pop("password") or "")
    except Forbidden as exc:
        return _render_contract(contract_id, exc.status, sign_errors={"password": [exc.detail]})
    try:
        signed = services.sign_contract(contract_id, actor=_actor(), method="password", **data)
    except DOMAIN_ERRORS as exc:
        return _render_contract(contract_id, exc.status, sign_error=exc.detail, sign_errors=exc.errors)
    if signed.state == "awaiting_signatures":
        flash(_("Signed. The contract waits for the other party's signature."), "success")
    elif signed.state == "awaiting_payment":
        flash(_("Signed. Both parties have signed and the exchange countersigned: the contract awaits payment."),
              "success")
    else:
        flash(_("Signed. Both parties have signed and the exchange countersigned: the contract is %(state)s.",
                state=ui.state_label(signed.state)), "success")
    return redirect(url_for("trading.contract", contract_id=contract_id))


# The dashboard ---------------------------------------------------------------------------------------------------

@ui.panel("dashboard")
def _trading_panel(user):
    """What waits for this buyer or broker: requests to decide, contracts to sign, contracts to pay."""
    if not policy.allowed(policy.can_trade, user) or policy.allowed(policy.is_exchange_staff, user):
        return None
    pending = services.list_requests(actor=user, state="pending")
    contracts_found = services.list_contracts(actor=user)
    party = {c.id: policy.contract_party(user, c) for c in contracts_found}
    return {"template": "trading/_panel_dashboard.html",
            "to_decide": [r for r in pending if policy.allowed(policy.can_decide_request, user, r)],
            "waiting": [r for r in pending if r.buyer_org_id == user.org_id],
            "to_sign": [c for c in contracts_found if policy.allowed(policy.can_sign_contract, user, c)
                        and c.signature_of(party[c.id]) is None],
            "to_pay": [c for c in contracts_found if policy.allowed(policy.can_pay_contract, user, c)]}
