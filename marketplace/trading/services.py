"""Use cases of trading: a buyer requests access to a listed product under one offer, the provider's broker
approves or declines, approval generates the contract, both parties sign its exact text, the exchange
countersigns, and payment (or nothing, for a free offer) makes it active.

Every step is one unit of work with its history and audit rows; races end in one winner and a 409.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from compliance import contracts as contract_rules
from compliance import crossborder, signing
from compliance.vocabulary import DELIVERY_REGIONS, LEGAL_BASES, PRICE_MODES, SCENARIOS, label
from marketplace import keys, policy
from marketplace.catalog.models import Listing, Offer
from marketplace.catalog.states import ListingState
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import lang
from marketplace.lifecycle import transition
from marketplace.trading.models import AccessRequest, Contract, Signature
from marketplace.trading.states import (
    ACCESS_REQUEST,
    CONTRACT,
    PARTIES,
    ContractAction,
    ContractState,
    RequestAction,
    RequestState,
)
from marketplace.types import utcnow

MAX_TERM_MONTHS = 120
# What a request may change when the buyer sends it again after withdrawing it.
REQUEST_FIELDS = ("scenario", "purpose", "legal_basis", "term_months", "expected_volume", "delivery_region",
                  "responsible_person", "responsible_contact")


def _check_lock(obj, lock_version: int | None, what: str) -> None:
    if lock_version is not None and lock_version != obj.lock_version:
        raise Conflict(_("This %(what)s was changed by someone else since you loaded it; reload and try again.",
                         what=what), errors={"lock_version": [_("Current version is %(n)d.", n=obj.lock_version)]})


def _check_request(listing: Listing, offer: Offer, fields: dict) -> None:
    """The rules of DOMAIN.md §8 on what a buyer states; each problem names its field."""
    version = listing.version
    errors: dict[str, list[str]] = {}
    if fields["scenario"] not in (version.scenarios or []):
        errors["scenario"] = [_("Choose one of the product's listed scenarios: %(list)s.",
                                list=", ".join(label(SCENARIOS, code, lang()) for code in version.scenarios or [])
                                or "-")]
    if fields["legal_basis"] not in LEGAL_BASES:
        errors["legal_basis"] = [_("Unknown legal basis.")]
    elif version.holds_pi and fields["legal_basis"] == "not_personal":
        errors["legal_basis"] = [_("This product holds personal information: state the legal basis for "
                                   "processing it.")]
    term, offered = fields["term_months"], offer.term_months
    if not 1 <= term <= MAX_TERM_MONTHS:
        errors["term_months"] = [_("The term is 1 to %(n)d months.", n=MAX_TERM_MONTHS)]
    elif offered and term > offered:
        errors["term_months"] = [_("This offer runs for at most %(n)d months.", n=offered)]
    region = fields["delivery_region"]
    if region not in DELIVERY_REGIONS:
        errors["delivery_region"] = [_("Unknown delivery region.")]
    elif region == "abroad":
        # The same table XB-01 applied at registration (compliance.crossborder), now for this delivery.
        rule = crossborder.required_mechanism(version.security_level, version.holds_pi, version.sensitive_pi,
                                              version.pi_subjects)
        if not version.cross_border_allowed or rule is None or rule.mechanism == "prohibited":
            errors["delivery_region"] = [_("This product may not be delivered abroad (XB-01).")]
        elif rule.mechanism == "security_assessment":
            errors["delivery_region"] = [_("Delivering this personal information abroad needs a CAC security "
                                           "assessment first (XB-01); it cannot be requested here.")]
    if not fields["responsible_person"].strip():
        errors["responsible_person"] = [_("Name the person responsible for the data on your side.")]
    if not fields["purpose"].strip():
        errors["purpose"] = [_("State the purpose.")]
    if errors:
        raise ValidationFailed(_("The access request is not valid."), errors=errors)


def _open_request_exists(buyer_org_id: int, listing_id: int) -> bool:
    return db.session.scalar(select(AccessRequest.id).where(
        AccessRequest.buyer_org_id == buyer_org_id, AccessRequest.listing_id == listing_id,
        AccessRequest.state == RequestState.PENDING).limit(1)) is not None


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=current_app.config["MARKETPLACE_REQUEST_EXPIRY_DAYS"])


def request_access(*, product_id: int, offer_id: int, scenario: str, purpose: str, legal_basis: str,
                   term_months: int, responsible_person: str, expected_volume: str = "",
                   delivery_region: str = "domestic", responsible_contact: str = "", actor) -> AccessRequest:
    """Ask for a listed product under one of its offers; an instant offer is approved at once."""
    with unit_of_work():
        listing = db.session.scalar(select(Listing).where(Listing.product_id == product_id,
                                                          Listing.state == ListingState.LISTED))
        if listing is None:
            raise NotFound(_("No listed product with this id."))
        policy.require(policy.can_request_access, actor, listing)
        offer = db.session.get(Offer, offer_id)
        if offer is None or offer.listing_id != listing.id or not offer.active:
            raise ValidationFailed(_("The access request is not valid."),
                                   errors={"offer_id": [_("Choose one of this listing's current offers.")]})
        fields = {"scenario": scenario, "purpose": purpose, "legal_basis": legal_basis, "term_months": term_months,
                  "expected_volume": expected_volume, "delivery_region": delivery_region,
                  "responsible_person": responsible_person, "responsible_contact": responsible_contact}
        _check_request(listing, offer, fields)
        if _open_request_exists(actor.org_id, listing.id):
            raise Conflict(_("Your organisation already has a pending request for this product."))
        now = utcnow()
        request = AccessRequest(state=RequestState.NEW, listing_id=listing.id, offer_id=offer.id,
                                product_id=listing.product_id, provider_org_id=listing.org_id,
                                buyer_org_id=actor.org_id, requested_by_id=actor.id,
                                submitted_at=now, expires_at=_expiry(now), **fields)
        db.session.add(request)
        transition(request, ACCESS_REQUEST, RequestAction.SUBMIT, actor=actor,
                   data={"product_id": product_id, "offer_id": offer.id})
        if offer.instant:
            _approve(request, actor=None, reason=_("Instant offer: no approval needed."), price_minor=None)
    return request


def _buyers_request(request_id: int, actor, predicate, action: RequestAction) -> AccessRequest:
    request = get_request(request_id, actor=actor)
    # Wrong state first: whoever lost a race learns it with a 409, not a 403.
    ACCESS_REQUEST.next_state(request.state, action)
    policy.require(predicate, actor, request)
    return request


def withdraw_request(request_id: int, *, actor, reason: str = "", lock_version: int | None = None) -> AccessRequest:
    with unit_of_work():
        request = _buyers_request(request_id, actor, policy.can_withdraw_request, RequestAction.WITHDRAW)
        _check_lock(request, lock_version, _("access request"))
        transition(request, ACCESS_REQUEST, RequestAction.WITHDRAW, actor=actor, reason=reason or None)
    return request


def resubmit_request(request_id: int, *, actor, lock_version: int | None = None, **changes) -> AccessRequest:
    """Send a withdrawn request again, with any of its stated fields changed; the 45 days start afresh."""
    with unit_of_work():
        request = _buyers_request(request_id, actor, policy.can_resubmit_request, RequestAction.RESUBMIT)
        _check_lock(request, lock_version, _("access request"))
        fields = {name: changes.get(name) if changes.get(name) is not None else getattr(request, name)
                  for name in REQUEST_FIELDS}
        offer = request.offer
        if request.listing.state != ListingState.LISTED or not offer.active:
            raise Conflict(_("The product or offer is no longer listed; make a new request."))
        _check_request(request.listing, offer, fields)
        if _open_request_exists(request.buyer_org_id, request.listing_id):
            raise Conflict(_("Your organisation already has a pending request for this product."))
        for name, value in fields.items():
            setattr(request, name, value)
        now = utcnow()
        request.submitted_at, request.expires_at = now, _expiry(now)
        transition(request, ACCESS_REQUEST, RequestAction.RESUBMIT, actor=actor)
        if offer.instant:
            _approve(request, actor=None, reason=_("Instant offer: no approval needed."), price_minor=None)
    return request


def decide_request(request_id: int, *, decision: str, reason: str = "", price_minor: int | None = None, actor,
                   lock_version: int | None = None) -> AccessRequest:
    """The provider's broker approves (which generates the contract) or declines with a reason."""
    with unit_of_work():
        request = get_request(request_id, actor=actor)
        ACCESS_REQUEST.next_state(request.state, RequestAction.APPROVE)
        policy.require(policy.can_decide_request, actor, request)
        _check_lock(request, lock_version, _("access request"))
        if decision == "approve":
            _approve(request, actor=actor, reason=reason, price_minor=price_minor)
        elif decision == "decline":
            if not reason.strip():
                raise ValidationFailed(_("Give the buyer a reason."), errors={"reason": [_("A reason is required.")]})
            _record_decision(request, actor, reason)
            transition(request, ACCESS_REQUEST, RequestAction.DECLINE, actor=actor, reason=reason)
        else:
            raise ValidationFailed(_("Unknown decision."), errors={"decision": [_("Use approve or decline.")]})
    return request


