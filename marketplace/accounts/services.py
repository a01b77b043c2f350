"""Use cases of accounts: applying to join, deciding applications, members, sign-in, API clients."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from compliance.identifiers import mask, resident_id_is_valid, uscc_is_valid
from marketplace import audit, policy, ratelimit
from marketplace.accounts.models import (
    ROLES_BY_KIND,
    Invitation,
    OAuthClient,
    Organization,
    OrgKind,
    Role,
    User,
    sha256_hex,
)
from marketplace.accounts.passwords import check_password_rules
from marketplace.accounts.states import ORGANIZATION, OrgState
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.types import utcnow

INVITATION_DAYS = 7


def _check_uscc(uscc: str) -> str:
    uscc = uscc.strip().upper()
    if not uscc_is_valid(uscc):
        raise ValidationFailed(_("The unified social credit code is not valid (GB 32100 check character)."),
                               errors={"uscc": [_("Not a valid unified social credit code.")]})
    if db.session.scalar(select(func.count()).where(Organization.uscc == uscc)):
        raise Conflict(_("An organisation with this unified social credit code is already registered."),
                       errors={"uscc": [_("Already registered.")]})
    return uscc


def _check_new_email(email: str) -> str:
    email = email.strip().lower()
    if db.session.scalar(select(func.count()).where(User.email == email)):
        raise Conflict(_("A user with this e-mail address already exists."), errors={"email": [_("Already in use.")]})
    return email


def id_number_hash(id_number: str) -> str:
    """The keyed hash (HMAC-SHA256 under MARKETPLACE_ID_HASH_KEY) an identity number is stored and found by."""
    key = current_app.config["MARKETPLACE_ID_HASH_KEY"].encode()
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def subject_by_id_number(id_number: str) -> User | None:
    """The data subject holding this resident ID number, if they have an account."""
    return db.session.scalar(select(User).where(User.id_number_hash == id_number_hash(id_number),
                                                User.role == "subject"))


def _new_user(*, email, name, password, role, org=None, is_org_admin=False, id_number=None) -> User:
    check_password_rules(password)
    user = User(email=_check_new_email(email), name=name, role=role, organization=org, is_org_admin=is_org_admin)
    if id_number is not None:
        if not resident_id_is_valid(id_number):
            raise ValidationFailed(_("The resident ID number is not valid."), errors={"id_number": [_("Not valid.")]})
        user.id_number_hash = id_number_hash(id_number)
        user.id_number_masked = mask(id_number.upper(), "cn_resident_id")
    user.set_password(password)
    db.session.add(user)
    return user


def _check_role_for(org: Organization, role: str) -> None:
    if role not in ROLES_BY_KIND[OrgKind(org.kind)]:
        raise ValidationFailed(_("A %(kind)s organisation cannot have members with the role %(role)s.",
                                 kind=org.kind, role=role),
                               errors={"role": [_("Not allowed for a %(kind)s organisation.", kind=org.kind)]})


def apply_organization(*, name, name_en, uscc, kind, legal_representative, address, contact_phone,
                       description, admin_name, admin_email, admin_password) -> Organization:
    """An organisation asks to join; its first user becomes its organisation admin once approved."""
    if kind not in (OrgKind.PROVIDER, OrgKind.BUYER, OrgKind.REVIEWER):
        raise ValidationFailed(_("Exchange staff organisations are set up by the operator."),
                               errors={"kind": [_("Not available for applications.")]})
    with unit_of_work():
        org = Organization(name=name, name_en=name_en, uscc=_check_uscc(uscc), kind=kind,
                           legal_representative=legal_representative, address=address,
                           contact_phone=contact_phone, description=description, state=OrgState.APPLIED)
        db.session.add(org)
        role = ROLES_BY_KIND[OrgKind(kind)][0]
        user = _new_user(email=admin_email, name=admin_name, password=admin_password, role=role, org=org,
                         is_org_admin=True)
        db.session.flush()
        audit.record(user, "organization.apply", "organization", org.id, {"uscc": org.uscc, "kind": kind})
    return org


def decide_organization(org_id: int, *, decision: str, reason: str | None, actor: User) -> Organization:
    with unit_of_work():
        org = db.session.get(Organization, org_id)
        if org is None:
            raise NotFound(_("No such organisation."))
        policy.require(policy.can_decide_organizations, actor)
        transition(org, ORGANIZATION, decision, actor=actor, reason=reason)
    return org


def create_organization(*, name, uscc, kind, name_en="", actor: User | None = None) -> Organization:
    """Operator set-up (CLI): the organisation is approved at once."""
    with unit_of_work():
        org = Organization(name=name, name_en=name_en, uscc=_check_uscc(uscc), kind=OrgKind(kind),
                           state=OrgState.APPROVED)
        db.session.add(org)
        db.session.flush()
        audit.record(actor, "organization.create", "organization", org.id, {"uscc": org.uscc, "kind": kind})
    return org


def create_user(*, email, name, password, role, org_uscc=None, id_number=None, is_org_admin=False,
                actor: User | None = None) -> User:
    """Operator set-up (CLI)."""
    with unit_of_work():
        org = None
        if role == Role.SUBJECT:
            if not id_number:
                raise ValidationFailed(_("A data subject needs a resident ID number."),
                                       errors={"id_number": [_("Required for subjects.")]})
        else:
            org = db.session.scalar(select(Organization).where(Organization.uscc == (org_uscc or "").upper()))
            if org is None:
                raise NotFound(_("No organisation with USCC %(uscc)s.", uscc=org_uscc))
            _check_role_for(org, role)
        user = _new_user(email=email, name=name or email.split("@")[0], password=password, role=role, org=org,
                         is_org_admin=is_org_admin, id_number=id_number)
        db.session.flush()
        audit.record(actor, "user.create", "user", user.id, {"role": role, "org_id": org.id if org else None})
    return user


def invite_member(*, email, role, actor: User) -> tuple[Invitation, str]:
    """Returns the invitation and its one-time token (shown once to the inviting admin)."""
    with unit_of_work():
        org = actor.organization
        policy.require(policy.can_invite_members, actor, org)
        _check_role_for(org, role)
        _check_new_email(email)
        token = secrets.token_urlsafe(32)
        invitation = Invitation(org_id=org.id, email=email.strip().lower(), role=role,
                                token_hash=sha256_hex(token), invited_by_id=actor.id,
                                expires_at=utcnow() + timedelta(days=INVITATION_DAYS))
        db.session.add(invitation)
        db.session.flush()
        audit.record(actor, "invitation.create", "invitation", invitation.id, {"role": role})
    return invitation, token


def find_invitation(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == sha256_hex(token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < utcnow():
        raise NotFound(_("This invitation is not valid any more."))
    return invitation


def accept_invitation(token: str, *, name: str, password: str) -> User:
    with unit_of_work():
        invitation = find_invitation(token)
        user = _new_user(email=invitation.email, name=name, password=password, role=invitation.role,
                         org=invitation.organization)
        invitation.accepted_at = utcnow()
        db.session.flush()
        audit.record(user, "invitation.accept", "invitation", invitation.id, {"user_id": user.id})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The same answer for an unknown user and a wrong password; the hash is computed either way.

    Raises TooManyAttempts (429) once this e-mail address has failed too often from this client address, even
    for the right password, until the window passes; unknown addresses are counted alike."""
    ratelimit.refuse_if_throttled("sign-in", email)
    user = _check_credentials(email, password)
    if user is None:
        ratelimit.record_failure("sign-in", email)
    else:
        ratelimit.record_success("sign-in", email)
    return user


