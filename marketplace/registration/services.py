"""Use cases of registration: submission, review decisions, public notice, objections, certificates."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from compliance import checklist
from marketplace import audit, policy
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, DomainError, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import pick
from marketplace.lifecycle import transition
from marketplace.products.checks import refresh_checks
from marketplace.products.models import Product, ProductVersion
from marketplace.products.services import check_lock
from marketplace.products.states import PRODUCT_VERSION, VersionAction, VersionState
from marketplace.registration import certificates
from marketplace.registration.models import Certificate, Notice, Objection, Review, ReviewItem
from marketplace.registration.states import (
    NOTICE,
    OBJECTION,
    REVIEW,
    NoticeAction,
    NoticeState,
    ObjectionAction,
    ObjectionState,
    ReviewAction,
    ReviewState,
)
from marketplace.types import utcnow
from marketplace.ui import state_label

log = logging.getLogger(__name__)
ITEM_DECISIONS = ("pass", "fail", "not_applicable")


def _open_review(version: ProductVersion) -> Review:
    """A review carries every template item with its automatic result, so reviewers start from the machine's view."""
    results = {r["code"]: r for r in version.check_results}
    review = Review(version=version, template_version=checklist.DEFAULT_TEMPLATE.version)
    for position, item in enumerate(checklist.DEFAULT_TEMPLATE.items):
        result = results.get(item.code, {})
        applicable = result.get("applicable", True)
        review.items.append(ReviewItem(
            position=position, code=item.code, kind=item.kind, applicable=applicable,
            auto_outcome=result.get("outcome"), auto_message=result.get("message"),
            auto_details=result.get("details"),
            decision=None if applicable else "not_applicable",
        ))
    db.session.add(review)
    db.session.flush()
    audit.record(None, "review.open", "review", review.id, {"version_id": version.id})
    return review


def submit_product(product_id: int, *, actor, lock_version: int | None = None) -> ProductVersion:
    """Submit for review; blocking automatic failures stop it and are listed back to the broker."""
    with unit_of_work():
        product = db.session.get(Product, product_id)
        if product is None:
            raise NotFound(_("No such product."))
        version = product.latest
        policy.require(policy.can_edit_version, actor, version)
        check_lock(version, lock_version)
        blocking = checklist.blocking_failures(refresh_checks(version))
        if blocking:
            raise ValidationFailed(
                _("The draft cannot be submitted: %(reasons)s", reasons=" ".join(pick(r.message) for r in blocking)),
                errors={r.code: [pick(r.message)] for r in blocking},
            )
        version.submitted_by_id = actor.id
        version.submitted_at = utcnow()
        transition(version, PRODUCT_VERSION, VersionAction.SUBMIT, actor=actor)
        _open_review(version)
    return version


def list_reviews(*, actor, state: str | None = ReviewState.PENDING) -> list[Review]:
    policy.require(policy.can_view_reviews, actor)
    query = select(Review).order_by(Review.created_at)
    if state:
        query = query.where(Review.state == state)
    return list(db.session.scalars(query))


def get_review(review_id: int, *, actor) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_("No such review."))
    policy.require(policy.can_view_reviews, actor)
    return review


def _decidable_review(review_id: int, actor, lock_version: int | None) -> Review:
    review = get_review(review_id, actor=actor)
    policy.require(policy.can_decide_review, actor, review,
                   message=_("You cannot decide this review: it is your own organisation's product or submission."))
    if review.state != ReviewState.PENDING:
        raise InvalidTransition(_("This review is already %(state)s.", state=state_label(review.state)))
    if lock_version is not None and lock_version != review.lock_version:
        raise Conflict(_("Another reviewer changed this review since you loaded it; reload and try again."))
    if review.version.state == VersionState.SUBMITTED:
        transition(review.version, PRODUCT_VERSION, VersionAction.START_REVIEW, actor=actor)
    return review


