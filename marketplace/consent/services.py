"""Use cases of consent: a buyer asks a data subject through its contract, the subject reads the exact notice
and grants or refuses, a grant gives them a signed personal data certificate naming the bank, and withdrawal
is one step that takes effect on the very next access. Delivery asks `live_consent` on every read.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload, load_only, selectinload

from compliance import consent as notices
from compliance import signing
from compliance.digest import canonical_json
from marketplace import keys, policy
from marketplace.accounts import services as accounts
from marketplace.consent.models import Consent, SubjectAccess
from marketplace.consent.states import CONSENT, ConsentAction, ConsentState
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.trading import services as trading
from marketplace.trading.models import Contract
from marketplace.trading.states import ContractState
from marketplace.types import utcnow

MAX_RETENTION_DAYS = 365
# Withdrawal obliges the recipient to delete what it received within this many days (PIPL art. 47).
ERASURE_DAYS = 15
ENDED_CONTRACT_STATES = (ContractState.EXPIRED, ContractState.TERMINATED)


def _pi_fields(contract: Contract) -> set[str]:
    return {f["name"] for f in contract.version.field_dictionary or [] if f.get("pi") or f.get("sensitive")}


def _field_names(contract: Contract) -> set[str]:
    return {f["name"] for f in contract.version.field_dictionary or []}


def request_consent(*, contract_id: int, id_number: str, categories: list[str], retention_days: int,
                    purpose_text: str = "", actor) -> Consent:
    """The bank asks one person, through its active contract for a personal-data product, for separate consent."""
    with unit_of_work():
        contract = trading.get_contract(contract_id, actor=actor)
        policy.require(policy.can_request_consent, actor, contract)
        if contract.state != ContractState.ACTIVE or (contract.ends_at and contract.ends_at <= utcnow()):
            raise Conflict(_("Consent is asked under an active contract; this one is %(state)s.",
                             state=contract.state if contract.state != ContractState.ACTIVE else _("past its term")))
        if not contract.version.holds_pi:
            raise Conflict(_("This product holds no personal information: no consent is needed."))
        categories = list(dict.fromkeys(categories))
        unknown = sorted(set(categories) - _field_names(contract))
        errors: dict[str, list[str]] = {}
        if not categories:
            errors["categories"] = [_("Name the data categories you ask for.")]
        elif unknown:
            errors["categories"] = [_("Not fields of this product: %(list)s.", list=", ".join(unknown))]
        if not 1 <= retention_days <= MAX_RETENTION_DAYS:
            errors["retention_days"] = [_("Retention is 1 to %(n)d days.", n=MAX_RETENTION_DAYS)]
        if errors:
            raise ValidationFailed(_("The consent request is not valid."), errors=errors)
        subject = accounts.subject_by_id_number(id_number)
        if subject is None:
            raise NotFound(_("No data subject with this identity number uses the exchange; they must sign up first."))
        # One open question at a time; a granted consent that already covers these categories needs no other.
        # Asking for more categories than granted (widening) is a new consent, asked while the old one holds.
        for other in db.session.scalars(select(Consent).where(
                Consent.subject_user_id == subject.id, Consent.contract_id == contract.id,
                Consent.state.in_([ConsentState.REQUESTED, ConsentState.GRANTED]))):
            if other.state == ConsentState.REQUESTED:
                raise Conflict(_("This person has not yet answered an earlier request under this contract."))
            if set(categories) <= set(other.categories):
                raise Conflict(_("This person's granted consent %(number)s already covers these categories.",
                                 number=other.number))
        request = contract.request
        notice = notices.Notice(
            recipient=contract.buyer.name, recipient_en=contract.buyer.name_en or "",
            recipient_uscc=contract.buyer.uscc,
            recipient_contact=" ".join(filter(None, (request.responsible_person, request.responsible_contact))),
            provider=contract.provider.name, provider_en=contract.provider.name_en or "",
            product=contract.version.name, product_en=contract.version.name_en or "",
            purpose=request.scenario, purpose_text=purpose_text or request.purpose, categories=tuple(categories),
            method="records_api", retention_days=retention_days, valid_until=f"{contract.ends_at:%Y-%m-%d}",
            contract_number=contract.number, withdraw_url=url_for("consent.my_data", _external=True))
        text = notices.render(notice)
        consent = Consent(
            state=ConsentState.NEW, subject_user_id=subject.id, subject_hash=subject.id_number_hash,
            contract_id=contract.id, recipient_org_id=contract.buyer_org_id, provider_org_id=contract.provider_org_id,
            product_id=contract.product_id, purpose=request.scenario, purpose_text=notice.purpose_text,
            categories=list(categories), method=notice.method, retention_days=retention_days,
            valid_until=contract.ends_at, notice_text=text, notice_hash=notices.notice_hash(text),
            requested_by_id=actor.id)
        db.session.add(consent)
        transition(consent, CONSENT, ConsentAction.REQUEST, actor=actor,
                   data={"contract_id": contract.id, "categories": list(categories)})
    return consent


def _subjects_consent(consent_id: int, actor, action: ConsentAction) -> Consent:
    consent = db.session.get(Consent, consent_id)
    if consent is None or not policy.allowed(policy.can_view_consent, actor, consent):
        raise NotFound(_("No such consent."))
    # Only the person decides; the bank that can read the consent is refused before any state is revealed.
    policy.require(policy.is_consent_subject, actor, consent)
    CONSENT.next_state(consent.state, action)
    return consent


def grant(consent_id: int, *, notice_hash: str, actor) -> Consent:
    """The subject grants, having read the notice whose hash they send; they get a signed certificate."""
    with unit_of_work():
        consent = _subjects_consent(consent_id, actor, ConsentAction.GRANT)
        if notice_hash != consent.notice_hash:
            raise Conflict(_("The notice you agreed to is not the one on record; read it again."))
        now = utcnow()
        if consent.valid_until <= now:
            raise Conflict(_("This request lapsed on %(day)s; the bank must ask again.",
                             day=f"{consent.valid_until:%Y-%m-%d}"))
        consent.decided_at = now
        # Unguessable: the public verification page must not let anyone walk through everyone's consents.
        consent.number = (f"{current_app.config['MARKETPLACE_EXCHANGE_CODE']}-{now:%Y}-S-"
                          f"{secrets.token_hex(6).upper()}")
        consent.certificate = _certificate(consent, now)
        key_id, key = keys.active_key()
        consent.key_id = key_id
        consent.signature = base64.b64encode(signing.sign(key, canonical_json(consent.certificate))).decode()
        transition(consent, CONSENT, ConsentAction.GRANT, actor=actor, data={"number": consent.number})
    return consent


def _certificate(consent: Consent, now: datetime) -> dict:
    """The personal data certificate: who consented (masked), to whom, for what, until when."""
    return {
        "type": "personal_data_consent", "number": consent.number,
        "subject": {"name": notices.mask_name(consent.subject.name), "id_number": consent.subject.id_number_masked},
        "recipient": {"name": consent.recipient.name, "uscc": consent.recipient.uscc},
        "provider": {"name": consent.provider.name, "uscc": consent.provider.uscc},
        "product_id": consent.product_id, "contract": consent.contract.number, "purpose": consent.purpose,
        "categories": list(consent.categories), "valid_from": now.isoformat(),
        "valid_until": consent.valid_until.isoformat(), "notice_hash": consent.notice_hash,
        "issuer": current_app.config["MARKETPLACE_EXCHANGE_NAME"],
    }


def refuse(consent_id: int, *, actor) -> Consent:
    with unit_of_work():
        consent = _subjects_consent(consent_id, actor, ConsentAction.REFUSE)
        consent.decided_at = utcnow()
        transition(consent, CONSENT, ConsentAction.REFUSE, actor=actor)
    return consent


def withdraw(consent_id: int, *, actor) -> Consent:
    """One step, from the same page: the next read is refused, the bank is told to delete what it received."""
    with unit_of_work():
        consent = _subjects_consent(consent_id, actor, ConsentAction.WITHDRAW)
        now = utcnow()
        consent.withdrawn_at, consent.erasure_due_at = now, now + timedelta(days=ERASURE_DAYS)
        transition(consent, CONSENT, ConsentAction.WITHDRAW, actor=actor,
                   data={"erasure_due_at": consent.erasure_due_at.isoformat()})
    return consent


def live_consent(*, subject_hash: str, contract: Contract, categories, now: datetime | None = None) -> Consent | None:
    """The granted consent that covers this read right now: same subject, same recipient, same contract (hence
    purpose), every requested category, within validity. Asked on every access, so a withdrawal or expiry
    counts from the very next call, whatever token the caller holds."""
    now = now or utcnow()
    wanted = set(categories)
    if contract.state in ENDED_CONTRACT_STATES:
        return None
    for consent in db.session.scalars(_granted_consents(), {
            "subject_hash": subject_hash, "recipient_org_id": contract.buyer_org_id, "contract_id": contract.id}):
        if consent.purpose == contract.request.scenario and wanted <= set(consent.categories) \
                and consent.valid_until > now:
            return consent
    return None


@cache
def _granted_consents():
    """The statement live_consent runs, built once (delivery asks it on every read: building and keying a statement
    cost more than running it). Only the columns it decides by and logs with, not the notice text, the
    certificate or the recipient organisation (joined by default, for pages); the rest loads if touched."""
    return (select(Consent).where(Consent.subject_hash == bindparam("subject_hash"),
                                  Consent.recipient_org_id == bindparam("recipient_org_id"),
                                  Consent.contract_id == bindparam("contract_id"),
                                  Consent.state == ConsentState.GRANTED)
            .options(load_only(Consent.number, Consent.subject_user_id, Consent.state, Consent.lock_version,
                               Consent.purpose, Consent.categories, Consent.valid_until), lazyload("*"))
            # Of two that cover the read, the newest: the access is logged against one the person can recognise.
            .order_by(Consent.id.desc()))


def access_line(consent: Consent, *, contract: Contract, fields: list[str], actor, channel: str = "records") -> dict:
    """The columns of the subject's log line of one read (SubjectAccess), for the caller to insert when it commits:
    record delivery inserts it without the unit of work's bookkeeping for an object it never reads back."""
    return {"consent_id": consent.id, "subject_user_id": consent.subject_user_id, "contract_id": contract.id,
            "recipient_org_id": contract.buyer_org_id, "accessed_by_id": actor.id, "fields": list(fields),
            "channel": channel}