def _record_decision(request: AccessRequest, actor, reason: str) -> None:
    request.decided_by_id = actor.id if actor is not None else None
    request.decided_at, request.decision_reason = utcnow(), reason


def _approve(request: AccessRequest, *, actor, reason: str, price_minor: int | None) -> Contract:
    offer = request.offer
    if offer.pricing_mode == "negotiable":
        if not price_minor or price_minor <= 0:
            raise ValidationFailed(_("A negotiable offer needs the agreed price."),
                                   errors={"price_minor": [_("Enter the agreed price in minor units.")]})
        request.agreed_price_minor = price_minor
    elif price_minor is not None:
        raise ValidationFailed(_("Only a negotiable offer takes a price at approval."),
                               errors={"price_minor": [_("This offer's price is %(mode)s.",
                                                         mode=label(PRICE_MODES, offer.pricing_mode, lang()))]})
    _record_decision(request, actor, reason)
    transition(request, ACCESS_REQUEST, RequestAction.APPROVE, actor=actor, reason=reason or None)
    return _generate_contract(request, actor)


def _party(org) -> contract_rules.Party:
    return contract_rules.Party(name=org.name, name_en=org.name_en or "", uscc=org.uscc)


def _terms(request: AccessRequest) -> contract_rules.Terms:
    config = current_app.config
    listing, offer, version = request.listing, request.offer, request.listing.version
    price = request.agreed_price_minor if offer.pricing_mode == "negotiable" else offer.price_minor
    mode = "one_off" if offer.pricing_mode == "negotiable" else offer.pricing_mode
    amount = contract_rules.contract_amount(mode, price, offer.billing_period, request.term_months)
    fee_bps = config["MARKETPLACE_FEE_BPS"]
    return contract_rules.Terms(
        number=f"{config['MARKETPLACE_EXCHANGE_CODE']}-C-{utcnow():%Y}-{request.id:06d}",
        provider=_party(request.provider), buyer=_party(request.buyer),
        exchange=contract_rules.Party(name=config["MARKETPLACE_EXCHANGE_NAME"],
                                      name_en=config["MARKETPLACE_EXCHANGE_NAME_EN"], uscc=""),
        product_id=request.product_id, product_name=version.name, product_name_en=version.name_en or "",
        version_number=version.number, certificate_number=listing.certificate_number or "",
        data_categories=tuple(f["name"] for f in version.field_dictionary or []),
        rights=tuple(version.rights or []), scenario=request.scenario, purpose=request.purpose,
        legal_basis=request.legal_basis, delivery_modes=tuple(version.delivery_modes or []),
        delivery_region=request.delivery_region, term_months=request.term_months, pricing_mode=offer.pricing_mode,
        billing_period=offer.billing_period, price_minor=price, amount_minor=amount, currency=offer.currency,
        fee_bps=fee_bps, fee_minor=contract_rules.fee_minor(amount, fee_bps),
        expected_volume=request.expected_volume,
        responsible_person=" ".join(filter(None, (request.responsible_person, request.responsible_contact))))