def decide_item(review_id: int, code: str, *, decision: str, note: str = "", actor,
                lock_version: int | None = None) -> ReviewItem:
    with unit_of_work():
        review = _decidable_review(review_id, actor, lock_version)
        item = review.item(code)
        if item is None:
            raise NotFound(_("The review has no checklist item %(code)s.", code=code))
        if decision not in ITEM_DECISIONS:
            raise ValidationFailed(_("Unknown decision %(decision)s.", decision=decision),
                                   errors={"decision": [_("Unknown.")]})
        if decision == "fail" and not note.strip():
            raise ValidationFailed(_("Say why the item fails."), errors={"note": [_("Required when failing an item.")]})
        item.decision, item.note, item.decided_by_id, item.decided_at = decision, note, actor.id, utcnow()
        review.reviewer_id = actor.id
        # Touch the review so its lock version moves: two reviewers racing on one review collide cleanly.
        review.decided_at = None
        db.session.flush()
        audit.record(actor, "review.item", "review", review.id, {"code": code, "decision": decision,
                                                                 "note": note})
    return item


def decide_review(review_id: int, *, decision: str, reason: str = "", actor,
                  lock_version: int | None = None) -> Review:
    with unit_of_work():
        review = _decidable_review(review_id, actor, lock_version)
        version = review.version
        if decision != ReviewAction.APPROVE and not reason.strip():
            raise ValidationFailed(_("Give the broker a reason."), errors={"reason": [_("Required.")]})
        if decision == ReviewAction.APPROVE:
            unresolved = review.unresolved()
            if unresolved:
                codes = ", ".join(item.code for item in unresolved)
                raise ValidationFailed(_("Every applicable item must pass before approval; unresolved: %(codes)s.",
                                         codes=codes),
                                       errors={item.code: [_("Undecided or failed.")] for item in unresolved})
        if decision not in {str(a) for a in ReviewAction} - {ReviewAction.REOPEN}:
            raise ValidationFailed(_("Unknown decision %(decision)s.", decision=decision),
                                   errors={"decision": [_("Unknown.")]})
        action = ReviewAction(decision)
        review.reviewer_id, review.reason, review.decided_at = actor.id, reason, utcnow()
        transition(review, REVIEW, action, actor=actor, reason=reason)
        transition(version, PRODUCT_VERSION, VersionAction(decision), actor=actor, reason=reason)
        if action == ReviewAction.APPROVE:
            _open_notice(version, actor)
    return review


def _open_notice(version: ProductVersion, actor) -> Notice:
    hours = float(current_app.config["MARKETPLACE_NOTICE_PERIOD_HOURS"])
    now = utcnow()
    notice = Notice(version=version, starts_at=now, ends_at=now + timedelta(hours=hours))
    db.session.add(notice)
    db.session.flush()
    transition(version, PRODUCT_VERSION, VersionAction.OPEN_NOTICE, actor=actor,
               data={"notice_id": notice.id, "ends_at": notice.ends_at.isoformat()})
    return notice


def list_notices(*, state: str | None = NoticeState.OPEN) -> list[Notice]:
    query = select(Notice).order_by(Notice.ends_at)
    if state:
        query = query.where(Notice.state == state)
    return list(db.session.scalars(query))


def get_notice(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_("No such public notice."))
    return notice


def notices_of(product_id: int) -> list[Notice]:
    return list(db.session.scalars(
        select(Notice).join(ProductVersion, Notice.version_id == ProductVersion.id)
        .where(ProductVersion.product_id == product_id).order_by(Notice.starts_at)
    ))


def list_open_objections(*, actor) -> list[Objection]:
    policy.require(policy.is_admin, actor)
    return list(db.session.scalars(
        select(Objection).where(Objection.state == ObjectionState.OPEN).order_by(Objection.created_at)
    ))


def notice_for_product(product_id: int) -> Notice:
    notice = db.session.scalar(
        select(Notice).join(ProductVersion, Notice.version_id == ProductVersion.id)
        .where(ProductVersion.product_id == product_id, Notice.state == NoticeState.OPEN)
    )
    if notice is None:
        raise NotFound(_("This product has no open public notice."))
    return notice


