"""Certificates: issuing (signed, logged), and their lifecycle — superseded, cancelled, revoked, expired, renewed.

Every issuance and every status change appends exactly one leaf to the transparency log in the same
transaction as the change and its audit row.
"""

from __future__ import annotations

import base64
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from compliance import receipt, signing
from compliance.digest import sha256_hex
from marketplace import audit, keys, policy
from marketplace.database import unit_of_work
from marketplace.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.products.models import ProductVersion
from marketplace.products.states import PRODUCT_VERSION, VersionAction
from marketplace.registration import transparency
from marketplace.registration.models import Certificate, Review
from marketplace.registration.states import (
    CERTIFICATE,
    LOG_EVENTS,
    CertificateAction,
    CertificateState,
    ReviewState,
)
from marketplace.types import utcnow

# What happens to the registered product version when its certificate changes status.
VERSION_ACTIONS = {
    CertificateAction.SUPERSEDE: VersionAction.SUPERSEDE,
    CertificateAction.CANCEL: VersionAction.CANCEL,
    CertificateAction.REVOKE: VersionAction.REVOKE,
    CertificateAction.EXPIRE: VersionAction.EXPIRE,
}


def _change(certificate: Certificate, action: CertificateAction, *, actor, reason: str | None) -> None:
    """One status change: the certificate's and its version's transitions, the log leaf, the audit rows."""
    transition(certificate, CERTIFICATE, action, actor=actor, reason=reason)
    certificate.status_reason = reason
    if action in VERSION_ACTIONS:
        transition(certificate.version, PRODUCT_VERSION, VERSION_ACTIONS[action], actor=actor, reason=reason)
    transparency.append(certificate, LOG_EVENTS[action])


def _sign(certificate: Certificate) -> None:
    key_id, private_key = keys.active_key()
    message = receipt.certificate_signature_message(certificate.document())
    certificate.key_id = key_id
    certificate.signature = base64.b64encode(signing.sign(private_key, message)).decode()


def issue(version: ProductVersion, now, *, registration_type: str | None = None,
          predecessor: Certificate | None = None) -> Certificate:
    """Issue, sign and log the certificate of a version whose notice passed (or that is being renewed)."""
    config = current_app.config
    if predecessor is None and registration_type is None:
        predecessor = db.session.scalar(select(Certificate).where(
            Certificate.product_id == version.product_id, Certificate.status == CertificateState.VALID))
        if predecessor is not None:
            _change(predecessor, CertificateAction.SUPERSEDE, actor=None,
                    reason=f"version {version.number} registered")
    serial = (db.session.scalar(select(func.max(Certificate.serial)).where(
        Certificate.year == now.year, Certificate.kind == "P")) or 0) + 1
    review = db.session.scalar(select(Review).where(Review.version_id == version.id,
                                                    Review.state == ReviewState.APPROVED))
    org = version.product.organization
    certificate = Certificate(
        number=f"{config['MARKETPLACE_EXCHANGE_CODE']}-{now.year}-P-{serial:06d}", year=now.year, kind="P",
        serial=serial, registration_type=registration_type or ("change" if predecessor else "first"),
        product_id=version.product_id, version_id=version.id, review_id=review.id if review else None,
        holder_name=org.name, holder_uscc=org.uscc, product_name=version.name, version_number=version.number,
        metadata_digest=sha256_hex(version.metadata_document()), rights=list(version.rights or []),
        issuing_body=config["MARKETPLACE_EXCHANGE_NAME"], issued_at=now, valid_from=now,
        valid_to=now + timedelta(days=365 * int(config["MARKETPLACE_CERTIFICATE_YEARS"])),
        status=CertificateState.VALID, predecessor_number=predecessor.number if predecessor else None,
    )
    db.session.add(certificate)
    db.session.flush()
    _sign(certificate)
    transparency.append(certificate, "issued")
    audit.record(None, "certificate.issue", "certificate", certificate.id,
                 {"number": certificate.number, "digest": certificate.metadata_digest, "key_id": certificate.key_id})
    return certificate


def get_certificate(number: str) -> Certificate:
    certificate = db.session.scalar(select(Certificate).where(Certificate.number == number))
    if certificate is None:
        raise NotFound(_("No certificate numbered %(number)s.", number=number))
    return certificate