def _generate_contract(request: AccessRequest, actor) -> Contract:
    terms = _terms(request)
    policy_document = contract_rules.odrl_policy(terms, url_for("catalog.home", _external=True))
    text = contract_rules.document(terms, policy_document)
    contract = Contract(
        state=ContractState.NEW, number=terms.number, request_id=request.id, listing_id=request.listing_id,
        offer_id=request.offer_id,
        product_id=request.product_id, version_id=request.listing.version_id,
        provider_org_id=request.provider_org_id, buyer_org_id=request.buyer_org_id,
        template_version=terms.template_version, terms=contract_rules.terms_dict(terms), text=text,
        document_hash=contract_rules.document_hash(text), policy=policy_document, pricing_mode=terms.pricing_mode,
        amount_minor=terms.amount_minor, currency=terms.currency, fee_bps=terms.fee_bps, fee_minor=terms.fee_minor,
        term_months=terms.term_months)
    db.session.add(contract)
    transition(contract, CONTRACT, ContractAction.GENERATE, actor=actor,
               data={"request_id": request.id, "document_hash": contract.document_hash,
                     "amount_minor": contract.amount_minor, "fee_minor": contract.fee_minor})
    return contract


def sign_contract(contract_id: int, *, document_hash: str, method: str, actor,
                  lock_version: int | None = None) -> Contract:
    """One party signs the exact text it read (its hash must match); when both have, the exchange countersigns.

    `method` records how the signer proved it was them: "password" (re-authentication in the web UI) or
    "token" (an API token with the contracts:sign scope)."""
    with unit_of_work():
        contract = _visible_contract(contract_id, actor)
        CONTRACT.next_state(contract.state, ContractAction.SIGN)
        policy.require(policy.can_sign_contract, actor, contract)
        _check_lock(contract, lock_version, _("contract"))
        if document_hash != contract.document_hash:
            raise Conflict(_("The contract text you signed is not the current one; read it again."),
                           errors={"document_hash": [_("The current hash is %(hash)s.", hash=contract.document_hash)]})
        party = policy.contract_party(actor, contract)
        if contract.signature_of(party) is not None:
            raise Conflict(_("Your organisation has already signed this contract."))
        db.session.add(Signature(contract=contract, party=party, signer_id=actor.id, method=method,
                                 document_hash=document_hash))
        # Counting on the contract row bumps its version: two signers racing cannot both miss the other's signature.
        contract.signature_count += 1
        db.session.flush()
        db.session.expire(contract, ["signatures"])
        transition(contract, CONTRACT, ContractAction.SIGN, actor=actor, data={"party": party, "method": method})
        if all(contract.signature_of(p) is not None for p in PARTIES):
            _countersign(contract)
    return contract