def raise_objection(product_id: int, *, reason: str, actor) -> Objection:
    with unit_of_work():
        notice = notice_for_product(product_id)
        policy.require(policy.can_object, actor, notice)
        if not reason.strip():
            raise ValidationFailed(_("Say what the objection is."), errors={"reason": [_("Required.")]})
        objection = Objection(notice=notice, raised_by_id=actor.id, reason=reason)
        db.session.add(objection)
        db.session.flush()
        audit.record(actor, "objection.raise", "objection", objection.id, {"notice_id": notice.id})
        if notice.version.state == VersionState.PUBLIC_NOTICE:
            transition(notice.version, PRODUCT_VERSION, VersionAction.RAISE_OBJECTION, actor=actor,
                       reason=reason)
    return objection


def decide_objection(objection_id: int, *, decision: str, outcome: str = "review", reason: str = "",
                     actor) -> Objection:
    """Dismiss (the notice goes on) or uphold: back to a reviewer, or the product is withdrawn."""
    with unit_of_work():
        objection = db.session.get(Objection, objection_id)
        if objection is None:
            raise NotFound(_("No such objection."))
        policy.require(policy.can_decide_objection, actor, objection)
        if not reason.strip():
            raise ValidationFailed(_("Give a reason for the decision."), errors={"reason": [_("Required.")]})
        notice, version = objection.notice, objection.notice.version
        objection.decided_by_id, objection.decision_reason, objection.decided_at = actor.id, reason, utcnow()
        transition(objection, OBJECTION, decision, actor=actor, reason=reason)
        if decision == ObjectionAction.DISMISS:
            if not notice.open_objections():
                transition(version, PRODUCT_VERSION, VersionAction.DISMISS_OBJECTIONS, actor=actor, reason=reason)
            return objection
        for other in notice.open_objections():
            transition(other, OBJECTION, ObjectionAction.UPHOLD, actor=actor, reason=f"with objection {objection.id}")
        transition(notice, NOTICE, NoticeAction.WITHDRAW, actor=actor, reason=reason)
        if outcome == "withdraw":
            transition(version, PRODUCT_VERSION, VersionAction.UPHOLD_WITHDRAW, actor=actor, reason=reason)
        else:
            approved = db.session.scalar(select(Review).where(Review.version_id == version.id,
                                                              Review.state == ReviewState.APPROVED))
            if approved is not None:
                transition(approved, REVIEW, ReviewAction.REOPEN, actor=actor, reason=reason)
            transition(version, PRODUCT_VERSION, VersionAction.UPHOLD_TO_REVIEW, actor=actor, reason=reason)
            _open_review(version)
    return objection


def register_due_products(*, now=None) -> dict:
    """Housekeeping: issue a certificate for every notice that ended with no open objection. Idempotent."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Notice.id).where(Notice.state == NoticeState.OPEN, Notice.ends_at <= now)
    ).all()
    issued, skipped = [], 0
    for notice_id in due:
        try:
            certificate = _register(notice_id, now)
        except DomainError as exc:
            # Another housekeeping run got there first, or an objection arrived meanwhile.
            log.info("notice %s not registered: %s", notice_id, exc.detail)
            skipped += 1
            continue
        if certificate is not None:
            issued.append(certificate.number)
        else:
            skipped += 1
    return {"due": len(due), "issued": issued, "skipped": skipped}


def _register(notice_id: int, now) -> Certificate | None:
    with unit_of_work():
        notice = db.session.get(Notice, notice_id)
        version = notice.version
        if notice.state != NoticeState.OPEN or version.state != VersionState.PUBLIC_NOTICE or notice.ends_at > now:
            return None
        transition(notice, NOTICE, NoticeAction.CLOSE, actor=None)
        certificate = certificates.issue(version, now)
        transition(version, PRODUCT_VERSION, VersionAction.REGISTER, actor=None,
                   data={"certificate": certificate.number})
        return certificate