def certificates_of(product_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.product_id == product_id)
                                   .order_by(Certificate.issued_at)))


def get_receipt(number: str) -> dict:
    """Stable contract 5: the certificate, its signature, and an inclusion proof under the latest checkpoint."""
    return transparency.receipt_of(get_certificate(number))


def verify(number: str) -> dict | None:
    """What the public verification page shows: the receipt checked against the exchange's published keys."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.number == number))
    if certificate is None:
        return None
    try:
        found = transparency.receipt_of(certificate)
    except NotFound as exc:
        return {"certificate": certificate, "receipt": None, "checks": [("log", False, exc.detail)], "ok": False}
    checks = receipt.verify_receipt(found, keys.public_keys())
    return {"certificate": certificate, "receipt": found, "checks": checks, "ok": all(ok for _n, ok, _d in checks)}


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed(_("Give a reason; it is shown on the certificate."), errors={"reason": [_("Required.")]})
    return reason.strip()


def _end(number: str, action: CertificateAction, rule, *, reason: str, actor) -> Certificate:
    with unit_of_work():
        certificate = get_certificate(number)
        policy.require(rule, actor, certificate)
        _change(certificate, action, actor=actor, reason=_reason(reason))
    return certificate


def cancel_certificate(number: str, *, reason: str, actor) -> Certificate:
    """注销: the holder gives up the registration; the product leaves the catalog."""
    return _end(number, CertificateAction.CANCEL, policy.can_cancel_certificate, reason=reason, actor=actor)


def revoke_certificate(number: str, *, reason: str, actor) -> Certificate:
    """撤销: the exchange withdraws the registration, with a reason the holder and the public see."""
    return _end(number, CertificateAction.REVOKE, policy.can_revoke_certificate, reason=reason, actor=actor)


def renew_certificate(number: str, *, actor) -> Certificate:
    """续展: an expired certificate's holder gets a new certificate for the same registered version."""
    with unit_of_work():
        certificate = get_certificate(number)
        policy.require(policy.can_renew_certificate, actor, certificate)
        product = certificate.version.product
        if product.latest.id != certificate.version_id or db.session.scalar(select(func.count()).where(
                Certificate.product_id == product.id, Certificate.status == CertificateState.VALID)):
            # A later version (or a valid certificate) exists: renewing this one would register two versions.
            raise InvalidTransition(_("A later version of this product exists; renew or register that one."))
        transition(certificate, CERTIFICATE, CertificateAction.RENEW, actor=actor)
        transparency.append(certificate, LOG_EVENTS[CertificateAction.RENEW])
        renewed = issue(certificate.version, utcnow(), registration_type="renewal", predecessor=certificate)
        # After the new certificate exists, so whatever follows the version's renewal (the catalog) sees it.
        transition(certificate.version, PRODUCT_VERSION, VersionAction.RENEW, actor=actor)
    return renewed


def log_unlogged_certificates() -> list[str]:
    """Housekeeping: sign and log certificates issued before the log existed (older databases). Idempotent."""
    logged = []
    for certificate_id in db.session.scalars(select(Certificate.id).where(Certificate.signature.is_(None))
                                             .order_by(Certificate.id)).all():
        with unit_of_work():
            certificate = db.session.get(Certificate, certificate_id)
            if certificate.signature is not None:
                continue
            _sign(certificate)
            transparency.append(certificate, "issued")
            if certificate.status != CertificateState.VALID:
                transparency.append(certificate, certificate.status)
            audit.record(None, "certificate.log", "certificate", certificate.id, {"key_id": certificate.key_id})
            logged.append(certificate.number)
    return logged


def expire_due_certificates(*, now=None) -> list[str]:
    """Housekeeping: certificates past their validity expire (each in its own transaction). Idempotent."""
    now = now or utcnow()
    due = db.session.scalars(select(Certificate.id).where(Certificate.status == CertificateState.VALID,
                                                          Certificate.valid_to <= now)).all()
    expired = []
    for certificate_id in due:
        with unit_of_work():
            certificate = db.session.get(Certificate, certificate_id)
            if certificate.status != CertificateState.VALID or certificate.valid_to > now:
                continue
            _change(certificate, CertificateAction.EXPIRE, actor=None, reason="validity ended")
            expired.append(certificate.number)
    return expired