def _check_credentials(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    if user.organization is not None and user.organization.state != OrgState.APPROVED:
        return None
    return user


def reauthenticate(user: User, password: str) -> None:
    """Ask a signed-in user for their password again before a step that binds their organisation (throttled as
    sign-in is: a stolen session must not become a password oracle)."""
    ratelimit.refuse_if_throttled("reauthenticate", str(user.id))
    if not password or not user.check_password(password):
        ratelimit.record_failure("reauthenticate", str(user.id))
        raise Forbidden(_("The password is not correct; signing needs your password again."))
    ratelimit.record_success("reauthenticate", str(user.id))


_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummysa$" + "0" * 128


def end_sessions(*, actor: User) -> None:
    """Sign-out: every cookie issued for this user before now stops working."""
    with unit_of_work():
        user = db.session.get(User, actor.id)
        user.session_generation += 1
        audit.record(actor, "user.sign_out", "user", user.id)


def create_client(*, name: str, scopes: list[str] | None, actor: User) -> tuple[OAuthClient, str]:
    """Returns the client and its secret (shown once; only its hash is stored)."""
    with unit_of_work():
        policy.require(policy.can_create_client, actor)
        allowed = policy.SCOPES_BY_ROLE.get(actor.role, ())
        scopes = list(scopes) if scopes else list(allowed)
        refused = [s for s in scopes if s not in allowed]
        if refused:
            raise Forbidden(_("A %(role)s cannot hold the scopes: %(scopes)s.", role=actor.role,
                                scopes=", ".join(refused)))
        secret = secrets.token_urlsafe(32)
        client = OAuthClient(client_id=secrets.token_hex(12), secret_hash=sha256_hex(secret), name=name,
                             user_id=actor.id, scope=" ".join(scopes))
        db.session.add(client)
        db.session.flush()
        audit.record(actor, "client.create", "oauth_client", client.id, {"scopes": scopes})
    return client, secret


def list_organizations(*, actor: User, state: str | None = None) -> list[Organization]:
    """Organisations for the admin, newest first; `state="applied"` gives the applications waiting."""
    policy.require(policy.can_decide_organizations, actor)
    query = select(Organization).order_by(Organization.created_at.desc())
    if state:
        query = query.where(Organization.state == state)
    return list(db.session.scalars(query))


def get_organization(org_id: int) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def members_of(org: Organization) -> list[User]:
    return list(db.session.scalars(select(User).where(User.org_id == org.id).order_by(User.name)))


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(_("No user with e-mail %(email)s.", email=email))
    return user
