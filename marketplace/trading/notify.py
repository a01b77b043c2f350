"""Tells the parties of a trade about each step: every transition of an access request, a contract or a payment
becomes a notification for the buyer's and the provider's members (and the exchange's, for payments; only the
recipient bank's, for a consent).

Trading sits above notifications, so it is trading that subscribes; payments are told apart by the signal's
sender and read through their contract, without importing payments (which sits above trading)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from marketplace import ui
from marketplace.accounts.models import Organization, OrgKind
from marketplace.extensions import db
from marketplace.lifecycle import transitioned
from marketplace.notifications import services as notifications

SENDERS = ("access_request", "contract", "payment", "consent")


def _names(org) -> dict[str, str]:
    return {"zh": org.name, "en": org.name_en or org.name}


def _product(version) -> dict[str, str]:
    return {"zh": version.name, "en": version.name_en or version.name}


def _exchange_org_ids() -> list[int]:
    return list(db.session.scalars(select(Organization.id).where(Organization.kind == OrgKind.EXCHANGE,
                                                                 Organization.state == "approved")))


def _about_request(request, reason) -> tuple[list[int], dict]:
    return [request.buyer_org_id, request.provider_org_id], {
        "number": f"#{request.id}", "product": _product(request.listing.version), "buyer": _names(request.buyer),
        "reason": reason or request.decision_reason or ""}


def _about_contract(contract, actor, reason) -> tuple[list[int], dict]:
    signer = _names(actor.organization) if actor is not None and actor.organization is not None else None
    return [contract.buyer_org_id, contract.provider_org_id], {
        "number": contract.number, "product": _product(contract.version), "reason": reason or contract.state_reason,
        "signer": signer}


def _about_payment(payment, reason) -> tuple[list[int], dict]:
    contract = payment.contract
    parties = [contract.buyer_org_id, contract.provider_org_id, *_exchange_org_ids()]
    return parties, {"number": contract.number, "contract_id": contract.id, "reference": payment.reference,
                     "amount": ui.money(payment.amount_minor, payment.currency),
                     "reason": reason or payment.failure_reason}


def _about_consent(consent, reason) -> tuple[list[int], dict]:
    """Only the recipient bank is told (the provider learns nothing of who consents); read without importing
    consent, which sits above trading."""
    return [consent.recipient_org_id], {
        "number": consent.number or f"#{consent.id}", "person": consent.subject.id_number_masked,
        "contract": consent.contract.number, "contract_id": consent.contract_id,
        "erasure_due": ui.day(consent.erasure_due_at), "reason": reason or ""}


def _tell_parties(sender, *, obj, action, actor, reason, **_kw) -> None:
    if sender == "access_request":
        org_ids, params = _about_request(obj, reason)
    elif sender == "contract":
        org_ids, params = _about_contract(obj, actor, reason)
    elif sender == "payment":
        org_ids, params = _about_payment(obj, reason)
    elif sender == "consent":
        org_ids, params = _about_consent(obj, reason)
    else:
        return
    notifications.notify(f"{sender}.{action}", org_ids=org_ids, object_type=sender, object_id=obj.id,
                         params=params)


def connect() -> None:
    """Called once by the app factory: trading transitions start notifying, and the inbox links to their pages."""
    for sender in SENDERS:
        transitioned.connect(_tell_parties, sender=sender, weak=False)
    notifications.register_link("access_request",
                                lambda object_id, _params: url_for("trading.request_detail", request_id=object_id))
    notifications.register_link("contract",
                                lambda object_id, _params: url_for("trading.contract", contract_id=object_id))
    notifications.register_link("payment",
                                lambda _id, params: url_for("trading.contract", contract_id=params["contract_id"]))
    notifications.register_link("consent", lambda _id, params: url_for(
        "trading.contract", contract_id=params["contract_id"], _anchor="consents"))
