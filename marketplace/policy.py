"""Every authorization rule, as pure predicates over (user, object, state). Services enforce; templates ask."""

from __future__ import annotations

import logging
from collections.abc import Callable

from marketplace.errors import Forbidden

log = logging.getLogger(__name__)

# What an API client may be granted, by the role of the user who creates it.
SCOPES_BY_ROLE = {
    "broker": ("products", "listings", "trading", "contracts:sign", "delivery", "objections"),
    "buyer": ("trading", "contracts:sign", "delivery", "objections"),
    "reviewer": ("reviews", "objections"),
    "admin": ("admin", "listings", "trading", "objections"),
    "finance": ("trading", "payments", "objections"),
    "subject": ("consents", "objections"),
}

SCOPES = {
    "products": "Draft, edit, upload to and submit your organisation's products.",
    "reviews": "Work the review queue and decide checklist items and reviews.",
    "listings": "List your registered products with offers (brokers); suspend, relist and delist (admins).",
    "objections": "Object to a product during its public notice.",
    "admin": "Decide objections (exchange admins).",
    "trading": "Request access and pay (buyers), decide requests (brokers), read your organisation's contracts.",
    "contracts:sign": "Sign contracts on behalf of your organisation.",
    "payments": "Confirm bank-transfer settlements (exchange finance).",
    "consents": "Grant and withdraw your consents (data subjects).",
    "delivery": "Receive data under your organisation's active contracts (buyers); publish releases (brokers).",
}

EDITABLE_PRODUCT_STATES = ("draft", "changes_requested")


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.active


def is_signed_in(user) -> bool:
    return _signed_in(user)


def _in_approved_org(user) -> bool:
    return user.organization is not None and user.organization.state == "approved"


def is_admin(user) -> bool:
    return _signed_in(user) and user.role == "admin" and _in_approved_org(user)


def can_decide_organizations(user) -> bool:
    return is_admin(user)


def can_invite_members(user, org) -> bool:
    return (_signed_in(user) and user.is_org_admin and user.org_id == org.id and org.state == "approved")


def can_create_product(user) -> bool:
    return (_signed_in(user) and user.role == "broker" and _in_approved_org(user)
            and user.organization.kind == "provider")


def is_product_owner(user, product) -> bool:
    return _signed_in(user) and user.role == "broker" and user.org_id == product.org_id and _in_approved_org(user)


def can_view_product(user, product) -> bool:
    if is_product_owner(user, product):
        return True
    return _signed_in(user) and user.role in ("reviewer", "admin") and _in_approved_org(user)


def can_edit_version(user, version) -> bool:
    return is_product_owner(user, version.product) and version.state in EDITABLE_PRODUCT_STATES


def can_view_reviews(user) -> bool:
    return _signed_in(user) and user.role == "reviewer" and _in_approved_org(user)


def can_decide_review(user, review) -> bool:
    """A reviewer never decides their own organisation's product, and the submitter never approves."""
    version = review.version
    return (can_view_reviews(user)
            and user.org_id != version.product.org_id
            and user.id != version.submitted_by_id)


def can_object(user, notice) -> bool:
    return _signed_in(user) and notice.state == "open"


def can_decide_objection(user, objection) -> bool:
    return is_admin(user) and objection.state == "open"


def _holds(user, certificate) -> bool:
    return (_signed_in(user) and user.role == "broker" and _in_approved_org(user)
            and user.organization.uscc == certificate.holder_uscc)


def can_cancel_certificate(user, certificate) -> bool:
    return _holds(user, certificate) and certificate.status == "valid"


def can_renew_certificate(user, certificate) -> bool:
    return _holds(user, certificate) and certificate.status == "expired"


def can_revoke_certificate(user, certificate) -> bool:
    return is_admin(user) and certificate.status == "valid"


def can_list_product(user, product) -> bool:
    return is_product_owner(user, product)


def can_view_listing(user, listing) -> bool:
    return is_product_owner(user, listing.product) or is_admin(user)


def can_moderate_listing(user, listing) -> bool:
    """Suspending and relisting are the exchange's; the broker is told the reason."""
    return is_admin(user) and listing.state in ("listed", "suspended")


def can_delist_listing(user, listing) -> bool:
    return (is_admin(user) or is_product_owner(user, listing.product)) and listing.state in ("listed", "suspended")