def record_access(consent: Consent, *, contract: Contract, fields: list[str], actor, channel: str = "records") -> None:
    """Log a read for the subject's page, in the caller's transaction."""
    db.session.add(SubjectAccess(**access_line(consent, contract=contract, fields=fields, actor=actor,
                                               channel=channel)))


def _lapsed(consent: Consent, now: datetime) -> str | None:
    if consent.state not in (ConsentState.REQUESTED, ConsentState.GRANTED):
        return None
    if consent.valid_until <= now:
        return "validity ended"
    if consent.contract.state in ENDED_CONTRACT_STATES:
        return f"contract {consent.contract.state}"
    return None


def expire_due(*, now: datetime | None = None) -> dict:
    """Housekeeping: consents past their validity (their contract's end), or whose contract ended early, expire.
    Idempotent."""
    now = now or utcnow()
    count = 0
    open_states = [ConsentState.REQUESTED, ConsentState.GRANTED]
    due = select(Consent.id).join(Contract, Contract.id == Consent.contract_id).where(
        Consent.state.in_(open_states),
        (Consent.valid_until <= now) | Contract.state.in_(ENDED_CONTRACT_STATES))
    for consent_id in db.session.scalars(due).all():
        with unit_of_work():
            consent = db.session.get(Consent, consent_id)
            reason = _lapsed(consent, now)
            if reason:
                transition(consent, CONSENT, ConsentAction.EXPIRE, actor=None, reason=reason)
                count += 1
    return {"consents_expired": count}