def _countersign(contract: Contract) -> None:
    key_id, key = keys.active_key()
    message = f"{contract.number}\n{contract.document_hash}".encode()
    db.session.add(Signature(contract=contract, party="exchange", signer_id=None, method="exchange-key",
                             document_hash=contract.document_hash, key_id=key_id,
                             signature=base64.b64encode(signing.sign(key, message)).decode()))
    transition(contract, CONTRACT, ContractAction.COUNTERSIGN, actor=None, data={"key_id": key_id})
    if contract.amount_minor == 0:
        # Free and per-call offers (the latter billed by metered usage) need no payment to start.
        activate_contract(contract, actor=None, reason="no payment due")


def activate_contract(contract: Contract, *, actor, reason: str) -> None:
    """Start the term; called in the transaction that confirmed the payment (or countersigned a free one)."""
    now = utcnow()
    contract.activated_at = now
    contract.ends_at = _add_months(now, contract.term_months)
    transition(contract, CONTRACT, ContractAction.ACTIVATE, actor=actor, reason=reason)


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in range(moment.day, 27, -1):  # 31 January + 1 month = 28/29 February
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def terminate_contract(contract_id: int, *, reason: str, actor, lock_version: int | None = None) -> Contract:
    with unit_of_work():
        contract = _visible_contract(contract_id, actor)
        CONTRACT.next_state(contract.state, ContractAction.TERMINATE)
        policy.require(policy.can_terminate_contract, actor, contract)
        _check_lock(contract, lock_version, _("contract"))
        if not reason.strip():
            raise ValidationFailed(_("Give the parties a reason."), errors={"reason": [_("A reason is required.")]})
        end_contract(contract, ContractAction.TERMINATE, actor=actor, reason=reason)
    return contract