def is_exchange_staff(user) -> bool:
    """Admins and finance of the exchange itself, who see every trade."""
    return (_signed_in(user) and user.role in ("admin", "finance") and _in_approved_org(user)
            and user.organization.kind == "exchange")


def can_trade(user) -> bool:
    return (_signed_in(user) and _in_approved_org(user) and user.role in ("buyer", "broker")) \
        or is_exchange_staff(user)


def can_request_access(user, listing) -> bool:
    return (_signed_in(user) and user.role == "buyer" and _in_approved_org(user)
            and listing.state == "listed" and listing.org_id != user.org_id)


def _buys(user, obj) -> bool:
    return _signed_in(user) and user.role == "buyer" and _in_approved_org(user) and user.org_id == obj.buyer_org_id


def _provides(user, obj) -> bool:
    return (_signed_in(user) and user.role == "broker" and _in_approved_org(user)
            and user.org_id == obj.provider_org_id)


def can_view_request(user, request) -> bool:
    return _buys(user, request) or _provides(user, request) or is_exchange_staff(user)


def can_withdraw_request(user, request) -> bool:
    return _buys(user, request) and request.state == "pending"


def can_resubmit_request(user, request) -> bool:
    return _buys(user, request) and request.state == "withdrawn"


def can_decide_request(user, request) -> bool:
    return _provides(user, request) and request.state == "pending"


def can_view_contract(user, contract) -> bool:
    return _buys(user, contract) or _provides(user, contract) or is_exchange_staff(user)


def contract_party(user, contract) -> str | None:
    """Which side of the contract the user signs for: "buyer", "provider", or None."""
    if _buys(user, contract):
        return "buyer"
    if _provides(user, contract):
        return "provider"
    return None


def can_sign_contract(user, contract) -> bool:
    return contract_party(user, contract) is not None and contract.state == "awaiting_signatures"


def can_terminate_contract(user, contract) -> bool:
    """The exchange ends a contract (breach, a party's request); the parties ask it to."""
    return is_admin(user) and contract.state in ("awaiting_signatures", "awaiting_payment", "active")


def can_pay_contract(user, contract) -> bool:
    return _buys(user, contract) and contract.state == "awaiting_payment"


def can_confirm_payment(user, payment) -> bool:
    """Exchange finance confirms that a bank transfer arrived (exchange staff are never a contract's party)."""
    return (is_exchange_staff(user) and user.role == "finance" and payment.provider == "offline"
            and payment.state in ("requires_payment", "processing"))


def is_data_subject(user) -> bool:
    return _signed_in(user) and user.role == "subject"


def can_request_consent(user, contract) -> bool:
    """The buyer asks a person for consent through its own contract (PIPL art. 23: the recipient asks)."""
    return _buys(user, contract)


def is_consent_subject(user, consent) -> bool:
    return is_data_subject(user) and consent.subject_user_id == user.id


def can_view_consent(user, consent) -> bool:
    return (is_consent_subject(user, consent) or _buys(user, consent.contract)
            or (is_exchange_staff(user) and user.role == "admin"))


def is_recipient(user, notification) -> bool:
    return _signed_in(user) and notification.user_id == user.id


def can_manage_webhooks(user) -> bool:
    """An organisation's admin registers where its event webhooks go."""
    return _signed_in(user) and user.is_org_admin and user.organization is not None and _in_approved_org(user)


def can_create_client(user) -> bool:
    return _signed_in(user)


def can_receive_delivery(user, contract) -> bool:
    """Data goes to the buyer organisation's buyers only; the contract's state is checked at each call."""
    return _buys(user, contract)


def can_publish_release(user, product) -> bool:
    """A product's own brokers publish (and revoke) its releases."""
    return is_product_owner(user, product)


def can_revoke_release(user, release) -> bool:
    return is_product_owner(user, release.product) and release.state == "published"


def allowed(predicate: Callable[..., bool], *args) -> bool:
    """Fail closed: a rule that raises denies."""
    try:
        return bool(predicate(*args))
    except Exception:
        log.exception("permission check %s failed; denying", predicate.__name__)
        return False


def require(predicate: Callable[..., bool], *args, message: str = "You are not allowed to do this.") -> None:
    if not allowed(predicate, *args):
        raise Forbidden(message)