def consents_of_subject(*, actor) -> list[Consent]:
    policy.require(policy.is_data_subject, actor)
    # Each consent names its contract (the API's contract_number): one query for all of them.
    return list(db.session.scalars(select(Consent).where(Consent.subject_user_id == actor.id)
                                   .order_by(Consent.id.desc()).options(selectinload(Consent.contract))))


def accesses_of_subject(*, actor, limit: int = 200) -> list[SubjectAccess]:
    policy.require(policy.is_data_subject, actor)
    return list(db.session.scalars(select(SubjectAccess).where(SubjectAccess.subject_user_id == actor.id)
                                   .order_by(SubjectAccess.id.desc()).limit(limit)))


def get_consent(consent_id: int, *, actor) -> Consent:
    consent = db.session.get(Consent, consent_id)
    if consent is None or not policy.allowed(policy.can_view_consent, actor, consent):
        raise NotFound(_("No such consent."))
    return consent


def consents_of_contract(contract: Contract, *, actor) -> list[Consent]:
    """The consents asked under a contract, as far as the actor may see them (the bank, not the provider)."""
    policy.require(policy.can_view_contract, actor, contract)
    # Each row shows its person (masked identity number): one query for all of them.
    return [consent for consent in db.session.scalars(select(Consent).where(Consent.contract_id == contract.id)
                                                      .order_by(Consent.id.desc())
                                                      .options(selectinload(Consent.subject)))
            if policy.allowed(policy.can_view_consent, actor, consent)]


def certificate_by_number(number: str) -> Consent:
    """Public verification by number: the certificate and its signature (the subject shares the link or QR)."""
    consent = db.session.scalar(select(Consent).where(Consent.number == number))
    if consent is None:
        raise NotFound(_("No personal data certificate with this number."))
    return consent


def verify_certificate(consent: Consent) -> bool:
    public_key = keys.public_keys().get(consent.key_id)
    return public_key is not None and consent.certificate is not None and signing.verify_signature(
        public_key, canonical_json(consent.certificate), base64.b64decode(consent.signature))


def count_live(*, subject_hash: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Consent).where(
        Consent.subject_hash == subject_hash, Consent.state == ConsentState.GRANTED))