def end_contract(contract: Contract, action: ContractAction, *, actor, reason: str) -> None:
    contract.ended_at, contract.state_reason = utcnow(), reason
    transition(contract, CONTRACT, action, actor=actor, reason=reason)


def expire_due(*, now: datetime | None = None) -> dict:
    """Housekeeping: pending requests past 45 days expire, active contracts past their term expire.
    Idempotent: each object moves once, in its own unit of work."""
    now = now or utcnow()
    expired = {"requests_expired": 0, "contracts_expired": 0}
    due_requests = db.session.scalars(select(AccessRequest.id).where(
        AccessRequest.state == RequestState.PENDING, AccessRequest.expires_at <= now)).all()
    for request_id in due_requests:
        with unit_of_work():
            request = db.session.get(AccessRequest, request_id)
            if request.state == RequestState.PENDING and request.expires_at <= now:
                transition(request, ACCESS_REQUEST, RequestAction.EXPIRE, actor=None,
                           reason="no decision within the expiry period")
                expired["requests_expired"] += 1
    due_contracts = db.session.scalars(select(Contract.id).where(
        Contract.state == ContractState.ACTIVE, Contract.ends_at <= now)).all()
    for contract_id in due_contracts:
        with unit_of_work():
            contract = db.session.get(Contract, contract_id)
            if contract.state == ContractState.ACTIVE and contract.ends_at <= now:
                end_contract(contract, ContractAction.EXPIRE, actor=None, reason="term ended")
                expired["contracts_expired"] += 1
    return expired


def _visible_contract(contract_id: int, actor) -> Contract:
    contract = db.session.get(Contract, contract_id)
    if contract is None or not policy.allowed(policy.can_view_contract, actor, contract):
        raise NotFound(_("No such contract."))
    return contract


def get_request(request_id: int, *, actor) -> AccessRequest:
    request = db.session.get(AccessRequest, request_id)
    if request is None or not policy.allowed(policy.can_view_request, actor, request):
        raise NotFound(_("No such access request."))
    return request


def get_contract(contract_id: int, *, actor) -> Contract:
    return _visible_contract(contract_id, actor)


def _mine(model, actor):
    """Rows of `model` the actor's organisation is a party to (all of them for the exchange)."""
    statement = select(model).order_by(model.id.desc())
    if policy.is_exchange_staff(actor):
        return statement
    return statement.where(or_(model.buyer_org_id == actor.org_id, model.provider_org_id == actor.org_id))


def list_requests(*, actor, state: str | None = None, limit: int = 100) -> list[AccessRequest]:
    policy.require(policy.can_trade, actor)
    # Pages show each request's product (through its listing), the API its contract: one query each for all rows.
    statement = _mine(AccessRequest, actor).options(selectinload(AccessRequest.listing),
                                                    selectinload(AccessRequest.contract))
    if state:
        statement = statement.where(AccessRequest.state == state)
    return list(db.session.scalars(statement.limit(limit)))


def list_contracts(*, actor, state: str | None = None, limit: int = 100) -> list[Contract]:
    policy.require(policy.can_trade, actor)
    statement = _mine(Contract, actor).options(selectinload(Contract.version))  # every row shows its product
    if state:
        statement = statement.where(Contract.state == state)
    return list(db.session.scalars(statement.limit(limit)))


def verify_countersignature(contract: Contract) -> bool:
    """Does the exchange's countersignature hold for this contract's text (for auditors and tests)?"""
    countersignature = contract.signature_of("exchange")
    if countersignature is None:
        return False
    public_key = keys.public_keys().get(countersignature.key_id)
    message = f"{contract.number}\n{contract_rules.document_hash(contract.text)}".encode()
    return public_key is not None and signing.verify_signature(
        public_key, message, base64.b64decode(countersignature.signature))
